package notify_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/beian/beian/notify"
	"github.com/beian/beian/outbox"
)

func TestSMSWebhook(t *testing.T) {
	ctx := context.Background()
	m := outbox.Message{ID: "0123456789abcdef0123456789abcdef", Channel: outbox.SMS, To: "13812345678", Template: "test.hello"}
	r := notify.Rendered{Text: "【ICP备案】验证码 824113"}

	t.Run("OK", func(t *testing.T) {
		rec := &smsRecorder{}
		srv := startWebhook(t, rec)
		s, err := notify.NewSMSWebhook(notify.WebhookConfig{URL: srv.URL + "/sms", Token: "tok"})
		if err != nil {
			t.Fatal(err)
		}
		if s.Channel() != outbox.SMS {
			t.Errorf("channel %q", s.Channel())
		}
		if err := s.Send(ctx, m, r); err != nil {
			t.Fatal(err)
		}
		got := rec.received()
		if len(got) != 1 {
			t.Fatalf("gateway got %d requests", len(got))
		}
		g := got[0]
		want := map[string]string{"id": m.ID, "to": m.To, "template": m.Template, "text": r.Text}
		if fmt.Sprint(g.Body) != fmt.Sprint(want) {
			t.Errorf("body %v, want %v", g.Body, want)
		}
		if g.IdempotencyKey != m.ID || g.Authorization != "Bearer tok" || !strings.HasPrefix(g.ContentType, "application/json") {
			t.Errorf("headers: Idempotency-Key %q, Authorization %q, Content-Type %q", g.IdempotencyKey, g.Authorization, g.ContentType)
		}
	})
	t.Run("OK_NoToken", func(t *testing.T) {
		rec := &smsRecorder{}
		srv := startWebhook(t, rec)
		s, err := notify.NewSMSWebhook(notify.WebhookConfig{URL: srv.URL})
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Send(ctx, m, r); err != nil {
			t.Fatal(err)
		}
		if got := rec.received(); len(got) != 1 || got[0].Authorization != "" {
			t.Fatalf("got %+v", got)
		}
	})
	for _, tc := range []struct {
		status    int
		permanent bool
	}{
		{400, true}, {401, true}, {404, true}, {422, true},
		{408, false}, {429, false}, {500, false}, {502, false}, {503, false},
	} {
		name := fmt.Sprintf("ErrHTTP%dIsTemporary", tc.status)
		if tc.permanent {
			name = fmt.Sprintf("ErrHTTP%dIsPermanent", tc.status)
		}
		t.Run(name, func(t *testing.T) {
			rec := &smsRecorder{}
			rec.status.Store(int32(tc.status))
			srv := startWebhook(t, rec)
			s, err := notify.NewSMSWebhook(notify.WebhookConfig{URL: srv.URL})
			if err != nil {
				t.Fatal(err)
			}
			err = s.Send(ctx, m, r)
			if err == nil || notify.IsPermanent(err) != tc.permanent {
				t.Fatalf("err = %v, permanent %v", err, notify.IsPermanent(err))
			}
			if strings.Contains(err.Error(), "echo") {
				t.Errorf("error keeps the response body: %v", err)
			}
		})
	}
	t.Run("ErrTimeoutIsTemporary", func(t *testing.T) {
		block := make(chan struct{})
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-block }))
		t.Cleanup(srv.Close)
		t.Cleanup(func() { close(block) })
		s, err := notify.NewSMSWebhook(notify.WebhookConfig{URL: srv.URL, Timeout: 100 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		err = s.Send(ctx, m, r)
		if err == nil || notify.IsPermanent(err) {
			t.Fatalf("err = %v, want a temporary error", err)
		}
	})
	for _, u := range []string{"", "ftp://x/y", "http://", "::"} {
		t.Run("ErrBadURL", func(t *testing.T) {
			if _, err := notify.NewSMSWebhook(notify.WebhookConfig{URL: u}); err == nil {
				t.Fatalf("URL %q accepted", u)
			}
		})
	}
}
