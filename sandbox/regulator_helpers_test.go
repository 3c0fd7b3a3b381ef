package sandbox_test

import (
	"context"
	"encoding/json"
	"maps"
	"net/http"
	"testing"
	"time"

	"github.com/beian/beian"
	"github.com/beian/beian/identity"
	"github.com/beian/beian/regulator"
	"github.com/beian/beian/sandbox"
	"github.com/beian/beian/sqlstore"
	"github.com/beian/beian/timer"
)

// Valid certificates (Rule SUBJ-3): the sandbox's routes check them.
const (
	uscc1     = "91330100MA0000015W"
	uscc2     = "91330100MA0000023P"
	personID1 = "33010619900101123X"
	personID2 = "110101198001015671"
	phone1    = "13800138000"
	phone2    = "13900139000"
	provLocal = "甲云"
	provOther = "乙云"
)

// regEnv is a sandbox over the built-in registry as the serve wiring
// composes it: the registry's runner with the pipeline's and the sandbox
// bureau's handlers, and the surface behind RequireRole(registry_admin)
// with a test Authenticate: the principal's role comes from X-Role
// (default registry_admin; "none" for an anonymous caller).
type regEnv struct {
	*env
	reg     *regulator.Registry
	handler http.Handler
}

func newRegEnv(tb testing.TB, db *sqlstore.DB, start time.Time) *regEnv {
	tb.Helper()
	base := beian.NewManualClock(start)
	clk := sandbox.NewClock(db, base)
	if err := clk.Refresh(context.Background()); err != nil {
		tb.Fatal(err)
	}
	db.Clock = clk
	reg, err := regulator.New(db)
	if err != nil {
		tb.Fatal(err)
	}
	reg.SetSandboxBureau(true)
	handlers := reg.TimerHandlers()
	maps.Copy(handlers, reg.PolicyTimerHandlers())
	tms, err := timer.New(timer.Registry)
	if err != nil {
		tb.Fatal(err)
	}
	run := &timer.Runner{DB: db, Timers: tms, Handlers: handlers}
	s := &sandbox.Surface{Enabled: true, DB: db, Clock: clk, Runners: []*timer.Runner{run}, Registry: reg,
		Require: identity.RequireRole(beian.RoleRegistryAdmin)}
	mux := http.NewServeMux()
	s.Routes(mux)
	return &regEnv{env: &env{db: db, base: base, clock: clk, surface: s, mux: mux}, reg: reg, handler: withRole(mux)}
}

// withRole is the test's Authenticate (see regEnv).
func withRole(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		role := r.Header.Get("X-Role")
		if role == "" {
			role = string(beian.RoleRegistryAdmin)
		}
		if role != "none" {
			r = r.WithContext(identity.WithPrincipal(r.Context(), identity.Principal{Context: identity.ContextRegistry, AccountID: 1, Role: beian.Role(role)}))
		}
		next.ServeHTTP(w, r)
	})
}

// call sends a request as the registry admin and decodes a 2xx JSON answer
// into out (when not nil); any other status fails tb.
func (e *regEnv) call(tb testing.TB, method, path, body string, want int, out any) {
	tb.Helper()
	w := do(tb, e.handler, method, path, body)
	if w.Code != want {
		tb.Fatalf("%s %s: status %d, want %d; body %s", method, path, w.Code, want, w.Body)
	}
	if out != nil {
		if err := json.Unmarshal(w.Body.Bytes(), out); err != nil {
			tb.Fatalf("%s %s: %v in %s", method, path, err, w.Body)
		}
	}
}

// domainJSON is a domain record that passes the five checks for the holder.
func domainJSON(domain, certType, cert string) string {
	b, _ := json.Marshal(map[string]any{"domain": domain, "holder_name": "持有人", "holder_cert_type": certType,
		"holder_cert_number": cert, "registrar": "阿里云计算有限公司(万网)", "registered_on": "2024-01-15",
		"expires_on": "2030-01-15", "real_name_verified": true})
	return string(b)
}

// firstFiling is a first filing of an enterprise in Zhejiang with one
// website on the domain.
func firstFiling(order, cert, name, domain string) beian.Submission {
	return beian.Submission{OrderNumber: order, Type: beian.FirstFiling, Province: "330000",
		Subject: beian.SubjectData{Nature: "enterprise", Name: name, CertType: "uscc", CertNumber: cert,
			Province: "330000", City: "330100", District: "330106", Address: "杭州市西湖区文三路 1 号",
			Person: beian.Person{Name: "张三", CertType: "resident_id", CertNumber: personID1, Mobile: phone1}},
		Websites: []beian.WebsiteData{{Name: name + "官网", Domains: []string{domain}, Homepage: "www." + domain, ServiceContent: "org_portal",
			Person:    beian.Person{Name: "李四", CertType: "resident_id", CertNumber: personID2, Mobile: phone2},
			ServerIPs: []string{"203.0.113.10"}}}}
}

// toBureau submits the order through the registry and confirms every
// person's SMS code from the registry outbox: the order is in bureau review.
func (e *regEnv) toBureau(tb testing.TB, s beian.Submission) beian.Receipt {
	tb.Helper()
	ctx := context.Background()
	s.SubmittedAt = e.clock.Now()
	rc, err := e.reg.Submit(ctx, provLocal, s, "key-"+s.OrderNumber)
	if err != nil {
		tb.Fatalf("submit %s: %v", s.OrderNumber, err)
	}
	for phone, last6 := range map[string]string{phone1: personID1[12:], phone2: personID2[12:]} {
		var data string
		err := e.db.SQL.QueryRowContext(ctx, `SELECT data FROM registry_outbox WHERE recipient = $1 AND channel = 'sms'
			AND template = $2 ORDER BY created_at DESC LIMIT 1`, phone, regulator.TemplateSMSCode).Scan(&data)
		if err != nil {
			tb.Fatal(err)
		}
		var m map[string]string
		if err := json.Unmarshal([]byte(data), &m); err != nil {
			tb.Fatal(err)
		}
		if _, err := e.reg.ConfirmSMS(ctx, m["code"], phone, last6, "test"); err != nil {
			tb.Fatalf("confirm %s: %v", phone, err)
		}
	}
	if st := e.status(tb, rc.SubmissionID); st != regulator.SubmissionBureau {
		tb.Fatalf("status %s after the SMS confirmation", st)
	}
	return rc
}

// status reads a submission's status at the registry.
func (e *regEnv) status(tb testing.TB, id string) string {
	tb.Helper()
	var s string
	if err := e.db.SQL.QueryRowContext(context.Background(), `SELECT status FROM registry_submissions WHERE id = $1`, id).Scan(&s); err != nil {
		tb.Fatal(err)
	}
	return s
}
