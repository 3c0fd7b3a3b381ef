package page

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/beian/beian/regulator"
)

// formToken opens the form page and returns its double-submit cookie and
// token.
func formToken(tb testing.TB, h http.Handler, path string) (*http.Cookie, string) {
	tb.Helper()
	w := get(tb, h, path)
	c, m := cookie(w, csrfCookieName), csrfField.FindStringSubmatch(w.Body.String())
	if c == nil || m == nil || c.Value != m[1] {
		tb.Fatalf("%s: no double-submit token", path)
	}
	return c, m[1]
}

// Rule VER-3: /sms-verify confirms a responsible person's code; a wrong
// entry gets the registry's one answer and the attempts left, never the
// code or certificate back; once both persons confirmed, the order is at
// the bureau.
func TestPublicSMSVerify(t *testing.T) {
	eachPublic(t, func(t *testing.T, e *pubEnv) {
		id, codes := e.submit(t)
		c, tok := formToken(t, e.h, "/sms-verify")
		send := func(code, phone, last6 string) (*http.Response, string) {
			w := post(t, e.h, "/sms-verify", url.Values{"csrf": {tok}, "code": {code}, "phone": {phone}, "cert_last6": {last6}}, c)
			return w.Result(), w.Body.String()
		}
		t.Run("OKForm", func(t *testing.T) {
			b := body(t, get(t, e.h, "/sms-verify?lang=en"), http.StatusOK)
			mustContain(t, b, []string{"<h1>SMS confirmation</h1>", `name="csrf"`, `id="f-code"`, `autocomplete="one-time-code"`,
				`id="f-phone" name="phone" type="tel"`, `id="f-cert_last6"`}, nil)
		})
		t.Run("ErrNoToken", func(t *testing.T) {
			w := post(t, e.h, "/sms-verify", url.Values{"code": {codes[pubSubjPhone]}, "phone": {pubSubjPhone}, "cert_last6": {pubSubjLast6}}, c)
			if w.Code != http.StatusForbidden || e.status(t, id) != regulator.SubmissionSMS {
				t.Fatalf("status %d", w.Code)
			}
		})
		t.Run("ErrRequired", func(t *testing.T) {
			res, b := send("", "", "")
			if res.StatusCode != http.StatusUnprocessableEntity {
				t.Fatalf("status %d", res.StatusCode)
			}
			mustContain(t, b, []string{`href="#f-code"`, `href="#f-phone"`, `href="#f-cert_last6"`, "短信核验码未填写"}, nil)
		})
		t.Run("ErrWrongEntryGeneric", func(t *testing.T) {
			wrong := map[string][3]string{
				"code":  {"000000", pubSubjPhone, pubSubjLast6},
				"phone": {codes[pubSubjPhone], "13700137000", pubSubjLast6},
				"cert":  {codes[pubSubjPhone], pubSubjPhone, pubSiteLast6},
			}
			var pages []string
			for _, k := range []string{"code", "phone", "cert"} {
				in := wrong[k]
				res, b := send(in[0], in[1], in[2])
				if res.StatusCode != http.StatusUnprocessableEntity {
					t.Fatalf("%s: status %d", k, res.StatusCode)
				}
				mustContain(t, b, []string{"短信核验未通过", `id="tries"`}, []string{in[0], in[2], "核验成功"})
				pages = append(pages, b[:strings.Index(b, `id="tries"`)])
			}
			if pages[0] != pages[2] {
				t.Error("a wrong code and a wrong certificate answer differently")
			}
			if !strings.Contains(send2(t, send), "本地址本小时内还可尝试 26 次") {
				t.Error("attempts left not counted down")
			}
		})
		t.Run("OKConfirm", func(t *testing.T) {
			res, b := send(codes[pubSitePhone], pubSitePhone, pubSiteLast6)
			if res.StatusCode != http.StatusOK {
				t.Fatalf("status %d: %s", res.StatusCode, b)
			}
			mustContain(t, b, []string{`role="status"`, "核验成功", "还有 1 位负责人需完成短信核验"},
				[]string{codes[pubSitePhone], pubSiteLast6, `value="` + pubSitePhone})
			if s := e.status(t, id); s != regulator.SubmissionSMS {
				t.Fatalf("status %s after one of two", s)
			}
			_, b = send(codes[pubSubjPhone], "+86 138-0013-8000", pubSubjLast6)
			mustContain(t, b, []string{"已提交管局审核"}, nil)
			if s := e.status(t, id); s != regulator.SubmissionBureau {
				t.Fatalf("status %s after both", s)
			}
		})
	})
}

// send2 sends one more wrong entry and returns the page.
func send2(tb testing.TB, send func(code, phone, last6 string) (*http.Response, string)) string {
	tb.Helper()
	_, b := send("111111", pubSubjPhone, pubSubjLast6)
	return b
}

// Rules PWD-3, PWD-4: /password gives one generic answer whether the data
// matched (a new password goes out) or not, never shows the certificate
// number again, is rate-limited, and explains the offline way with a
// printable form for every province but Guangdong.
func TestPublicPassword(t *testing.T) {
	eachPublic(t, func(t *testing.T, e *pubEnv) {
		id, codes := e.submit(t)
		number := e.approve(t, id, codes)
		c, tok := formToken(t, e.h, "/password")
		send := func(province, num, certType, cert string) (int, string) {
			w := post(t, e.h, "/password", url.Values{"csrf": {tok}, "province": {province}, "number": {num},
				"cert_type": {certType}, "cert_number": {cert}}, c)
			return w.Code, w.Body.String()
		}
		t.Run("OKForm", func(t *testing.T) {
			b := body(t, get(t, e.h, "/password"), http.StatusOK)
			mustContain(t, b, []string{`<select id="f-province" name="province" required>`, `<option value="330000">浙江</option>`,
				`<option value="uscc">`, `action="/password/offline"`, "广东省通信管理局只受理在线找回"}, nil)
			offline := b[strings.Index(b, `id="offline-province"`):]
			if strings.Contains(offline, `value="440000"`) || !strings.Contains(offline, `value="330000"`) {
				t.Error("the offline choice offers Guangdong or lacks Zhejiang")
			}
		})
		t.Run("ErrRequired", func(t *testing.T) {
			code, b := send("330000", "", "", "")
			if code != http.StatusUnprocessableEntity {
				t.Fatalf("status %d", code)
			}
			mustContain(t, b, []string{`href="#f-number"`, `href="#f-cert_type"`, `href="#f-cert_number"`, `<option value="330000" selected>`},
				[]string{`href="#f-province"`})
		})
		t.Run("OKGenericAnswer", func(t *testing.T) {
			before := len(e.outbox(t, regulator.TemplatePasswordReset))
			code, miss := send("330000", number, "uscc", "91330100MA0000002Y")
			if code != http.StatusOK || len(e.outbox(t, regulator.TemplatePasswordReset)) != before {
				t.Fatalf("mismatch: status %d or a password went out", code)
			}
			code, hit := send("330000", number+"-1", "uscc", pubOrgCert)
			if code != http.StatusOK || len(e.outbox(t, regulator.TemplatePasswordReset)) != before+1 {
				t.Fatalf("match: status %d or no password went out", code)
			}
			if hit != miss {
				t.Error("a match and a mismatch answer differently")
			}
			mustContain(t, hit, []string{`role="status"`, "如填写的省份、备案号、证件类型和证件号码与备案信息一致"},
				[]string{pubOrgCert, "91330100MA0000002Y", number + "-1"})
		})
		t.Run("ErrRateLimited", func(t *testing.T) {
			var b string
			for i := range 9 { // 2 attempts above and 9 here, each number new: the client's 11th of the hour is refused
				var code int
				code, b = send("330000", fmt.Sprintf("浙ICP备20269999%02d号", i), "uscc", pubOrgCert)
				if want := map[bool]int{true: http.StatusTooManyRequests, false: http.StatusOK}[i == 8]; code != want {
					t.Fatalf("attempt %d: status %d, want %d", i+3, code, want)
				}
			}
			mustContain(t, b, []string{`role="alert"`, "找回备案密码的尝试次数过多"}, []string{"如填写的省份"})
		})
		t.Run("OKOffline", func(t *testing.T) {
			b := body(t, get(t, e.h, "/password/offline?province=浙江"), http.StatusOK)
			mustContain(t, b, []string{"浙江省通信管理局 ICP 备案密码找回申请表", "申请人签字", `<option value="330000" selected>`}, nil)
			b = body(t, get(t, e.h, "/password/offline?province=440000"), http.StatusOK)
			mustContain(t, b, []string{"广东省通信管理局不受理线下找回备案密码的申请"}, []string{"申请人签字"})
			b = body(t, get(t, e.h, "/password/offline?province=330000&lang=en"), http.StatusOK)
			mustContain(t, b, []string{"Zhejiang Communications Administration: application", "Applicant&#39;s name"}, nil)
			b = body(t, get(t, e.h, "/password/offline"), http.StatusOK)
			mustContain(t, b, []string{"请选择主体所在省份"}, []string{"申请人签字"})
		})
	})
}
