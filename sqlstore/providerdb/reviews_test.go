package providerdb_test

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/beian/beian"
	"github.com/beian/beian/audit"
	"github.com/beian/beian/sqlstore"
	"github.com/beian/beian/sqlstore/providerdb"
	"github.com/beian/beian/sqlstore/sqltest"
	"github.com/beian/beian/workflow"
)

// submitted returns an order of a fresh account in initial review.
func submitted(t *testing.T, s *providerdb.Store, login string, i int) beian.Order {
	t.Helper()
	o, err := draft(t, s, customer(t, s, login), idNumber(i), "")
	if err != nil {
		t.Fatal(err)
	}
	o, err = s.Transition(context.Background(), providerdb.Move{OrderID: o.ID, Version: o.Version, Event: workflow.Submit, By: workflow.Customer, Actor: "account:" + login})
	if err != nil {
		t.Fatal(err)
	}
	return o
}

// addItems records items in a transaction of its own.
func addItems(s *providerdb.Store, orderID int64, source string, items []beian.ReviewItem) (int, error) {
	var round int
	err := s.DB.InTx(context.Background(), func(tx *sqlstore.Tx) error {
		var err error
		round, err = s.AddReviewItems(context.Background(), tx, orderID, source, 0, items)
		return err
	})
	return round, err
}

var homepageItem = beian.ReviewItem{Field: "websites[0].homepage", Reason: "首页地址无法访问", Suggestion: "请填写以 www 开头的首页", Action: beian.ActionFixWebsite}

// Rules REV-3, REV-5: a rejection's items are recorded as numbered rounds,
// in the transaction of the rejection itself.
func TestAddReviewItems(t *testing.T) {
	sqltest.Each(t, beian.NewManualClock(t0), func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		s := newStore(t, db)
		o := submitted(t, s, "alice", 1)
		reviewer, err := s.CreateAccount(ctx, beian.Account{Login: "rev", Role: beian.RoleProviderReviewer}, "x", "test")
		if err != nil {
			t.Fatal(err)
		}
		t.Run("OKAsTransitionEffect", func(t *testing.T) { // REV-3
			var round int
			rej, err := s.Transition(ctx, providerdb.Move{OrderID: o.ID, Version: o.Version, Event: workflow.RejectInitial, By: workflow.ProviderReviewer,
				Actor: "account:rev", Flagged: []string{homepageItem.Field},
				Effect: func(ctx context.Context, tx *sqlstore.Tx, before, after beian.Order) (err error) {
					round, err = s.AddReviewItems(ctx, tx, after.ID, providerdb.ReviewInitial, reviewer.ID, []beian.ReviewItem{homepageItem})
					return err
				}})
			if err != nil || round != 1 || rej.Stage != beian.StageNeedsFix {
				t.Fatalf("reject: round %d, %+v, %v", round, rej, err)
			}
			items, got, err := s.ReviewItems(ctx, o.ID, 0)
			if err != nil || got != 1 || !slices.Equal(items, []beian.ReviewItem{homepageItem}) {
				t.Fatalf("latest round: %d %+v %v", got, items, err)
			}
			rr, err := s.ReviewRound(ctx, o.ID, 1)
			if err != nil || rr.Source != providerdb.ReviewInitial || rr.ReviewerID != reviewer.ID || !rr.CreatedAt.Equal(t0) {
				t.Fatalf("round 1: %+v %v", rr, err)
			}
			o = rej
		})
		t.Run("OKNextRound", func(t *testing.T) { // REV-5: the bureau's items, one about the photo
			bureau := []beian.ReviewItem{{Field: "subject.name", Reason: "名称与证件不符", Action: beian.ActionFixSubject},
				{Field: "verification.photo", Reason: "照片模糊", Action: beian.ActionFixMaterials, Photo: true}}
			round, err := addItems(s, o.ID, providerdb.ReviewBureau, bureau)
			if err != nil || round != 2 {
				t.Fatalf("bureau round: %d %v", round, err)
			}
			items, got, err := s.ReviewItems(ctx, o.ID, 0)
			if err != nil || got != 2 || !slices.Equal(items, bureau) {
				t.Fatalf("latest is the bureau's: %d %+v %v", got, items, err)
			}
			if items, got, err := s.ReviewItems(ctx, o.ID, 1); err != nil || got != 1 || len(items) != 1 {
				t.Fatalf("round 1 kept: %d %+v %v", got, items, err)
			}
		})
		t.Run("OKPhotoReviewConcernsThePhoto", func(t *testing.T) { // REV-4, REV-6
			round, err := addItems(s, o.ID, providerdb.ReviewPhoto, []beian.ReviewItem{{Field: "verification.photo", Reason: "照片模糊", Action: beian.ActionFixMaterials}})
			if err != nil {
				t.Fatal(err)
			}
			items, _, err := s.ReviewItems(ctx, o.ID, round)
			if err != nil || !items[0].Photo {
				t.Fatalf("photo review item not marked as photo: %+v %v", items, err)
			}
		})
		t.Run("OKNeverRejected", func(t *testing.T) {
			other := submitted(t, s, "bob", 2)
			if items, round, err := s.ReviewItems(ctx, other.ID, 0); err != nil || round != 0 || len(items) != 0 {
				t.Fatalf("never rejected: %d %+v %v", round, items, err)
			}
		})
		t.Run("ErrUnknownOrderOrRound", func(t *testing.T) { // an unknown order, or a round the order has not
			for _, c := range []struct {
				id    int64
				round int
			}{{o.ID + 1000, 0}, {o.ID + 1000, 1}, {o.ID, 99}} {
				if _, _, err := s.ReviewItems(ctx, c.id, c.round); !beian.IsKind(err, beian.KindNotFound) {
					t.Fatalf("order %d round %d: %v, want not found", c.id, c.round, err)
				}
				if _, err := s.ReviewRound(ctx, c.id, c.round); !beian.IsKind(err, beian.KindNotFound) {
					t.Fatalf("round: order %d round %d: %v, want not found", c.id, c.round, err)
				}
			}
		})
		for _, tc := range []struct {
			name, source, code, rule, field string
			items                           []beian.ReviewItem
		}{
			{"ErrItemsRequired", providerdb.ReviewInitial, "review.items_required", "REV-3", "items", nil},
			{"ErrFieldRequired", providerdb.ReviewInitial, "review.field_required", "REV-3", "items[0].field",
				[]beian.ReviewItem{{Field: " ", Reason: "x", Action: beian.ActionFixSubject}}},
			{"ErrReasonRequired", providerdb.ReviewInitial, "review.reason_required", "REV-3", "items[1].reason",
				[]beian.ReviewItem{homepageItem, {Field: "subject.name", Action: beian.ActionFixSubject}}},
			{"ErrActionUnknown", providerdb.ReviewInitial, "review.action_unknown", "REV-3", "items[0].action",
				[]beian.ReviewItem{{Field: "subject.name", Reason: "x", Action: "修改"}}},
			{"ErrSourceUnknown", "customer", "review.source_unknown", "", "source", []beian.ReviewItem{homepageItem}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				_, before, _ := s.ReviewItems(ctx, o.ID, 0)
				_, err := addItems(s, o.ID, tc.source, tc.items)
				var e *beian.Error
				if !asErr(err, &e) || e.Kind != beian.KindInvalid || !hasProblem(err, tc.code, tc.rule) ||
					!slices.ContainsFunc(e.Problems, func(p beian.Problem) bool { return p.Field == tc.field }) {
					t.Fatalf("got %v, want %s at %s", err, tc.code, tc.field)
				}
				if _, after, _ := s.ReviewItems(ctx, o.ID, 0); after != before {
					t.Fatalf("a refused round was written: %d → %d", before, after)
				}
			})
		}
		t.Run("ErrEffectUndoesTheMove", func(t *testing.T) {
			o := submitted(t, s, "carol", 3)
			_, err := s.Transition(ctx, providerdb.Move{OrderID: o.ID, Version: o.Version, Event: workflow.RejectInitial, By: workflow.ProviderReviewer, Actor: "account:rev",
				Effect: func(ctx context.Context, tx *sqlstore.Tx, before, after beian.Order) error {
					_, err := s.AddReviewItems(ctx, tx, after.ID, providerdb.ReviewInitial, reviewer.ID, nil)
					return err
				}})
			if !beian.IsKind(err, beian.KindInvalid) {
				t.Fatalf("reject without items: %v", err)
			}
			if now, _ := s.Order(ctx, o.ID); now.Stage != beian.StageInitialReview || now.Version != o.Version {
				t.Fatalf("the move was kept: %+v", now)
			}
		})
		t.Run("ErrNotFound", func(t *testing.T) {
			if _, err := addItems(s, 9999, providerdb.ReviewInitial, []beian.ReviewItem{homepageItem}); !beian.IsKind(err, beian.KindNotFound) {
				t.Fatalf("unknown order: %v", err)
			}
			if _, _, err := s.ReviewItems(ctx, 9999, 0); !beian.IsKind(err, beian.KindNotFound) {
				t.Fatalf("items of an unknown order: %v", err)
			}
			if _, _, err := s.ReviewItems(ctx, o.ID, 99); !beian.IsKind(err, beian.KindNotFound) {
				t.Fatalf("unknown round: %v", err)
			}
		})
		recs, err := s.Audit.Records(ctx, db, "order", o.Number)
		if err != nil || !slices.ContainsFunc(recs, func(r audit.Record) bool { return r.Action == "review.items" }) {
			t.Fatalf("the order's timeline lacks its review items: %v", err)
		}
	})
}

// inTx runs fn in a transaction of its own.
func inTx(s *providerdb.Store, fn func(ctx context.Context, tx *sqlstore.Tx) error) error {
	return s.DB.InTx(context.Background(), func(tx *sqlstore.Tx) error { return fn(context.Background(), tx) })
}

var photoSHA = strings.Repeat("ab", 32)

// Rules VER-1, REV-4, REV-6: verifications move requested → submitted →
// approved or rejected; the approved photo and its date serve REV-6.
func TestVerifications(t *testing.T) {
	sqltest.Each(t, beian.NewManualClock(t0), func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		s := newStore(t, db)
		o := submitted(t, s, "alice", 1)
		if _, _, ok, err := s.ApprovedPhoto(ctx, o.ID); ok || err != nil {
			t.Fatalf("approved photo before any: %v %v", ok, err)
		}
		if _, err := s.LatestVerification(ctx, o.ID); !beian.IsKind(err, beian.KindNotFound) {
			t.Fatalf("latest verification before any: %v", err)
		}
		var v providerdb.Verification
		approvedAt := t0.Add(3 * time.Hour)
		t.Run("OK", func(t *testing.T) {
			err := inTx(s, func(ctx context.Context, tx *sqlstore.Tx) (err error) {
				v, err = s.AddVerification(ctx, tx, providerdb.Verification{OrderID: o.ID, Method: providerdb.VerifyCurtain})
				return err
			})
			if err != nil || v.Status != providerdb.VerificationRequested || string(v.Detail) != "{}" || !v.CreatedAt.Equal(t0) {
				t.Fatalf("add: %+v %v", v, err)
			}
			for _, st := range []string{providerdb.VerificationSubmitted, providerdb.VerificationApproved, providerdb.VerificationApproved} {
				if err := inTx(s, func(ctx context.Context, tx *sqlstore.Tx) error {
					return s.SetVerificationStatus(ctx, tx, v.ID, st, approvedAt)
				}); err != nil {
					t.Fatalf("→ %s: %v", st, err)
				}
			}
			// The photo of a later upload, still in review, is not the approved one.
			if err := inTx(s, func(ctx context.Context, tx *sqlstore.Tx) error {
				_, err := s.AddVerification(ctx, tx, providerdb.Verification{OrderID: o.ID, Method: providerdb.VerifyUpload,
					Status: providerdb.VerificationSubmitted, PhotoSHA256: strings.Repeat("cd", 32), Sharpness: 310.5, Detail: json.RawMessage(`{"w":1200}`)})
				return err
			}); err != nil {
				t.Fatal(err)
			}
			latest, err := s.LatestVerification(ctx, o.ID)
			if err != nil || latest.Method != providerdb.VerifyUpload || latest.Sharpness != 310.5 {
				t.Fatalf("latest: %+v %v", latest, err)
			}
		})
		t.Run("OKApprovedPhotoForREV6", func(t *testing.T) {
			err := inTx(s, func(ctx context.Context, tx *sqlstore.Tx) error {
				w, err := s.AddVerification(ctx, tx, providerdb.Verification{OrderID: o.ID, Method: providerdb.VerifyPoint, PhotoSHA256: photoSHA})
				if err != nil {
					return err
				}
				return s.SetVerificationStatus(ctx, tx, w.ID, providerdb.VerificationApproved, approvedAt)
			})
			if err != nil {
				t.Fatal(err)
			}
			sha, at, ok, err := s.ApprovedPhoto(ctx, o.ID)
			if err != nil || !ok || sha != photoSHA || !at.Equal(approvedAt) {
				t.Fatalf("approved photo: %q %v %v %v", sha, at, ok, err)
			}
			// A bureau rejection 20 days later with no photo item reuses it.
			if !workflow.PhotoReusable(at, at.AddDate(0, 0, 20), []beian.ReviewItem{homepageItem}) {
				t.Fatal("photo not reusable within the month")
			}
		})
		for _, tc := range []struct {
			name string
			v    providerdb.Verification
			code string
		}{
			{"ErrMethodUnknown", providerdb.Verification{Method: "selfie"}, "verification.method_unknown"},
			{"ErrStatusUnknown", providerdb.Verification{Method: providerdb.VerifyApp, Status: "done"}, "verification.status_unknown"},
			{"ErrPhotoHashInvalid", providerdb.Verification{Method: providerdb.VerifyUpload, PhotoSHA256: "abc"}, "verification.photo_hash_invalid"},
			{"ErrSharpnessInvalid", providerdb.Verification{Method: providerdb.VerifyUpload, Sharpness: -1}, "verification.sharpness_invalid"},
			{"ErrDetailInvalid", providerdb.Verification{Method: providerdb.VerifyApp, Detail: json.RawMessage(`{`)}, "verification.detail_invalid"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				tc.v.OrderID = o.ID
				err := inTx(s, func(ctx context.Context, tx *sqlstore.Tx) error {
					_, err := s.AddVerification(ctx, tx, tc.v)
					return err
				})
				var e *beian.Error
				if !asErr(err, &e) || e.Kind != beian.KindInvalid || !e.Problems.Has(tc.code) {
					t.Fatalf("got %v, want %s", err, tc.code)
				}
			})
		}
		t.Run("ErrStatusNotAllowed", func(t *testing.T) {
			err := inTx(s, func(ctx context.Context, tx *sqlstore.Tx) error {
				return s.SetVerificationStatus(ctx, tx, v.ID, providerdb.VerificationRejected, time.Time{})
			})
			if !beian.IsKind(err, beian.KindInvalidState) || !hasProblem(err, "verification.status_not_allowed", "VER-1") {
				t.Fatalf("approved → rejected: %v", err)
			}
		})
		t.Run("ErrNotFound", func(t *testing.T) {
			err := inTx(s, func(ctx context.Context, tx *sqlstore.Tx) error {
				return s.SetVerificationStatus(ctx, tx, 9999, providerdb.VerificationApproved, time.Time{})
			})
			if !beian.IsKind(err, beian.KindNotFound) {
				t.Fatalf("unknown verification: %v", err)
			}
			err = inTx(s, func(ctx context.Context, tx *sqlstore.Tx) error {
				_, err := s.AddVerification(ctx, tx, providerdb.Verification{OrderID: 9999, Method: providerdb.VerifyApp})
				return err
			})
			if !beian.IsKind(err, beian.KindNotFound) {
				t.Fatalf("unknown order: %v", err)
			}
		})
		if _, err := s.Audit.Verify(ctx, db, ""); err != nil {
			t.Fatal(err)
		}
	})
}
