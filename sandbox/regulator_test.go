package sandbox_test

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/beian/beian"
	"github.com/beian/beian/calendar"
	"github.com/beian/beian/i18n"
	"github.com/beian/beian/regulator"
	"github.com/beian/beian/sandbox"
	"github.com/beian/beian/sqlstore"
	"github.com/beian/beian/sqlstore/sqltest"
)

// routes are the sandbox's regulator routes with a body each accepts.
var routes = []struct{ method, path, body string }{
	{"POST", "/api/v1/sandbox/domains", domainJSON("jia.cn", "uscc", uscc1)},
	{"POST", "/api/v1/sandbox/registry", `{"unit_name":"甲","nature":"enterprise","province":"浙江","websites":[{"name":"甲站","domains":["jia.cn"],"providers":["乙云"]}]}`},
	{"GET", "/api/v1/sandbox/bureau-policy", ""},
	{"PUT", "/api/v1/sandbox/bureau-policy", `{"mode":"manual"}`},
	{"POST", "/api/v1/sandbox/app-verifications", `{"order_number":"O-1","name":"张三","cert_type":"resident_id","cert_number":"` + personID1 + `","mobile":"` + phone1 + `"}`},
}

// Without --sandbox the routes do not exist (404); with it they need the
// registry_admin role: anonymous 401, any other role 403.
func TestRegulatorRoutesAccess(t *testing.T) {
	t.Parallel()
	sqltest.Each(t, nil, func(t *testing.T, db *sqlstore.DB) {
		e := newRegEnv(t, db, t0)
		off := &sandbox.Surface{DB: db, Registry: e.reg}
		offMux := http.NewServeMux()
		off.Routes(offMux)
		for _, rt := range routes {
			t.Run("NotFoundDisabled"+rt.method+rt.path, func(t *testing.T) {
				wantError(t, do(t, withRole(offMux), rt.method, rt.path, rt.body), http.StatusNotFound, beian.KindNotFound, "")
			})
			t.Run("ErrAnonymous"+rt.method+rt.path, func(t *testing.T) {
				wantError(t, do(t, e.handler, rt.method, rt.path, rt.body, "X-Role", "none"), http.StatusUnauthorized, beian.KindUnauthenticated, "auth.required")
			})
			for _, role := range []beian.Role{beian.RoleCustomer, beian.RoleBureauReviewer, beian.RoleProviderAdmin} {
				t.Run("ErrForbidden"+string(role)+rt.method+rt.path, func(t *testing.T) {
					wantError(t, do(t, e.handler, rt.method, rt.path, rt.body, "X-Role", string(role)), http.StatusForbidden, beian.KindForbidden, "auth.role")
				})
			}
		}
		if n := e.count(t, `SELECT COUNT(*) FROM registry_domain_records`) + e.count(t, `SELECT COUNT(*) FROM sandbox_app_codes`); n != 0 {
			t.Errorf("refused requests wrote %d rows", n)
		}
		for _, rt := range routes {
			t.Run("OK"+rt.method+rt.path, func(t *testing.T) {
				if w := do(t, e.handler, rt.method, rt.path, rt.body); w.Code != http.StatusOK && w.Code != http.StatusCreated {
					t.Fatalf("status %d: %s", w.Code, w.Body)
				}
			})
		}
	})
}

// count runs a COUNT query.
func (e *regEnv) count(tb testing.TB, query string, args ...any) int {
	tb.Helper()
	var n int
	if err := e.db.SQL.QueryRowContext(context.Background(), query, args...).Scan(&n); err != nil {
		tb.Fatal(err)
	}
	return n
}

// problemAt checks a 422 answer with a problem of the code at the field.
func problemAt(tb testing.TB, body []byte, code, field string) {
	tb.Helper()
	var b i18n.ErrorBody
	if err := json.Unmarshal(body, &b); err != nil {
		tb.Fatal(err)
	}
	for _, p := range b.Errors {
		if p.Code == code && p.Field == field && p.Message != "" && p.Message != code {
			return
		}
	}
	tb.Fatalf("no %s at %s in %s", code, field, body)
}

// Rule WEB-6's records: one object or a list, all or none, each problem at
// its field (no index for a single object).
func TestSandboxDomains(t *testing.T) {
	t.Parallel()
	sqltest.Each(t, nil, func(t *testing.T, db *sqlstore.DB) {
		e := newRegEnv(t, db, t0)
		t.Run("OKOne", func(t *testing.T) {
			var a struct{ Domains []string }
			e.call(t, "POST", "/api/v1/sandbox/domains", domainJSON("例子.中国", "uscc", uscc1), http.StatusOK, &a)
			if !slices.Equal(a.Domains, []string{"xn--fsqu00a.xn--fiqs8s"}) {
				t.Fatalf("answer %+v", a)
			}
		})
		t.Run("OKListReplaces", func(t *testing.T) {
			e.call(t, "POST", "/api/v1/sandbox/domains", "["+domainJSON("jia.cn", "uscc", uscc1)+","+domainJSON("例子.中国", "uscc", uscc2)+"]", http.StatusOK, nil)
			rec, err := e.reg.DomainRecordOf(context.Background(), "例子.中国")
			if err != nil || rec.HolderCertNumber != uscc2 || !rec.RealNameVerified {
				t.Fatalf("%+v, %v", rec, err)
			}
		})
		t.Run("ErrOneField", func(t *testing.T) {
			w := do(t, e.handler, "POST", "/api/v1/sandbox/domains", strings.Replace(domainJSON("bad.cn", "uscc", uscc1), `"registrar":"阿里云计算有限公司(万网)"`, `"registrar":""`, 1))
			if w.Code != http.StatusUnprocessableEntity {
				t.Fatalf("%d %s", w.Code, w.Body)
			}
			problemAt(t, w.Body.Bytes(), "registry.required", "registrar")
		})
		t.Run("ErrListFieldNothingWritten", func(t *testing.T) {
			bad := strings.Replace(domainJSON("www.bad.cn", "uscc", uscc1), `"expires_on":"2030-01-15"`, `"expires_on":"2030-13-01"`, 1)
			w := do(t, e.handler, "POST", "/api/v1/sandbox/domains", "["+domainJSON("good.cn", "uscc", uscc1)+","+bad+"]")
			if w.Code != http.StatusUnprocessableEntity {
				t.Fatalf("%d %s", w.Code, w.Body)
			}
			problemAt(t, w.Body.Bytes(), "registry.domain_invalid", "[1].domain")
			problemAt(t, w.Body.Bytes(), "sandbox.domain_date", "[1].expires_on")
			if _, err := e.reg.DomainRecordOf(context.Background(), "good.cn"); !beian.IsKind(err, beian.KindNotFound) {
				t.Fatalf("good.cn written: %v", err)
			}
		})
		t.Run("ErrUnknownField", func(t *testing.T) {
			w := do(t, e.handler, "POST", "/api/v1/sandbox/domains", `[{"domain":"a.cn","owner":"x"}]`)
			wantError(t, w, http.StatusBadRequest, beian.KindBadRequest, "request.bad_json", "detail", `unknown field "owner"`)
		})
		t.Run("ErrEmptyList", func(t *testing.T) {
			wantError(t, do(t, e.handler, "POST", "/api/v1/sandbox/domains", `[]`), http.StatusBadRequest, beian.KindBadRequest,
				"sandbox.domain_count", "max", strconv.Itoa(regulator.MaxSeedDomains))
		})
	})
}

// Rules OTH-1, TYPE-1: a filing seeded through another provider, with its
// certificate and password, is found by the precheck as the certificate's
// subject served by that provider: a transfer-in, which its password opens.
func TestSandboxRegistry(t *testing.T) {
	t.Parallel()
	sqltest.Each(t, nil, func(t *testing.T, db *sqlstore.DB) {
		e := newRegEnv(t, db, t0)
		ctx := context.Background()
		body := `{"unit_name":"杭州甲科技有限公司","nature":"enterprise","province":"330000","cert_type":"uscc","cert_number":"` + uscc1 +
			`","password":"Sandbox-2026","websites":[{"name":"甲公司官网","home_url":"www.jia.cn","domains":["jia.cn"],"providers":["乙云"]}]}`
		var a struct{ Filings []regulator.SeededFiling }
		e.call(t, "POST", "/api/v1/sandbox/registry", body, http.StatusOK, &a)
		if len(a.Filings) != 1 || a.Filings[0].SubjectNumber != "浙ICP备2026000001号" || !a.Filings[0].PasswordSet ||
			!slices.Equal(a.Filings[0].Websites, []string{"浙ICP备2026000001号-1"}) {
			t.Fatalf("answer %+v", a)
		}
		t.Run("OKPrecheckFindsTransferIn", func(t *testing.T) {
			e.call(t, "POST", "/api/v1/sandbox/domains", domainJSON("jia.cn", "uscc", uscc1), http.StatusOK, nil)
			res, err := e.reg.Precheck(ctx, beian.PrecheckRequest{Province: "330000", Nature: "enterprise", CertType: "uscc", CertNumber: uscc1, Domains: []string{"jia.cn"}})
			if err != nil || res.SubjectNumber != "浙ICP备2026000001号" || !slices.Equal(res.SubjectProviders, []string{provOther}) ||
				len(res.Filed) != 1 || !res.Filed[0].SameSubject || len(res.Conflicts) != 0 || len(res.Domains[0].Problems) != 0 {
				t.Fatalf("precheck %+v, %v", res, err)
			}
			if _, err := e.reg.CheckTransferIn(ctx, "浙ICP备2026000001号-1", "Sandbox-2026"); err != nil {
				t.Fatalf("transfer-in check: %v", err)
			}
		})
		t.Run("ErrCertFiledOneObject", func(t *testing.T) {
			w := do(t, e.handler, "POST", "/api/v1/sandbox/registry", strings.Replace(body, "jia.cn", "jia2.cn", -1))
			if w.Code != http.StatusUnprocessableEntity {
				t.Fatalf("%d %s", w.Code, w.Body)
			}
			problemAt(t, w.Body.Bytes(), "registry.subject_conflict", "cert_number")
		})
		t.Run("ErrListField", func(t *testing.T) {
			other := strings.NewReplacer(uscc1, uscc2, "jia.cn", "yi.cn", `"providers":["乙云"]`, `"providers":[]`).Replace(body)
			w := do(t, e.handler, "POST", "/api/v1/sandbox/registry", "["+other+"]")
			if w.Code != http.StatusUnprocessableEntity {
				t.Fatalf("%d %s", w.Code, w.Body)
			}
			problemAt(t, w.Body.Bytes(), "registry.required", "[0].websites[0].providers")
		})
		t.Run("ErrEmptyList", func(t *testing.T) {
			wantError(t, do(t, e.handler, "POST", "/api/v1/sandbox/registry", `[]`), http.StatusBadRequest, beian.KindBadRequest,
				"sandbox.seed_count", "max", strconv.Itoa(regulator.MaxSeedFilings))
		})
	})
}

// API.md's bureau policy: auto with reject_share 0 at first; PUT keeps it
// in the database; a bad body is refused.
func TestSandboxBureauPolicy(t *testing.T) {
	t.Parallel()
	sqltest.Each(t, nil, func(t *testing.T, db *sqlstore.DB) {
		e := newRegEnv(t, db, t0)
		var p regulator.BureauPolicy
		e.call(t, "GET", "/api/v1/sandbox/bureau-policy", "", http.StatusOK, &p)
		if p != (regulator.BureauPolicy{Mode: "auto"}) {
			t.Fatalf("default %+v", p)
		}
		e.call(t, "PUT", "/api/v1/sandbox/bureau-policy", `{"mode":"manual","reject_share":0.3,"seed":99}`, http.StatusOK, nil)
		e.call(t, "GET", "/api/v1/sandbox/bureau-policy", "", http.StatusOK, &p)
		if p != (regulator.BureauPolicy{Mode: "manual", RejectShare: 0.3, Seed: 99}) {
			t.Fatalf("stored %+v", p)
		}
		for _, tc := range []struct{ name, body, code, field string }{
			{"ErrNoMode", `{"reject_share":0.5}`, "sandbox.policy_mode", "mode"},
			{"ErrShare", `{"mode":"auto","reject_share":2}`, "sandbox.policy_reject_share", "reject_share"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				w := do(t, e.handler, "PUT", "/api/v1/sandbox/bureau-policy", tc.body)
				if w.Code != http.StatusUnprocessableEntity {
					t.Fatalf("%d %s", w.Code, w.Body)
				}
				problemAt(t, w.Body.Bytes(), tc.code, tc.field)
			})
		}
		t.Run("ErrBadJSON", func(t *testing.T) {
			w := do(t, e.handler, "PUT", "/api/v1/sandbox/bureau-policy", `{"mode":"auto","seed":"x"}`)
			wantError(t, w, http.StatusBadRequest, beian.KindBadRequest, "request.bad_json", "detail", "field seed has the wrong type")
		})
	})
}

// Rules REV-2, REV-5 end to end: in auto mode the sandbox bureau decides
// an order when POST /api/v1/sandbox/clock reaches its due date, not a
// business day before; with reject_share 1 it rejects with items.
func TestSandboxAutoBureau(t *testing.T) {
	t.Parallel()
	sqltest.Each(t, nil, func(t *testing.T, db *sqlstore.DB) {
		e := newRegEnv(t, db, t0)
		e.call(t, "POST", "/api/v1/sandbox/domains", "["+domainJSON("jia.cn", "uscc", uscc1)+","+domainJSON("yi.cn", "uscc", uscc2)+"]", http.StatusOK, nil)
		approved := e.toBureau(t, firstFiling("O-1", uscc1, "杭州甲科技有限公司", "jia.cn"))
		days := 0 // Rule REV-2: Zhejiang's 30 business days, over 中秋 and 国庆
		for d, _ := calendar.Default().AddBusinessDays(t0, days); d.Before(approved.DueDate); d, _ = calendar.Default().AddBusinessDays(t0, days) {
			days++
		}
		e.call(t, "POST", "/api/v1/sandbox/clock", `{"advance_business_days":`+strconv.Itoa(days-1)+`}`, http.StatusOK, nil)
		if st := e.status(t, approved.SubmissionID); st != regulator.SubmissionBureau {
			t.Fatalf("status %s a business day before the due date", st)
		}
		a := decodeClock(t, do(t, e.handler, "POST", "/api/v1/sandbox/clock", `{"advance_business_days":1}`))
		if *a.Fired < 1 || e.status(t, approved.SubmissionID) != regulator.SubmissionApproved {
			t.Fatalf("fired %d, status %s at the due date", *a.Fired, e.status(t, approved.SubmissionID))
		}
		e.call(t, "PUT", "/api/v1/sandbox/bureau-policy", `{"mode":"auto","reject_share":1,"seed":5}`, http.StatusOK, nil)
		rejected := e.toBureau(t, firstFiling("O-2", uscc2, "杭州乙科技有限公司", "yi.cn"))
		e.call(t, "POST", "/api/v1/sandbox/clock", `{"set":"`+rejected.DueDate.Format("2006-01-02T15:04:05Z07:00")+`"}`, http.StatusOK, nil)
		if st := e.status(t, rejected.SubmissionID); st != regulator.SubmissionRejected {
			t.Fatalf("status %s with reject_share 1", st)
		}
		page, err := e.reg.Events(context.Background(), provLocal, "", regulator.MaxEventPage)
		if err != nil {
			t.Fatal(err)
		}
		last := page.Events[len(page.Events)-1]
		var rp beian.RejectedPayload
		if err := json.Unmarshal(last.Payload, &rp); err != nil || last.Type != beian.EventRejected || len(rp.Items) == 0 || rp.Items[0].Reason == "" {
			t.Fatalf("last event %+v (%s): %v", last, last.Payload, err)
		}
	})
}

// Every code the sandbox's regulator routes answer with has a message in
// every language.
func TestRegulatorCodesHaveMessages(t *testing.T) {
	t.Parallel()
	for _, code := range []string{"sandbox.policy_mode", "sandbox.policy_reject_share", "sandbox.seed_count", "sandbox.seed_password",
		"sandbox.seed_approved_on", "sandbox.seed_websites", "sandbox.seed_cert_mismatch", "sandbox.seed_subject_number",
		"sandbox.seed_website_number", "sandbox.seed_province_mismatch", "sandbox.seed_subject_mismatch", "sandbox.seed_website_duplicate",
		"sandbox.domain_count", "sandbox.domain_date", "sandbox.domain_dates", "sandbox.domain_duplicate", "sandbox.app_order",
		"sandbox.app_cert_type", "sandbox.app_code_wrong", "sandbox.app_code_used", "sandbox.app_code_expired", "sandbox.app_code_person"} {
		for _, lang := range i18n.Langs {
			if !i18n.Default().Has(lang, code) {
				t.Errorf("%s: no message for %s", lang, code)
			}
		}
	}
}
