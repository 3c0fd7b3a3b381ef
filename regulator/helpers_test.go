package regulator

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/beian/beian"
	"github.com/beian/beian/sqlstore"
	"github.com/beian/beian/sqlstore/sqltest"
)

// t0 is 2026-03-02 10:00 CST, a Monday.
var t0 = time.Date(2026, 3, 2, 10, 0, 0, 0, beian.CST)

// env is one registry on a fresh database with a manual clock.
type env struct {
	*Registry
	clock *beian.ManualClock
	ctx   context.Context
}

// each runs fn on a fresh registry per engine (sqltest.Each).
func each(t *testing.T, fn func(t *testing.T, e *env)) {
	t.Helper()
	clock := beian.NewManualClock(t0)
	sqltest.Each(t, clock, func(t *testing.T, db *sqlstore.DB) {
		clock.Set(t0)
		r, err := New(db)
		if err != nil {
			t.Fatal(err)
		}
		fn(t, &env{Registry: r, clock: clock, ctx: context.Background()})
	})
}

// subject creates an active subject of the province with the certificate.
func (e *env) subject(tb testing.TB, province, nature, name, certType, cert string) Subject {
	tb.Helper()
	s, err := e.CreateSubject(e.ctx, SubjectInput{Province: province, Nature: nature, UnitName: name, CertType: certType, CertNumber: cert})
	if err != nil {
		tb.Fatalf("create subject %s: %v", name, err)
	}
	return s
}

// org creates an enterprise subject in Zhejiang.
func (e *env) org(tb testing.TB, name, uscc string) Subject {
	tb.Helper()
	return e.subject(tb, "浙江", "enterprise", name, "uscc", uscc)
}

// website adds an active website with the domains, served by the providers.
func (e *env) website(tb testing.TB, s Subject, name string, domains []string, providers ...string) Website {
	tb.Helper()
	w, err := e.AddWebsite(e.ctx, s.ID, WebsiteInput{Name: name, HomeURL: "www." + domains[0], Domains: domains, ServiceContent: "org_portal", Providers: providers})
	if err != nil {
		tb.Fatalf("add website %s: %v", name, err)
	}
	return w
}

// goodRecord is a registration record that passes every WEB-6 check for the holder.
func goodRecord(domain, certType, cert string) DomainRecord {
	return DomainRecord{Domain: domain, HolderName: "持有人", HolderCertType: certType, HolderCertNumber: cert,
		Registrar: "阿里云计算有限公司(万网)", RegisteredOn: t0.AddDate(-1, 0, 0), ExpiresOn: t0.AddDate(1, 0, 0), RealNameVerified: true}
}

// put stores a domain record.
func (e *env) put(tb testing.TB, rec DomainRecord) {
	tb.Helper()
	if err := e.PutDomainRecord(e.ctx, rec); err != nil {
		tb.Fatalf("put domain record %s: %v", rec.Domain, err)
	}
}

// problemCode returns the first problem of an error, or zero values.
func problemCode(err error) (code, rule, field string, args map[string]string) {
	var e *beian.Error
	if !errors.As(err, &e) || len(e.Problems) == 0 {
		return "", "", "", nil
	}
	p := e.Problems[0]
	return p.Code, p.Rule, p.Field, p.Args
}

// codeOf returns the code of an *beian.Error, or "".
func codeOf(err error) string {
	var e *beian.Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

// asError is errors.As for *beian.Error.
func asError(err error, target **beian.Error) bool { return errors.As(err, target) }
