package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/beian/beian"
	"github.com/beian/beian/connector"
	"github.com/beian/beian/regulator"
	"github.com/beian/beian/sqlstore"
	"github.com/beian/beian/sqlstore/sqltest"
)

// t0 is 2026-03-02 10:00 CST, a Monday: the pinned clock of these tests.
var t0 = time.Date(2026, 3, 2, 10, 0, 0, 0, beian.CST)

// dsnOf parses a --db URL of dbURL.
func dsnOf(t *testing.T, url string) sqlstore.DSN {
	t.Helper()
	d, err := sqlstore.ParseDSN(url)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// start starts m on 127.0.0.1:0 with the pinned clock until t ends.
func start(t *testing.T, m *Main) *Main {
	t.Helper()
	m.Addr, m.Clock = "127.0.0.1:0", beian.NewManualClock(t0)
	if m.BlobDir == "" {
		m.BlobDir = t.TempDir()
	}
	if err := m.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	return m
}

// firstFiling is a first filing of a Zhejiang enterprise whose domain's
// registration record the registry reg holds (Rule WEB-6).
func firstFiling(t *testing.T, reg *regulator.Registry, order, domain string) beian.Submission {
	t.Helper()
	const orgCert = "91330100MA0000001A"
	err := reg.PutDomainRecord(context.Background(), regulator.DomainRecord{Domain: domain, HolderName: "杭州甲科技有限公司", HolderCertType: "uscc",
		HolderCertNumber: orgCert, Registrar: "阿里云计算有限公司(万网)", RegisteredOn: t0.AddDate(-1, 0, 0), ExpiresOn: t0.AddDate(1, 0, 0), RealNameVerified: true})
	if err != nil {
		t.Fatal(err)
	}
	return beian.Submission{OrderNumber: order, Type: beian.FirstFiling, Province: "330000",
		Subject: beian.SubjectData{Nature: "enterprise", Name: "杭州甲科技有限公司", CertType: "uscc", CertNumber: orgCert,
			Province: "330000", City: "330100", District: "330106", Address: "杭州市西湖区文三路 1 号",
			Person: beian.Person{Name: "张三", CertType: "resident_id", CertNumber: "330106199001011234", Mobile: "13800138000", Email: "zhang@example.com"}},
		Websites: []beian.WebsiteData{{Name: "甲公司官网", Domains: []string{domain}, Homepage: "www." + domain, ServiceContent: "org_portal",
			Person:    beian.Person{Name: "李四", CertType: "resident_id", CertNumber: "110101198001015678", Mobile: "13900139000"},
			ServerIPs: []string{"203.0.113.10"}}},
		SubmittedAt: t0}
}

// API.md: `beian regulator` alone, a provider registered with `beian
// provider add`, and `beian serve --regulator-url --regulator-token`
// reaching the remote registry through its connector.
func TestRemoteRegulator(t *testing.T) {
	for _, eng := range sqltest.Engines(t) {
		t.Run(eng, func(t *testing.T) {
			ctx := context.Background()
			rdb := dbURL(t, eng)
			rm := start(t, &Main{DB: dsnOf(t, rdb), Regulator: true})
			code, cred, stderr := invoke(t, nil, "provider", "add", "--db", rdb, "--name", "远程云")
			cred = strings.TrimSpace(cred)
			if code != 0 || !strings.HasPrefix(cred, regulator.CredentialPrefix) || !strings.Contains(stderr, "registered provider 远程云") {
				t.Fatalf("provider add: %d %q %q", code, cred, stderr)
			}
			if rm.Connector() != nil || len(rm.workers) != 1 || rm.workers[0].Outbox.Table() != "registry_outbox" || len(rm.platform.runners) != 1 {
				t.Fatalf("the regulator alone runs more than the registry: %d workers, %d runners", len(rm.workers), len(rm.platform.runners))
			}
			c := &http.Client{}
			for path, want := range map[string]int{
				"/api/v1/registry/query?domain=www.example.com": 200,
				"/api/v1/registry/providers":                    401,
				"/api/v1/connector/events":                      401, // no credential
				"/readyz":                                       200,
			} {
				if code, body, _ := get(t, c, rm.URL()+path); code != want {
					t.Errorf("regulator %s: %d %s", path, code, body)
				}
			}

			sm := start(t, &Main{DB: sqltest.DSN(t, eng), RegulatorURL: rm.URL(), RegulatorToken: cred})
			if _, ok := sm.Connector().(*connector.HTTP); !ok || len(sm.workers) != 1 || sm.workers[0].Outbox.Table() != "provider_outbox" {
				t.Fatalf("serve with a remote regulator: connector %T, %d workers", sm.Connector(), len(sm.workers))
			}
			for path, want := range map[string]int{
				"/api/v1/registry/query?domain=www.example.com": 404, // the remote regulator owns the registry's routes
				"/api/v1/connector/events":                      404,
			} {
				if code, body, _ := get(t, c, sm.URL()+path); code != want {
					t.Errorf("serve %s: %d %s", path, code, body)
				}
			}
			if code, body, _ := get(t, c, sm.URL()+"/readyz"); code != 200 || !strings.Contains(body, `"regulator":"ok"`) {
				t.Fatalf("serve /readyz: %d %s", code, body)
			}
			s := firstFiling(t, rm.platform.registry, "O-1", "jia-remote.com")
			res, err := sm.Connector().Precheck(ctx, beian.PrecheckRequest{Province: "330000", Nature: "enterprise", CertType: "uscc",
				CertNumber: s.Subject.CertNumber, Domains: []string{"jia-remote.com", "nobody-remote.com"}})
			if err != nil || len(res.Domains) != 2 || len(res.Domains[0].Problems) != 0 || !res.Domains[1].Problems.Has("registry.domain_no_record") {
				t.Fatalf("precheck %+v, %v", res, err)
			}
			rc, err := sm.Connector().Submit(ctx, s, "key-1")
			if err != nil || rc.Duplicate || !rc.AcceptedAt.Equal(t0) {
				t.Fatalf("submit %+v, %v", rc, err)
			}
			// through the regulator's whole middleware chain, the repeat is
			// answered by the registry: a duplicate of the same submission
			if again, err := sm.Connector().Submit(ctx, s, "key-1"); err != nil || !again.Duplicate || again.SubmissionID != rc.SubmissionID {
				t.Fatalf("repeat %+v, %v", again, err)
			}
			var provider string
			if err := rm.db.SQL.QueryRow(`SELECT provider FROM registry_submissions WHERE id = $1`, rc.SubmissionID).Scan(&provider); err != nil || provider != "远程云" {
				t.Fatalf("the regulator holds %q, %v", provider, err)
			}
			if cs, err := sm.Connector().Confirmations(ctx, rc.SubmissionID); err != nil || cs.State != "pending" {
				t.Fatalf("confirmations %+v, %v", cs, err)
			}

			rm.Close()
			if code, body, _ := get(t, c, sm.URL()+"/readyz"); code != 503 || !strings.Contains(body, `"regulator":"unreachable"`) {
				t.Fatalf("serve /readyz with the regulator away: %d %s", code, body)
			}
			if _, err := sm.Connector().Submit(ctx, s, "key-1"); !beian.IsKind(err, beian.KindUnavailable) {
				t.Fatalf("submit with the regulator away: %v", err)
			}
		})
	}
}

// A wrong credential makes serve not ready, and says why.
func TestRemoteRegulatorRefusesCredential(t *testing.T) {
	rm := start(t, &Main{DB: sqltest.DSN(t, sqlstore.SQLite), Regulator: true})
	sm := start(t, &Main{DB: sqltest.DSN(t, sqlstore.SQLite), RegulatorURL: rm.URL(), RegulatorToken: regulator.CredentialPrefix + "not-issued"})
	if code, body, _ := get(t, &http.Client{}, sm.URL()+"/readyz"); code != 503 || !strings.Contains(body, "credential refused") {
		t.Fatalf("/readyz: %d %s", code, body)
	}
}

// The all-in-one registers its own provider at the built-in registry at
// every start, once, and its connector is the in-process one under that name.
func TestServeRegistersItsProvider(t *testing.T) {
	dsn := sqltest.DSN(t, sqlstore.SQLite)
	for i := range 2 {
		m := start(t, &Main{DB: dsn})
		c, ok := m.Connector().(*regulator.Connector)
		if !ok || c.Provider != DefaultProviderName {
			t.Fatalf("start %d: connector %#v", i, m.Connector())
		}
		if _, err := c.Precheck(context.Background(), beian.PrecheckRequest{Province: "330000", Domains: []string{"example.com"}}); err != nil {
			t.Fatalf("start %d: precheck %v", i, err)
		}
		ps, err := m.platform.registry.Providers(context.Background())
		if err != nil || len(ps) != 1 || ps[0].Name != DefaultProviderName || ps[0].CredentialHint != "" {
			t.Fatalf("start %d: providers %+v, %v", i, ps, err)
		}
		if code, _, _ := get(t, &http.Client{}, m.URL()+"/api/v1/connector/events"); code != 401 {
			t.Fatalf("start %d: the built-in registry's connector routes answer %d without a credential", i, code)
		}
		m.Close()
	}
	m := start(t, &Main{DB: dsn, ProviderName: "甲云"})
	if c := m.Connector().(*regulator.Connector); c.Provider != "甲云" {
		t.Fatalf("provider %q", c.Provider)
	}
}

func TestServerSettingsErrors(t *testing.T) {
	for _, tc := range []struct {
		name   string
		args   []string
		errHas string
	}{
		{"ErrTokenWithoutURL", []string{"serve", "--regulator-token", "bpc_x"}, "go together"},
		{"ErrRegulatorURLScheme", []string{"serve", "--regulator-url", "ftp://x", "--regulator-token", "bpc_x"}, "not an http(s) URL"},
		{"ErrProviderName", []string{"serve", "--provider-name", " "}, "--provider-name"},
		{"ErrRegulatorBadAddr", []string{"regulator", "--addr", "8081"}, "beian regulator: --addr"},
		{"ErrRegulatorHasNoRemote", []string{"regulator", "--regulator-url", "http://x"}, "unknown flag -regulator-url"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if code, _, stderr := invoke(t, nil, tc.args...); code != 2 || !strings.Contains(stderr, tc.errHas) {
				t.Fatalf("exit %d, stderr %q; want 2 and %q", code, stderr, tc.errHas)
			}
		})
	}
	if err := (&Main{Regulator: true, RegulatorURL: "http://x", RegulatorToken: "t"}).Run(context.Background()); err == nil || !strings.Contains(err.Error(), "drop --regulator-url") {
		t.Fatalf("regulator with a remote regulator: %v", err)
	}
}

// except leaves the paths under its prefix to the handler alone.
func TestExcept(t *testing.T) {
	mark := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("X-Marked", "1")
			next.ServeHTTP(w, r)
		})
	}
	h := except("/api/v1/connector/", mark)(http.NotFoundHandler())
	for path, want := range map[string]string{"/api/v1/connector/events": "", "/api/v1/orders": "1", "/api/v1/connectors": "1"} {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest("GET", path, nil))
		if got := w.Header().Get("X-Marked"); got != want {
			t.Errorf("%s: marked %q, want %q", path, got, want)
		}
	}
}
