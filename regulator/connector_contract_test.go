package regulator

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"testing"
	"time"

	"github.com/beian/beian"
	"github.com/beian/beian/connector"
)

// contractImpl is one implementation of beian.Connector under the
// contract suite: connect returns provider's connector to e's registry.
type contractImpl struct {
	name    string
	connect func(t *testing.T, e *env, provider string) beian.Connector
}

// contractImpls are the in-process connector and the HTTP client talking
// to ConnectorRoutes with the provider's credential.
var contractImpls = []contractImpl{
	{"InProcess", func(t *testing.T, e *env, provider string) beian.Connector {
		return &Connector{Registry: e.Registry, Provider: provider}
	}},
	{"HTTP", func(t *testing.T, e *env, provider string) beian.Connector {
		return &connector.HTTP{BaseURL: e.connectorServer(t), Token: e.credential(t, provider)}
	}},
}

// connectorServer serves e's ConnectorRoutes until t ends and returns its URL.
func (e *env) connectorServer(t *testing.T) string {
	t.Helper()
	mux := http.NewServeMux()
	e.ConnectorRoutes(mux)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv.URL
}

// credential registers the provider and returns its credential.
func (e *env) credential(t *testing.T, provider string) string {
	t.Helper()
	_, cred, err := e.AddProvider(e.ctx, provider)
	if err != nil {
		t.Fatal(err)
	}
	return cred
}

// errShape is what the connector contract says an error carries.
type errShape struct {
	Kind     beian.Kind
	Code     string
	Args     map[string]string
	Problems beian.Problems
}

// shapeOf returns err's *beian.Error without its cause, empty maps as nil.
func shapeOf(err error) errShape {
	var e *beian.Error
	if !errors.As(err, &e) {
		return errShape{Kind: beian.KindOf(err)}
	}
	s := errShape{Kind: e.Kind, Code: e.Code, Args: e.Args}
	if len(s.Args) == 0 {
		s.Args = nil
	}
	for _, p := range e.Problems {
		if len(p.Args) == 0 {
			p.Args = nil
		}
		s.Problems = append(s.Problems, p)
	}
	return s
}

// wantErr fails t unless err has the kind and code.
func wantErr(t *testing.T, err error, kind beian.Kind, code string) {
	t.Helper()
	if s := shapeOf(err); s.Kind != kind || s.Code != code {
		t.Fatalf("got %v (%+v), want %s %s", err, s, kind, code)
	}
}

// The connector contract (beian.Connector, docs/connector.md), run on both
// connectors and both engines: the same answers and the same errors.
func TestConnectorContract(t *testing.T) {
	t.Parallel()
	for _, impl := range contractImpls {
		t.Run(impl.name, func(t *testing.T) {
			each(t, func(t *testing.T, e *env) {
				ca, cb := impl.connect(t, e, provA), impl.connect(t, e, provB)
				submissions := func() int { return e.count(t, `SELECT COUNT(*) FROM registry_submissions`) }
				s := e.firstFiling(t, "O-1")
				t.Run("Precheck", func(t *testing.T) {
					res, err := ca.Precheck(e.ctx, beian.PrecheckRequest{Province: "330000", Nature: "enterprise", CertType: "uscc", CertNumber: orgCert,
						Domains: []string{siteDomain, "no-record.com"}})
					if err != nil || len(res.Domains) != 2 || len(res.Domains[0].Problems) != 0 || !res.Domains[1].Problems.Has("registry.domain_no_record") {
						t.Fatalf("precheck %+v, %v", res, err)
					}
				})
				t.Run("ErrInvalidKeepsEveryProblem", func(t *testing.T) { // Rule WEB-6
					bad := e.firstFiling(t, "O-0")
					bad.Websites[0].Domains, bad.Websites[0].Homepage = []string{"no-record.com"}, "www.no-record.com"
					_, want := e.Registry.Submit(e.ctx, provA, bad, "direct")
					_, got := ca.Submit(e.ctx, bad, "k0")
					if want == nil || !reflect.DeepEqual(shapeOf(got), shapeOf(want)) {
						t.Fatalf("got %+v, want %+v", shapeOf(got), shapeOf(want))
					}
					if n := submissions(); n != 0 {
						t.Fatalf("%d submissions stored", n)
					}
				})
				rc, err := ca.Submit(e.ctx, s, "k1")
				if err != nil || rc.Duplicate || rc.SubmissionID == "" || !rc.AcceptedAt.Equal(t0) || rc.DueDate.IsZero() {
					t.Fatalf("submit %+v, %v", rc, err)
				}
				t.Run("DuplicateSameKeyCreatesNothing", func(t *testing.T) {
					e.clock.Advance(time.Minute)
					again, err := ca.Submit(e.ctx, s, "k1")
					if err != nil || !again.Duplicate || again.SubmissionID != rc.SubmissionID || !again.AcceptedAt.Equal(rc.AcceptedAt) || !again.DueDate.Equal(rc.DueDate) {
						t.Fatalf("again %+v, %v; first %+v", again, err, rc)
					}
					if n := submissions(); n != 1 {
						t.Fatalf("%d submissions", n)
					}
				})
				t.Run("ErrSameKeyOtherRequest", func(t *testing.T) {
					other := s
					other.OrderNumber = "O-2"
					_, err := ca.Submit(e.ctx, other, "k1")
					wantErr(t, err, beian.KindConflict, "registry.idempotency_conflict")
				})
				t.Run("ErrNoKey", func(t *testing.T) {
					_, err := ca.Submit(e.ctx, s, "")
					wantErr(t, err, beian.KindBadRequest, "registry.idempotency_key")
					if shapeOf(err).Args["max"] != "200" {
						t.Fatalf("args %v", shapeOf(err).Args)
					}
				})
				t.Run("Confirmations", func(t *testing.T) { // Rule VER-3
					cs, err := ca.Confirmations(e.ctx, rc.SubmissionID)
					if err != nil || cs.State != "pending" || len(cs.Persons) != 2 || cs.Persons[0].MaskedPhone != "138****8000" {
						t.Fatalf("confirmations %+v, %v", cs, err)
					}
					_, err = cb.Confirmations(e.ctx, rc.SubmissionID)
					wantErr(t, err, beian.KindNotFound, "registry.submission_not_found")
				})
				e.confirmSubmission(t, rc.SubmissionID)
				res, err := e.Decide(e.ctx, zj, rc.SubmissionID, Decision{Approve: true})
				if err != nil {
					t.Fatal(err)
				}
				t.Run("EventsPaging", func(t *testing.T) {
					all, err := ca.Events(e.ctx, "", 0)
					if err != nil || len(all.Events) < 2 || all.Events[0].Type != beian.EventSMSConfirmed || all.Next != fmt.Sprint(all.Events[len(all.Events)-1].ID) {
						t.Fatalf("all %+v, %v", all, err)
					}
					cursor := ""
					for i, want := range all.Events {
						page, err := ca.Events(e.ctx, cursor, 1)
						if err != nil || len(page.Events) != 1 || page.Events[0].ID != want.ID || page.Events[0].Type != want.Type ||
							string(page.Events[0].Payload) != string(want.Payload) || !page.Events[0].At.Equal(want.At) {
							t.Fatalf("page %d: %+v, %v; want %+v", i, page, err, want)
						}
						cursor = page.Next
					}
					if page, err := ca.Events(e.ctx, cursor, 1); err != nil || len(page.Events) != 0 || page.Next != cursor {
						t.Fatalf("after the last: %+v, %v", page, err)
					}
					if page, err := cb.Events(e.ctx, "", 0); err != nil || len(page.Events) != 0 || page.Next != "" {
						t.Fatalf("another provider's events: %+v, %v", page, err)
					}
					_, err = ca.Events(e.ctx, "x", 1)
					wantErr(t, err, beian.KindBadRequest, "registry.cursor_invalid")
				})
				w1 := res.Websites[0]
				t.Run("Filing", func(t *testing.T) {
					f, err := cb.Filing(e.ctx, w1)
					if err != nil || f.SubjectNumber != res.SubjectNumber || f.Status != StatusActive || len(f.Websites) != 1 || f.Websites[0].Providers[0] != provA {
						t.Fatalf("filing %+v, %v", f, err)
					}
					_, err = ca.Filing(e.ctx, "浙ICP备2026999999号")
					wantErr(t, err, beian.KindNotFound, "registry.number_not_found")
				})
				t.Run("TransferCheckThenRateLimited", func(t *testing.T) { // Rules OTH-1, PWD-2
					_, err := cb.CheckTransferIn(e.ctx, res.SubjectNumber, "wrong-password")
					if s := shapeOf(err); s.Kind != beian.KindInvalid || !s.Problems.Has("registry.transfer_check_failed") || s.Problems[0].Field != "password" {
						t.Fatalf("wrong password: %v", err)
					}
					for i := 0; i < 10 && !beian.IsKind(err, beian.KindRateLimited); i++ {
						_, err = cb.CheckTransferIn(e.ctx, res.SubjectNumber, "wrong-password")
					}
					wantErr(t, err, beian.KindRateLimited, "registry.transfer_check_rate_limited")
					if ra := shapeOf(err).Args["retry_after"]; ra == "" || ra == "0" {
						t.Fatalf("retry_after %q", ra)
					}
				})
				t.Run("CancelAccess", func(t *testing.T) { // Rule CAN-5
					req := beian.CancelAccessRequest{OrderNumber: "O-9", WebsiteNumber: w1}
					_, err := cb.CancelAccess(e.ctx, req, "kc")
					wantErr(t, err, beian.KindNotFound, "registry.access_not_found")
					first, err := ca.CancelAccess(e.ctx, req, "kc")
					if err != nil || first.Duplicate || !first.DueDate.IsZero() {
						t.Fatalf("cancel access %+v, %v", first, err)
					}
					again, err := ca.CancelAccess(e.ctx, req, "kc")
					if err != nil || !again.Duplicate || again.SubmissionID != first.SubmissionID {
						t.Fatalf("again %+v, %v", again, err)
					}
					if n := e.count(t, `SELECT COUNT(*) FROM registry_submissions WHERE type = 'cancel_access'`); n != 1 {
						t.Fatalf("%d cancel_access submissions", n)
					}
				})
			})
		})
	}
}

// Over HTTP a credential that is missing, unknown or revoked is
// unauthenticated on every route.
func TestConnectorHTTPBadCredential(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, e *env) {
		url := e.connectorServer(t)
		good := e.credential(t, provA)
		calls := map[string]func(c beian.Connector) error{
			"Precheck": func(c beian.Connector) error { _, err := c.Precheck(e.ctx, beian.PrecheckRequest{}); return err },
			"Submit":   func(c beian.Connector) error { _, err := c.Submit(e.ctx, beian.Submission{}, "k"); return err },
			"CancelAccess": func(c beian.Connector) error {
				_, err := c.CancelAccess(e.ctx, beian.CancelAccessRequest{}, "k")
				return err
			},
			"CheckTransferIn": func(c beian.Connector) error {
				_, err := c.CheckTransferIn(e.ctx, "浙ICP备2026000001号", "p")
				return err
			},
			"Filing":        func(c beian.Connector) error { _, err := c.Filing(e.ctx, "浙ICP备2026000001号"); return err },
			"Confirmations": func(c beian.Connector) error { _, err := c.Confirmations(e.ctx, "x"); return err },
			"Events":        func(c beian.Connector) error { _, err := c.Events(e.ctx, "", 1); return err },
		}
		check := func(t *testing.T, token string) {
			t.Helper()
			c := &connector.HTTP{BaseURL: url, Token: token}
			for name, call := range calls {
				if err := call(c); shapeOf(err).Kind != beian.KindUnauthenticated || shapeOf(err).Code != "connector.credential_invalid" {
					t.Errorf("%s: %v", name, err)
				}
			}
		}
		t.Run("ErrNone", func(t *testing.T) { check(t, "") })
		t.Run("ErrUnknown", func(t *testing.T) { check(t, CredentialPrefix+"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA") })
		if _, err := (&connector.HTTP{BaseURL: url, Token: good}).Events(e.ctx, "", 1); err != nil {
			t.Fatalf("the good credential: %v", err)
		}
		if _, err := e.RevokeCredential(e.ctx, provA); err != nil {
			t.Fatal(err)
		}
		t.Run("ErrRevoked", func(t *testing.T) { check(t, good) })
	})
}

// lossyTransport performs each request, then loses the answer: the
// registry has acted, the provider sees a network error.
type lossyTransport struct{ lost int }

func (l *lossyTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	l.lost++
	return nil, errors.New("connection reset by peer")
}

// A submission whose answer is lost is unavailable (outcome unknown); the
// retry with the same key creates nothing twice and answers the first
// receipt as a duplicate (connector contract, "Retries and idempotency").
func TestConnectorHTTPLostResponse(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, e *env) {
		url, cred := e.connectorServer(t), e.credential(t, provA)
		lossy := &lossyTransport{}
		c := &connector.HTTP{BaseURL: url, Token: cred, Client: &http.Client{Transport: lossy}}
		s := e.firstFiling(t, "O-1")
		_, err := c.Submit(e.ctx, s, "k1")
		wantErr(t, err, beian.KindUnavailable, "connector.unavailable")
		counts := func() [3]int {
			return [3]int{e.count(t, `SELECT COUNT(*) FROM registry_submissions`), e.count(t, `SELECT COUNT(*) FROM registry_confirmations`),
				e.count(t, `SELECT COUNT(*) FROM registry_outbox`)}
		}
		before := counts()
		if lossy.lost != 1 || before[0] != 1 {
			t.Fatalf("lost %d answers, %d submissions", lossy.lost, before[0])
		}
		e.clock.Advance(time.Minute)
		s.SubmittedAt = e.clock.Now() // the provider stamps its retry anew
		c.Client = nil
		rc, err := c.Submit(e.ctx, s, "k1")
		if err != nil || !rc.Duplicate || !rc.AcceptedAt.Equal(t0) {
			t.Fatalf("retry %+v, %v", rc, err)
		}
		if after := counts(); after != before {
			t.Fatalf("rows (submissions, confirmations, outbox) before %v, after %v", before, after)
		}
		var id string
		if err := e.DB.SQL.QueryRow(`SELECT id FROM registry_submissions`).Scan(&id); err != nil || id != rc.SubmissionID {
			t.Fatalf("stored %q, %v; receipt %q", id, err, rc.SubmissionID)
		}
	})
}
