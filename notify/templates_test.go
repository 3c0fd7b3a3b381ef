package notify_test

import (
	"strings"
	"testing"
	"time"

	"github.com/beian/beian/notify"
	"github.com/beian/beian/outbox"
)

func TestRender(t *testing.T) {
	tpl := notify.New()
	if err := tpl.Add("sms.only", "验证码 {{.code}}", "", ""); err != nil {
		t.Fatal(err)
	}
	notice := map[string]string{"title": "备案已通过", "body": "您的网站已获备案号。"}
	for _, tc := range []struct {
		name string
		m    outbox.Message
		want notify.Rendered
		err  string // substring of the error; "" for none
	}{
		{"OK_HelloSMS", outbox.Message{Channel: outbox.SMS, Template: "test.hello", Data: map[string]string{"name": "张三"}},
			notify.Rendered{Text: "【ICP备案】张三，您好！这是一条测试短信。"}, ""},
		{"OK_HelloEmail", outbox.Message{Channel: outbox.Email, Template: "test.hello", Data: map[string]string{"name": "张三"}},
			notify.Rendered{Subject: "测试邮件", Text: "张三，您好：\n\n这是一封测试邮件。\n\n——ICP备案系统"}, ""},
		{"OK_NoticeSMS", outbox.Message{Channel: outbox.SMS, Template: "notice", Data: notice},
			notify.Rendered{Text: "【ICP备案】备案已通过：您的网站已获备案号。"}, ""},
		{"OK_NoticeEmail", outbox.Message{Channel: outbox.Email, Template: "notice", Data: notice},
			notify.Rendered{Subject: "备案已通过", Text: "您的网站已获备案号。\n\n——ICP备案系统"}, ""},
		{"OK_SubjectIsOneLine", outbox.Message{Channel: outbox.Email, Template: "notice", Data: map[string]string{"title": "a\r\nBcc: x@y.z", "body": "b"}},
			notify.Rendered{Subject: "a Bcc: x@y.z", Text: "b\n\n——ICP备案系统"}, ""},
		{"ErrMissingKey", outbox.Message{Channel: outbox.SMS, Template: "notice", Data: map[string]string{"title": "密码 S3cr3t!"}},
			notify.Rendered{}, `"body"`},
		{"ErrNilData", outbox.Message{Channel: outbox.Email, Template: "test.hello"},
			notify.Rendered{}, `"name"`},
		{"ErrUnknownTemplate", outbox.Message{Channel: outbox.SMS, Template: "nope"},
			notify.Rendered{}, "unknown template"},
		{"ErrChannelNotOffered", outbox.Message{Channel: outbox.Email, Template: "sms.only", Data: map[string]string{"code": "1"}},
			notify.Rendered{}, "no email text"},
		{"ErrUnknownChannel", outbox.Message{Channel: "fax", Template: "notice", Data: notice},
			notify.Rendered{}, "unknown channel"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tpl.Render(tc.m)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want one with %s", err, tc.err)
				}
				if strings.Contains(err.Error(), "S3cr3t") {
					t.Errorf("error shows a value: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestTemplatesAdd(t *testing.T) {
	tpl := notify.New()
	for _, tc := range []struct {
		name                   string
		sms, subject, emailTxt string
		ok                     bool
	}{
		{"OK", "短信 {{.a}}", "主题 {{.a}}", "正文 {{.a}}", true},
		{"OK_EmailOnly", "", "主题", "正文", true},
		{"ErrNoText", "", "", "", false},
		{"ErrSubjectWithoutText", "x", "主题", "", false},
		{"ErrParse", "{{.a", "", "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tpl.Add("t."+tc.name, tc.sms, tc.subject, tc.emailTxt)
			if (err == nil) != tc.ok {
				t.Fatalf("err = %v", err)
			}
		})
	}
	t.Run("ErrNoName", func(t *testing.T) {
		if err := tpl.Add("", "x", "", ""); err == nil {
			t.Fatal("no error")
		}
	})
}

func TestMaskRecipient(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"13812345678", "138****5678"},
		{"+8613812345678", "+86138****5678"},
		{"alice@example.com", "a***@example.com"},
		{"张三@例子.中国", "张***@例子.中国"},
		{"@example.com", "***@example.com"},
		{"12345", "1***"},
		{"", ""},
	} {
		if got := notify.MaskRecipient(tc.in); got != tc.want {
			t.Errorf("MaskRecipient(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestDefaultBackoff(t *testing.T) {
	for _, tc := range []struct {
		attempt  int
		min, max time.Duration
	}{
		{0, 4 * time.Second, 6 * time.Second},
		{1, 4 * time.Second, 6 * time.Second},
		{2, 8 * time.Second, 12 * time.Second},
		{3, 16 * time.Second, 24 * time.Second},
		{10, 24 * time.Minute, 30 * time.Minute},
		{notify.PermanentAttempt, 24 * time.Minute, 30 * time.Minute},
		{1 << 30, 24 * time.Minute, 30 * time.Minute},
	} {
		seen := map[time.Duration]bool{}
		for range 50 {
			d := notify.DefaultBackoff(tc.attempt)
			if d < tc.min || d > tc.max {
				t.Errorf("DefaultBackoff(%d) = %v, want %v..%v", tc.attempt, d, tc.min, tc.max)
			}
			seen[d] = true
		}
		if len(seen) < 2 {
			t.Errorf("DefaultBackoff(%d) has no jitter", tc.attempt)
		}
	}
}
