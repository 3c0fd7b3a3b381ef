package providerdb_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/beian/beian"
	"github.com/beian/beian/sqlstore"
	"github.com/beian/beian/sqlstore/providerdb"
	"github.com/beian/beian/sqlstore/sqltest"
	"github.com/beian/beian/workflow"
)

// sha returns a distinct valid SHA-256 hex per letter.
func sha(c string) string { return strings.Repeat(c, 64) }

// document adds a document to the order and fails the test on an error.
func document(t testing.TB, s *providerdb.Store, o beian.Order, kind, sum string) providerdb.Document {
	t.Helper()
	d, err := s.AddDocument(context.Background(), providerdb.Document{OrderID: o.ID, Kind: kind, SHA256: sum, ContentType: "image/jpeg",
		Bytes: 2048, UploadedBy: o.AccountID}, "account:owner")
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// staff creates a provider staff account with the role.
func staff(t testing.TB, s *providerdb.Store, login string, role beian.Role) beian.Account {
	t.Helper()
	a, err := s.CreateAccount(context.Background(), beian.Account{Login: login, Role: role}, "x", "test")
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// Rule PRIV-1: documents' metadata, shown to the owner only.
func TestAddDocument(t *testing.T) {
	sqltest.Each(t, beian.NewManualClock(t0), func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		s := newStore(t, db)
		o := submitted(t, s, "alice", 1)
		ok := providerdb.Document{OrderID: o.ID, Kind: "id_front", SHA256: strings.ToUpper(sha("a")), ContentType: "image/png", Bytes: 10, UploadedBy: o.AccountID}
		for _, tc := range []struct {
			name   string
			change func(d *providerdb.Document)
			kind   beian.Kind
			code   string
		}{
			{"OK", func(d *providerdb.Document) {}, "", ""},
			{"ErrKindRequired", func(d *providerdb.Document) { d.Kind = "" }, beian.KindInvalid, "document.kind_required"},
			{"ErrSHA256Invalid", func(d *providerdb.Document) { d.SHA256 = "not-a-hash" }, beian.KindInvalid, "document.sha256_invalid"},
			{"ErrSizeInvalid", func(d *providerdb.Document) { d.Bytes = 0 }, beian.KindInvalid, "document.size_invalid"},
			{"ErrContentTypeRequired", func(d *providerdb.Document) { d.ContentType = " " }, beian.KindInvalid, "document.content_type_required"},
			{"ErrUploaderRequired", func(d *providerdb.Document) { d.UploadedBy = 0 }, beian.KindInvalid, "document.uploader_required"},
			{"ErrOrderNotFound", func(d *providerdb.Document) { d.OrderID = 9999 }, beian.KindNotFound, ""},
		} {
			t.Run(tc.name, func(t *testing.T) {
				d := ok
				tc.change(&d)
				got, err := s.AddDocument(ctx, d, "account:alice")
				if tc.kind == "" {
					if err != nil || got.ID == 0 || got.SHA256 != sha("a") || !got.CreatedAt.Equal(t0) || !got.DeletedAt.IsZero() {
						t.Fatalf("add: %+v %v", got, err)
					}
					return
				}
				var e *beian.Error
				if !beian.IsKind(err, tc.kind) || (tc.code != "" && (!asErr(err, &e) || !e.Problems.Has(tc.code))) {
					t.Fatalf("got %v, want %s %s", err, tc.kind, tc.code)
				}
			})
		}
		if docs, err := s.Documents(ctx, o.ID); err != nil || len(docs) != 1 {
			t.Fatalf("documents: %+v %v", docs, err)
		}
	})
}

// Rule PRIV-1: the owner sees its documents; another account gets 404.
func TestDocumentOf(t *testing.T) {
	sqltest.Each(t, beian.NewManualClock(t0), func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		s := newStore(t, db)
		o := submitted(t, s, "alice", 1)
		other := submitted(t, s, "bob", 2)
		d := document(t, s, o, "id_front", sha("a"))
		for _, tc := range []struct {
			name             string
			account, orderID int64
			found            bool
		}{
			{"OK", o.AccountID, o.ID, true},
			{"ErrOtherAccountNotFound", other.AccountID, o.ID, false},
			{"ErrOtherOrderNotFound", other.AccountID, other.ID, false},
			{"ErrWrongOrderNotFound", o.AccountID, other.ID, false},
		} {
			t.Run(tc.name, func(t *testing.T) {
				got, err := s.DocumentOf(ctx, tc.account, tc.orderID, d.ID)
				if tc.found && (err != nil || got.ID != d.ID) {
					t.Fatalf("owner: %+v %v", got, err)
				}
				if !tc.found && !beian.IsKind(err, beian.KindNotFound) {
					t.Fatalf("got %v, want not_found", err)
				}
			})
		}
	})
}

// Rule PRIV-1: every staff view of a document is in the audit log, written
// in the view's own transaction; customers and impostors are refused.
func TestViewDocument(t *testing.T) {
	sqltest.Each(t, beian.NewManualClock(t0), func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		s := newStore(t, db)
		o := submitted(t, s, "alice", 1)
		d := document(t, s, o, "id_front", sha("a"))
		rev := staff(t, s, "rev", beian.RoleProviderReviewer)
		ver := staff(t, s, "ver", beian.RoleVerifier)
		views := func() int {
			recs, err := s.Audit.Records(ctx, db, "document", itoa(d.ID))
			if err != nil {
				t.Fatal(err)
			}
			n := 0
			for _, r := range recs {
				if r.Action == "document.view" {
					n++
				}
			}
			return n
		}
		for _, tc := range []struct {
			name    string
			account int64
			role    beian.Role
			doc     int64
			kind    beian.Kind
		}{
			{"OKReviewer", rev.ID, beian.RoleProviderReviewer, d.ID, ""},
			{"OKVerifier", ver.ID, beian.RoleVerifier, d.ID, ""},
			{"ErrCustomerForbidden", o.AccountID, beian.RoleCustomer, d.ID, beian.KindForbidden},
			{"ErrRoleNotTheAccounts", o.AccountID, beian.RoleProviderReviewer, d.ID, beian.KindForbidden},
			{"ErrUnknownAccount", 9999, beian.RoleProviderAdmin, d.ID, beian.KindForbidden},
			{"ErrDocumentNotFound", rev.ID, beian.RoleProviderReviewer, 9999, beian.KindNotFound},
		} {
			t.Run(tc.name, func(t *testing.T) {
				before := views()
				got, err := s.ViewDocument(ctx, tc.account, string(tc.role), o.ID, tc.doc)
				if tc.kind == "" {
					if err != nil || got.ID != d.ID || got.SHA256 != d.SHA256 {
						t.Fatalf("view: %+v %v", got, err)
					}
					if views() != before+1 {
						t.Fatal("the staff view was not audited")
					}
					recs, _ := s.Audit.Records(ctx, db, "document", itoa(d.ID))
					if last := recs[len(recs)-1]; last.Actor != "account:"+itoa(tc.account) || !strings.Contains(last.After, string(tc.role)) {
						t.Fatalf("audit record %+v", last)
					}
					return
				}
				if !beian.IsKind(err, tc.kind) {
					t.Fatalf("got %v, want %s", err, tc.kind)
				}
				if tc.kind == beian.KindForbidden && !hasProblem(err, "document.staff_only", "PRIV-1") {
					t.Fatalf("no document.staff_only (PRIV-1): %v", err)
				}
				if views() != before {
					t.Fatal("a refused view was audited")
				}
			})
		}
	})
}

// Rule PRIV-1: documents of orders abandoned before the retention cut-off
// are deleted; only blobs nothing else refers to are handed back.
func TestDeleteDocumentsOfAbandoned(t *testing.T) {
	clock := beian.NewManualClock(t0)
	sqltest.Each(t, clock, func(t *testing.T, db *sqlstore.DB) {
		clock.Set(t0)
		ctx := context.Background()
		s := newStore(t, db)
		abandon := func(o beian.Order) {
			t.Helper()
			if _, err := s.Transition(ctx, providerdb.Move{OrderID: o.ID, Version: o.Version, Event: workflow.Abandon, By: workflow.Customer, Actor: "a"}); err != nil {
				t.Fatal(err)
			}
		}
		old, live, recent := submitted(t, s, "alice", 1), submitted(t, s, "bob", 2), submitted(t, s, "carol", 3)
		gone := document(t, s, old, "id_front", sha("a"))    // only here: its blob goes
		document(t, s, old, "id_back", sha("b"))             // also a live order's document: kept
		document(t, s, old, "photo", sha("c"))               // a live order's verification photo: kept
		document(t, s, live, "id_front", sha("b"))           // the live order shares b
		keep := document(t, s, recent, "id_front", sha("d")) // abandoned after the cut-off
		if err := inTx(s, func(ctx context.Context, tx *sqlstore.Tx) error {
			_, err := s.AddVerification(ctx, tx, providerdb.Verification{OrderID: live.ID, Method: providerdb.VerifyUpload, PhotoSHA256: sha("c")})
			return err
		}); err != nil {
			t.Fatal(err)
		}
		abandon(old)
		clock.Advance(48 * time.Hour)
		abandon(recent)
		clock.Advance(90 * 24 * time.Hour)
		cutoff := t0.Add(24 * time.Hour) // "90 days ago" of a caller running 90 days after it

		t.Run("OK", func(t *testing.T) {
			shas, err := s.DeleteDocumentsOfAbandoned(ctx, cutoff)
			if err != nil || !slices.Equal(shas, []string{sha("a")}) {
				t.Fatalf("blobs to delete %v, want only %s: %v", shas, sha("a"), err)
			}
			if docs, _ := s.Documents(ctx, old.ID); len(docs) != 0 {
				t.Fatalf("documents of the abandoned order still live: %+v", docs)
			}
			if docs, _ := s.Documents(ctx, live.ID); len(docs) != 1 {
				t.Fatalf("a live order lost its documents: %+v", docs)
			}
			if _, err := s.DocumentOf(ctx, recent.AccountID, recent.ID, keep.ID); err != nil {
				t.Fatalf("document inside retention deleted: %v", err)
			}
			if _, err := s.DocumentOf(ctx, old.AccountID, old.ID, gone.ID); !beian.IsKind(err, beian.KindNotFound) {
				t.Fatalf("deleted document still shown: %v", err)
			}
			recs, err := s.Audit.Records(ctx, db, "document", itoa(gone.ID))
			if err != nil || recs[len(recs)-1].Action != "document.delete" {
				t.Fatalf("deletion not audited: %+v %v", recs, err)
			}
		})
		t.Run("OKSecondRunFindsNothing", func(t *testing.T) {
			seq, _, _ := s.Audit.Head(ctx, db)
			shas, err := s.DeleteDocumentsOfAbandoned(ctx, cutoff)
			if err != nil || len(shas) != 0 {
				t.Fatalf("second run: %v %v", shas, err)
			}
			if now, _, _ := s.Audit.Head(ctx, db); now != seq {
				t.Fatal("a run that deleted nothing wrote audit records")
			}
		})
		if _, err := s.Audit.Verify(ctx, db, ""); err != nil {
			t.Fatal(err)
		}
	})
}
