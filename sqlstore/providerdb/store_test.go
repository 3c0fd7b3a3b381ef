package providerdb_test

import (
	"context"
	"encoding/json"
	"regexp"
	"testing"
	"time"

	"github.com/beian/beian"
	"github.com/beian/beian/sqlstore"
	"github.com/beian/beian/sqlstore/providerdb"
	"github.com/beian/beian/sqlstore/sqltest"
	"github.com/beian/beian/workflow"
)

var t0 = time.Date(2026, 11, 29, 10, 0, 0, 0, beian.CST)

func newStore(t *testing.T, db *sqlstore.DB) *providerdb.Store {
	t.Helper()
	s, err := providerdb.New(db)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func customer(t testing.TB, s *providerdb.Store, login string) beian.Account {
	t.Helper()
	a, err := s.CreateAccount(context.Background(), beian.Account{Login: login, Role: beian.RoleCustomer}, "x", "test")
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func draft(t testing.TB, s *providerdb.Store, acct beian.Account, cert, key string) (beian.Order, error) {
	t.Helper()
	return s.CreateOrder(context.Background(), providerdb.NewOrder{
		AccountID: acct.ID, Type: beian.FirstFiling, Nature: "individual", Name: "张三", Province: "330000",
		CertType: "resident_id", CertNumber: cert, Key: key, Actor: "account:" + acct.Login,
		Data: json.RawMessage(`{"subject":{"name":"张三"},"websites":[{"name":"张三的博客","homepage":"www.example.com"}]}`),
	})
}

func TestCreateOrder(t *testing.T) {
	sqltest.Each(t, beian.NewManualClock(t0), func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		s := newStore(t, db)
		a := customer(t, s, "alice")
		o, err := draft(t, s, a, "110105194912310021", "k1")
		if err != nil {
			t.Fatal(err)
		}
		// Rule NUM-2: unique, not guessable, dated.
		if !regexp.MustCompile(`^BA20261129-[0-9A-HJKMNP-TV-Z]{12}$`).MatchString(o.Number) {
			t.Errorf("order number %q", o.Number)
		}
		if o.Stage != beian.StageDraft || o.Version != 1 || o.SubjectID == 0 || !o.CreatedAt.Equal(t0) {
			t.Errorf("order %+v", o)
		}
		t.Run("OKIdempotentRepeat", func(t *testing.T) {
			again, err := draft(t, s, a, "110105194912310021", "k1")
			if err != nil || again.ID != o.ID || again.Number != o.Number {
				t.Fatalf("repeat: %+v %v", again, err)
			}
		})
		t.Run("ErrOrderInFlight", func(t *testing.T) { // Rule ACC-4
			_, err := draft(t, s, a, "110105194912310021", "k2")
			if !beian.IsKind(err, beian.KindConflict) || !hasProblem(err, "acc.order_in_flight", "ACC-4") {
				t.Fatalf("second order in flight: %v", err)
			}
		})
		t.Run("ErrSecondSubject", func(t *testing.T) { // Rule ACC-1
			_, err := draft(t, s, a, "11010519491231004X", "k3")
			if !beian.IsKind(err, beian.KindConflict) || !hasProblem(err, "acc.one_subject", "ACC-1") {
				t.Fatalf("second subject: %v", err)
			}
		})
		t.Run("ErrSameSubjectOtherAccount", func(t *testing.T) { // Rule ACC-4 across accounts
			b := customer(t, s, "bob")
			if _, err := draft(t, s, b, "110105194912310021", ""); !beian.IsKind(err, beian.KindConflict) {
				t.Fatalf("same subject from another account while in flight: %v", err)
			}
		})
		t.Run("OKNewSubjectAfterAbandon", func(t *testing.T) {
			if _, err := s.Transition(ctx, providerdb.Move{OrderID: o.ID, Version: o.Version, Event: workflow.Abandon, By: workflow.Customer, Actor: "a"}); err != nil {
				t.Fatal(err)
			}
			if _, err := draft(t, s, a, "11010519491231004X", "k4"); err != nil {
				t.Fatalf("after abandoning a never-filed subject the account may start another: %v", err)
			}
		})
		t.Run("ErrOtherTenantNotFound", func(t *testing.T) {
			c := customer(t, s, "carol")
			if _, err := s.OrderOf(ctx, c.ID, o.ID); !beian.IsKind(err, beian.KindNotFound) {
				t.Fatalf("another account's order: %v", err)
			}
			if got, err := s.OrderOf(ctx, a.ID, o.ID); err != nil || got.ID != o.ID {
				t.Fatalf("own order: %v", err)
			}
		})
	})
}

func hasProblem(err error, code, rule string) bool {
	var e *beian.Error
	if !asErr(err, &e) {
		return false
	}
	for _, p := range e.Problems {
		if p.Code == code && p.Rule == rule {
			return true
		}
	}
	return false
}

func TestTransitionAndEdit(t *testing.T) {
	sqltest.Each(t, beian.NewManualClock(t0), func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		s := newStore(t, db)
		a := customer(t, s, "alice")
		o, err := draft(t, s, a, "110105194912310021", "")
		if err != nil {
			t.Fatal(err)
		}
		// Draft: every field editable.
		o, err = s.UpdateOrder(ctx, o.ID, o.Version, json.RawMessage(`{"subject":{"name":"张三"},"websites":[{"name":"张三的书房","homepage":"www.example.com"}]}`), "a")
		if err != nil || o.Version != 2 {
			t.Fatalf("edit draft: %v %+v", err, o)
		}
		if _, err := s.UpdateOrder(ctx, o.ID, 1, o.Data, "a"); !beian.IsKind(err, beian.KindStale) {
			t.Fatalf("stale edit: %v", err)
		}
		sub, err := s.Transition(ctx, providerdb.Move{OrderID: o.ID, Version: o.Version, Event: workflow.Submit, By: workflow.Customer, Actor: "a", Key: "submit-1"})
		if err != nil || sub.Stage != beian.StageInitialReview || sub.SubmittedAt.IsZero() {
			t.Fatalf("submit: %v %+v", err, sub)
		}
		again, err := s.Transition(ctx, providerdb.Move{OrderID: o.ID, Version: o.Version, Event: workflow.Submit, By: workflow.Customer, Actor: "a", Key: "submit-1"})
		if err != nil || again.Version != sub.Version {
			t.Fatalf("repeated submit with the same key: %v %+v", err, again)
		}
		if _, err := s.Transition(ctx, providerdb.Move{OrderID: o.ID, Version: sub.Version, Event: workflow.ApprovePhoto, By: workflow.ProviderReviewer, Actor: "r"}); !beian.IsKind(err, beian.KindInvalidState) {
			t.Fatalf("illegal move: %v", err)
		}
		if _, err := s.Transition(ctx, providerdb.Move{OrderID: o.ID, Version: sub.Version, Event: workflow.ApproveInitial, By: workflow.Customer, Actor: "a"}); !beian.IsKind(err, beian.KindForbidden) {
			t.Fatalf("wrong actor: %v", err)
		}
		// Initial review rejects one field (Rule REV-3): only it is editable.
		rej, err := s.Transition(ctx, providerdb.Move{OrderID: o.ID, Version: sub.Version, Event: workflow.RejectInitial, By: workflow.ProviderReviewer, Actor: "r",
			Flagged: []string{"websites[0].homepage"}})
		if err != nil || rej.Stage != beian.StageNeedsFix || len(rej.Flagged) != 1 {
			t.Fatalf("reject: %v %+v", err, rej)
		}
		_, err = s.UpdateOrder(ctx, rej.ID, rej.Version, json.RawMessage(`{"subject":{"name":"李四"},"websites":[{"name":"张三的书房","homepage":"www.example.org"}]}`), "a")
		if !beian.IsKind(err, beian.KindInvalid) || !hasProblem(err, "order.field_locked", "REV-3") {
			t.Fatalf("locked field edited: %v", err)
		}
		fixed, err := s.UpdateOrder(ctx, rej.ID, rej.Version, json.RawMessage(`{"subject":{"name":"张三"},"websites":[{"name":"张三的书房","homepage":"www.example.org"}]}`), "a")
		if err != nil {
			t.Fatalf("flagged field: %v", err)
		}
		back, err := s.Transition(ctx, providerdb.Move{OrderID: o.ID, Version: fixed.Version, Event: workflow.Resubmit, By: workflow.Customer, Actor: "a"})
		if err != nil || back.Stage != beian.StageInitialReview || len(back.Flagged) != 0 {
			t.Fatalf("resubmit: %v %+v", err, back)
		}
		recs, err := s.Audit.Records(ctx, db, "order", o.Number)
		if err != nil || len(recs) != 6 {
			t.Fatalf("audit records: %d %v", len(recs), err)
		}
		if _, err := s.Audit.Verify(ctx, db, ""); err != nil {
			t.Fatal(err)
		}
	})
}

func TestChangedPaths(t *testing.T) {
	for _, tc := range []struct{ a, b, want string }{
		{`{"a":1}`, `{"a":1}`, ``},
		{`{"a":1}`, `{"a":2}`, `a`},
		{`{"s":{"n":"x","m":1}}`, `{"s":{"n":"y","m":1}}`, `s.n`},
		{`{"w":[{"h":"a"}]}`, `{"w":[{"h":"b"},{"h":"c"}]}`, `w[0].h,w[1]`},
		{`{"w":[1,2]}`, `{"w":[1]}`, `w[1]`},
		{`{}`, `{"x":{"y":1}}`, `x`},
		{`{"x":1}`, `{"x":1.0}`, `x`},
		{`{"x":{"y":1}}`, `{"x":[1]}`, `x`},
	} {
		got, err := providerdb.ChangedPaths(json.RawMessage(tc.a), json.RawMessage(tc.b))
		if err != nil {
			t.Fatal(err)
		}
		if s := join(got); s != tc.want {
			t.Errorf("%s → %s: %q, want %q", tc.a, tc.b, s, tc.want)
		}
	}
}

func join(ss []string) string {
	out := ""
	for i, s := range ss {
		if i > 0 {
			out += ","
		}
		out += s
	}
	return out
}
