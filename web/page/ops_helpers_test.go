package page

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/beian/beian"
	"github.com/beian/beian/identity"
	"github.com/beian/beian/provider"
	"github.com/beian/beian/sqlstore"
	"github.com/beian/beian/sqlstore/providerdb"
	"github.com/beian/beian/sqlstore/sqltest"
	"github.com/beian/beian/workflow"
)

// oMon is Monday 2026-11-30 10:00 CST; no holiday in the weeks used.
var oMon = time.Date(2026, 11, 30, 10, 0, 0, 0, beian.CST)

// oEnv is the provider service on a fresh database and the ops page on it.
type oEnv struct {
	svc   *provider.Service
	clock *beian.ManualClock
	h     http.Handler
	ctx   context.Context
	n     int // accounts made so far
}

// opsEach runs fn on both engines with the ops dashboard's handler: the
// request's principal comes from the X-Test-As header (its role), as
// identity.Authenticate would put it in the context.
func opsEach(t *testing.T, fn func(t *testing.T, e *oEnv)) {
	t.Helper()
	clock := beian.NewManualClock(oMon)
	sqltest.Each(t, clock, func(t *testing.T, db *sqlstore.DB) {
		clock.Set(oMon)
		e := &oEnv{clock: clock, ctx: context.Background()}
		e.h = opsHandler(t, db, &e.svc)
		fn(t, e)
	})
}

// opsHandler builds the provider service on db (stored in *svc) and the
// ops routes behind the test principal of X-Test-As.
func opsHandler(tb testing.TB, db *sqlstore.DB, svc **provider.Service) http.Handler {
	tb.Helper()
	s, err := provider.New(db, nil, nil, nil)
	if err != nil {
		tb.Fatal(err)
	}
	*svc = s
	p, err := New(Options{Provider: s, Viewer: func(r *http.Request) Viewer {
		pr, ok := identity.FromContext(r.Context())
		if !ok {
			return Viewer{}
		}
		return Viewer{Login: pr.Login, Role: string(pr.Role), Context: pr.Context, CSRF: pr.CSRF, SignedIn: true}
	}})
	if err != nil {
		tb.Fatal(err)
	}
	mux := http.NewServeMux()
	p.OpsRoutes(mux)
	return SecurityHeaders(p.LangCookie(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if as := r.Header.Get("X-Test-As"); as != "" {
			r = r.WithContext(identity.WithPrincipal(r.Context(), identity.Principal{Context: identity.ContextProvider, AccountID: 3,
				Login: "ops", Role: beian.Role(as), CSRF: bCSRF, Via: identity.ViaSession}))
		}
		mux.ServeHTTP(w, r)
	})))
}

// get answers a GET as the role ("" for anonymous).
func (e *oEnv) get(tb testing.TB, as, target string) *httptest.ResponseRecorder {
	tb.Helper()
	r := httptest.NewRequest("GET", target, nil)
	r.Header.Set("Accept", "text/html")
	if as != "" {
		r.Header.Set("X-Test-As", as)
	}
	w := httptest.NewRecorder()
	e.h.ServeHTTP(w, r)
	return w
}

// order creates a first filing in Zhejiang for a new customer (the
// certificate cert) through the provider's store.
func (e *oEnv) order(tb testing.TB, cert string) beian.Order {
	tb.Helper()
	e.n++
	a, err := e.svc.Store.CreateAccount(e.ctx, beian.Account{Login: "c" + itoa64(int64(e.n)), Role: beian.RoleCustomer}, "x", "test")
	if err != nil {
		tb.Fatal(err)
	}
	o, err := e.svc.Store.CreateOrder(e.ctx, providerdb.NewOrder{AccountID: a.ID, Type: beian.FirstFiling, Nature: "individual",
		Name: "张三", Province: "330000", CertType: "resident_id", CertNumber: cert, Actor: "test", Data: []byte(`{}`)})
	if err != nil {
		tb.Fatal(err)
	}
	return o
}

// move moves the order by the event at the time.
func (e *oEnv) move(tb testing.TB, o beian.Order, ev workflow.Event, by workflow.Actor, at time.Time) beian.Order {
	tb.Helper()
	e.clock.Set(at)
	o, err := e.svc.Store.Transition(e.ctx, providerdb.Move{OrderID: o.ID, Version: o.Version, Event: ev, By: by, Actor: "test", NewResponsiblePerson: true})
	if err != nil {
		tb.Fatalf("%s: %v", ev, err)
	}
	return o
}

// oDay is oMon plus d days at hour h.
func oDay(d, h int) time.Time { return oMon.AddDate(0, 0, d).Add(time.Duration(h-10) * time.Hour) }
