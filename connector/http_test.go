package connector

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"github.com/beian/beian"
)

// shape is what the connector contract says an error carries.
type shape struct {
	Kind     beian.Kind
	Code     string
	Args     map[string]string
	Problems beian.Problems
}

func shapeOf(err error) shape {
	var e *beian.Error
	if !errors.As(err, &e) {
		return shape{Kind: beian.KindOf(err)}
	}
	return shape{Kind: e.Kind, Code: e.Code, Args: e.Args, Problems: e.Problems}
}

// answering serves every request with h until t ends.
func answering(t *testing.T, h http.HandlerFunc) *HTTP {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return &HTTP{BaseURL: srv.URL + "/", Token: credentialForTest}
}

// credentialForTest is a credential-shaped token for the tests.
const credentialForTest = "bpc_test-credential"

// An error written by WriteError comes back from the client as the same
// *beian.Error; what the regulator cannot vouch for is unavailable.
func TestErrorsCrossTheWire(t *testing.T) {
	ps := beian.Problems{beian.NewProblem("registry.subject_conflict", "SUBJ-1", "cert_number", "number", "浙ICP备2026000001号"),
		beian.NewProblem("registry.domain_no_record", "WEB-6", "websites[0].domains[0]")}
	for _, tc := range []struct {
		name string
		err  error
		want shape
	}{
		{"Invalid", ps.Err(), shape{Kind: beian.KindInvalid, Problems: ps}},
		{"Conflict", beian.Errorf(beian.KindConflict, "registry.idempotency_conflict"), shape{Kind: beian.KindConflict, Code: "registry.idempotency_conflict"}},
		{"BadRequestArgs", beian.Errorf(beian.KindBadRequest, "registry.idempotency_key", "max", "200"),
			shape{Kind: beian.KindBadRequest, Code: "registry.idempotency_key", Args: map[string]string{"max": "200"}}},
		{"NotFound", beian.Errorf(beian.KindNotFound, "registry.submission_not_found"), shape{Kind: beian.KindNotFound, Code: "registry.submission_not_found"}},
		{"Unauthenticated", beian.Errorf(beian.KindUnauthenticated, "connector.credential_invalid"), shape{Kind: beian.KindUnauthenticated, Code: "connector.credential_invalid"}},
		{"RateLimited", beian.Errorf(beian.KindRateLimited, "registry.transfer_check_rate_limited", "retry_after", "42"),
			shape{Kind: beian.KindRateLimited, Code: "registry.transfer_check_rate_limited", Args: map[string]string{"retry_after": "42"}}},
		{"ErrInternalIsUnavailable", errors.New("pq: secret detail"), shape{Kind: beian.KindUnavailable, Code: "connector.unavailable"}},
		{"UnavailableKeepsItsCode", beian.Errorf(beian.KindUnavailable, "registry.down"), shape{Kind: beian.KindUnavailable, Code: "registry.down"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var retryAfter string
			c := answering(t, func(w http.ResponseWriter, r *http.Request) {
				WriteError(w, r, nil, tc.err)
				retryAfter = w.Header().Get("Retry-After")
			})
			_, err := c.Filing(context.Background(), "x")
			if got := shapeOf(err); !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("got %+v, want %+v", got, tc.want)
			}
			if strings.Contains(err.Error(), "secret detail") {
				t.Fatal("an internal error's detail crossed the wire")
			}
			if (tc.want.Kind == beian.KindRateLimited) != (retryAfter == "42") {
				t.Fatalf("Retry-After %q", retryAfter)
			}
		})
	}
}

// Answers that are not the regulator's error body: a proxy's 5xx, a wrong
// base URL, a bare 429, an unreadable success, an endless answer, no server.
func TestAnswersThatAreNotTheRegulators(t *testing.T) {
	for _, tc := range []struct {
		name string
		h    http.HandlerFunc
		want shape
	}{
		{"Err502Page", func(w http.ResponseWriter, r *http.Request) { http.Error(w, "<html>Bad Gateway</html>", 502) },
			shape{Kind: beian.KindUnavailable, Code: "connector.unavailable"}},
		{"Err404Page", func(w http.ResponseWriter, r *http.Request) { http.NotFound(w, r) },
			shape{Kind: beian.KindUnavailable, Code: "connector.bad_response"}},
		{"Err429HeaderOnly", func(w http.ResponseWriter, r *http.Request) { w.Header().Set("Retry-After", "7"); w.WriteHeader(429) },
			shape{Kind: beian.KindRateLimited, Args: map[string]string{"retry_after": "7"}}},
		{"ErrUnreadable200", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "{not json") },
			shape{Kind: beian.KindUnavailable, Code: "connector.bad_response"}},
		{"ErrTooLong", func(w http.ResponseWriter, r *http.Request) {
			io.WriteString(w, `{"events":[],"next":"`+strings.Repeat("1", 100)+`"}`)
		},
			shape{Kind: beian.KindUnavailable, Code: "connector.bad_response"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := answering(t, tc.h)
			c.MaxResponse = 64
			_, err := c.Events(context.Background(), "", 1)
			if got := shapeOf(err); !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("got %+v (%v), want %+v", got, err, tc.want)
			}
		})
	}
	t.Run("ErrNoServer", func(t *testing.T) {
		srv := httptest.NewServer(http.NotFoundHandler())
		srv.Close()
		_, err := (&HTTP{BaseURL: srv.URL}).Precheck(context.Background(), beian.PrecheckRequest{})
		if got := shapeOf(err); got.Kind != beian.KindUnavailable || got.Code != "connector.unavailable" {
			t.Fatalf("got %+v", got)
		}
	})
	t.Run("ErrCancelledKeepsItsCause", func(t *testing.T) {
		c := answering(t, func(w http.ResponseWriter, r *http.Request) {})
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_, err := c.Events(ctx, "", 1)
		if !beian.IsKind(err, beian.KindUnavailable) || !errors.Is(err, context.Canceled) {
			t.Fatalf("got %v", err)
		}
	})
}

// The requests: routes, credential, idempotency key, the password only in
// the body, numbers escaped in the path.
func TestRequests(t *testing.T) {
	type seen struct{ method, path, query, auth, key, body string }
	var got []seen
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got = append(got, seen{r.Method, r.URL.Path, r.URL.RawQuery, r.Header.Get("Authorization"), r.Header.Get(HeaderIdempotencyKey), string(b)})
		io.WriteString(w, "{}")
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	c := &HTTP{BaseURL: srv.URL, Token: credentialForTest}
	ctx := context.Background()
	c.Submit(ctx, beian.Submission{OrderNumber: "O-1"}, "key-1")
	c.CancelAccess(ctx, beian.CancelAccessRequest{WebsiteNumber: "浙ICP备2026000001号-1"}, "key-2")
	c.CheckTransferIn(ctx, "浙ICP备2026000001号", "pass word")
	c.Filing(ctx, "浙ICP备2026000001号-1")
	c.Confirmations(ctx, "sub-1")
	c.Events(ctx, "17", 5)
	want := []seen{
		{"POST", PathSubmissions, "", "Bearer " + credentialForTest, "key-1", ""},
		{"POST", PathCancelAccess, "", "Bearer " + credentialForTest, "key-2", ""},
		{"POST", PathTransferCheck, "", "Bearer " + credentialForTest, "", `{"number":"浙ICP备2026000001号","password":"pass word"}`},
		{"GET", PathFilings + "浙ICP备2026000001号-1", "", "Bearer " + credentialForTest, "", ""},
		{"GET", PathConfirmations + "sub-1/confirmations", "", "Bearer " + credentialForTest, "", ""},
		{"GET", PathEvents, "cursor=17&limit=5", "Bearer " + credentialForTest, "", ""},
	}
	if len(got) != len(want) {
		t.Fatalf("%d requests: %+v", len(got), got)
	}
	for i := range want {
		g := got[i]
		if i < 2 { // bodies checked separately
			var v map[string]any
			if json.Unmarshal([]byte(g.body), &v) != nil || (v["order_number"] != "O-1" && v["website_number"] != "浙ICP备2026000001号-1") {
				t.Errorf("request %d body %s", i, g.body)
			}
			g.body = ""
		}
		if g != want[i] {
			t.Errorf("request %d: %+v, want %+v", i, g, want[i])
		}
	}
}
