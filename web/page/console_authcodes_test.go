package page

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
)

// Rule ACC-3: the console lists the account's authorization codes with
// their state, issues one for an eligible server (defaults or the given
// validity and use limit; problems beside their inputs), and revokes an
// unused one behind a confirmation; another account's code is 404, a form
// without the session's token is refused, an account without an eligible
// server is told why it cannot issue.
func TestConsoleAuthCodes(t *testing.T) {
	consoleEach(t, func(t *testing.T, e *cEnv) {
		c := e.customer(t, true)
		w := e.get(t, c.as, "/console/auth-codes")
		b := bodyOf(t, w.Code, http.StatusOK, w.Body.String())
		if !strings.Contains(b, `href="/console/auth-codes" aria-current="page"`) || !strings.Contains(b, "尚未签发授权码") ||
			!strings.Contains(b, `<option value="`+strconv.FormatInt(c.resource, 10)+`">ecs-c`) || !strings.Contains(b, "默认 90 天内有效、可用于 1 个网站") {
			t.Errorf("empty list: %s", b)
		}
		if w := e.get(t, c.as, "/console"); !strings.Contains(w.Body.String(), `href="/console/auth-codes"`) {
			t.Error("the console's navigation has no authorization codes")
		}
		rid := strconv.FormatInt(c.resource, 10)
		cases := []struct {
			name  string
			form  url.Values
			field string
		}{
			{"ErrNoResource", url.Values{}, "f-resource_id-error"},
			{"ErrDays", url.Values{"resource_id": {rid}, "valid_for_days": {"0"}}, "f-valid_for_days-error"},
			{"ErrUses", url.Values{"resource_id": {rid}, "use_limit": {"many"}}, "f-use_limit-error"},
		}
		for _, tc := range cases {
			w := e.post(t, c.as, "/console/auth-codes", tc.form)
			if b := bodyOf(t, w.Code, http.StatusUnprocessableEntity, w.Body.String()); !strings.Contains(b, `id="`+tc.field+`"`) {
				t.Errorf("%s: not beside its input: %s", tc.name, b)
			}
		}
		other := e.customer(t, true)
		w = e.post(t, c.as, "/console/auth-codes", url.Values{"resource_id": {strconv.FormatInt(other.resource, 10)}})
		if b := bodyOf(t, w.Code, http.StatusUnprocessableEntity, w.Body.String()); !strings.Contains(b, `id="f-resource_id-error"`) {
			t.Errorf("another account's server: %s", b)
		}
		if w := e.post(t, c.as, "/console/auth-codes", url.Values{"resource_id": {rid}, "csrf": {"WRONG"}}); w.Code != http.StatusForbidden {
			t.Errorf("issue without the token: %d", w.Code)
		}

		w = e.post(t, c.as, "/console/auth-codes", url.Values{"resource_id": {rid}, "valid_for_days": {"30"}, "use_limit": {"2"}})
		loc := w.Header().Get("Location")
		if w.Code != http.StatusSeeOther || !strings.HasPrefix(loc, "/console/auth-codes?notice=authcode_issued&of=") {
			t.Fatalf("issue: %d %q %s", w.Code, loc, w.Body.String())
		}
		codes, err := e.svc.AuthCodes(e.ctx, c.id)
		if err != nil || len(codes) != 1 {
			t.Fatalf("codes %+v %v", codes, err)
		}
		code := codes[0].Code
		if !strings.HasSuffix(loc, "of="+code) {
			t.Errorf("the notice does not name the code: %q", loc)
		}
		b = bodyOf(t, http.StatusOK, http.StatusOK, e.get(t, c.as, loc).Body.String())
		if !strings.Contains(b, "已签发授权码") || !strings.Contains(b, code) || !strings.Contains(b, "可使用") || !strings.Contains(b, "0 / 2") ||
			!strings.Contains(b, "2026-04-01 10:00") || !strings.Contains(b, `href="/console/auth-codes/`+code+`/revoke"`) {
			t.Errorf("list after issue: %s", b)
		}

		revoke := "/console/auth-codes/" + code + "/revoke"
		if w := e.get(t, other.as, revoke); w.Code != http.StatusNotFound {
			t.Errorf("another account's revoke page: %d", w.Code)
		}
		if w := e.post(t, other.as, revoke, url.Values{"confirm": {"yes"}}); w.Code != http.StatusNotFound {
			t.Errorf("another account revokes: %d", w.Code)
		}
		b = bodyOf(t, http.StatusOK, http.StatusOK, e.get(t, c.as, revoke).Body.String())
		if !strings.Contains(b, "授权码 "+code+" 将被撤销") || !strings.Contains(b, "不能恢复") || !strings.Contains(b, `name="confirm" value="yes"`) {
			t.Errorf("revoke confirmation: %s", b)
		}
		if w := e.post(t, c.as, revoke, url.Values{}); w.Code != http.StatusOK || !strings.Contains(w.Body.String(), "将被撤销") {
			t.Errorf("revoke without confirmation: %d", w.Code)
		}
		if w := e.post(t, c.as, revoke, url.Values{"confirm": {"yes"}, "csrf": {"WRONG"}}); w.Code != http.StatusForbidden {
			t.Errorf("revoke without the token: %d", w.Code)
		}
		if cs, _ := e.svc.AuthCodes(e.ctx, c.id); cs[0].State != "active" {
			t.Fatalf("revoked before the confirmation: %s", cs[0].State)
		}
		w = e.post(t, c.as, revoke, url.Values{"confirm": {"yes"}})
		if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/console/auth-codes?notice=authcode_revoked&of="+code {
			t.Fatalf("revoke: %d %q", w.Code, w.Header().Get("Location"))
		}
		b = bodyOf(t, http.StatusOK, http.StatusOK, e.get(t, c.as, w.Header().Get("Location")).Body.String())
		if !strings.Contains(b, "已撤销授权码") || !strings.Contains(b, "已撤销") || strings.Contains(b, `href="`+revoke+`"`) {
			t.Errorf("list after revoke: %s", b)
		}

		// A used code cannot be revoked: the confirmation says why.
		w = e.post(t, c.as, "/console/auth-codes", url.Values{"resource_id": {rid}})
		used := strings.TrimPrefix(w.Header().Get("Location"), "/console/auth-codes?notice=authcode_issued&of=")
		if _, err := e.svc.DB.SQL.ExecContext(e.ctx, `UPDATE auth_codes SET uses = 1 WHERE code = $1`, used); err != nil {
			t.Fatal(err)
		}
		w = e.post(t, c.as, "/console/auth-codes/"+used+"/revoke", url.Values{"confirm": {"yes"}})
		if b := bodyOf(t, w.Code, http.StatusConflict, w.Body.String()); !strings.Contains(b, "已被使用，不能撤销") {
			t.Errorf("revoke a used code: %s", b)
		}

		none := e.customer(t, false)
		b = bodyOf(t, http.StatusOK, http.StatusOK, e.get(t, none.as, "/console/auth-codes?lang=en").Body.String())
		if !strings.Contains(b, "no eligible server") || strings.Contains(b, `action="/console/auth-codes"`) {
			t.Errorf("account without a server: %s", b)
		}
	})
}
