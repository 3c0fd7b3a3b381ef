package provider

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"io"
	"strconv"
	"time"

	"github.com/beian/beian"
	"github.com/beian/beian/audit"
	"github.com/beian/beian/sqlstore"
	"github.com/beian/beian/sqlstore/providerdb"
	"github.com/beian/beian/workflow"
)

// The Go side of the provider review desk's pages (web/page review_*):
// what the JSON routes of review.go do, for callers that are not HTTP.

// ClaimReview claims the order in initial or photo review for the reviewer
// for ClaimTTL, as POST /api/v1/review/orders/{id}/claim does (Rule
// REV-1); another reviewer's live claim is review.claimed.
func (s *Service) ClaimReview(ctx context.Context, reviewerID, orderID int64) (providerdb.Claim, error) {
	return s.Store.ClaimOrder(ctx, orderID, reviewerID, ClaimTTL, beian.StageInitialReview, beian.StagePhotoReview)
}

// ReviewClaim returns the order's live claim in its stage; ok is false
// when nobody holds one.
func (s *Service) ReviewClaim(ctx context.Context, o beian.Order) (c providerdb.Claim, ok bool, err error) {
	claims, err := s.Store.Claims(ctx, o.Stage, s.now())
	if err != nil {
		return c, false, err
	}
	c, ok = claims[o.ID]
	return c, ok, nil
}

// ReviewSLA is the order's SLA deadline in its stage: Options.ReviewSLADays
// business days after it entered the stage (Rules REV-1, CAL-1), and the
// seconds left at the service's clock (negative when overdue).
func (s *Service) ReviewSLA(o beian.Order) (deadline time.Time, secondsLeft int64) {
	deadline = s.slaDeadline(o.StageAt)
	return deadline, int64(deadline.Sub(s.now()) / time.Second)
}

// ReviewMinors returns the field paths of the order's responsible persons
// under the province's age limit on the submit date, and the material the
// province asks of them (Rule SUBJ-2), as the queue's Minor flag does.
func (s *Service) ReviewMinors(o beian.Order) (fields []string, supplement string) {
	var d beian.OrderData
	_ = json.Unmarshal(o.Data, &d)
	return s.minors(d, o.SubmittedAt)
}

// SupplementDue is the due date a supplementary-material request made now
// would get: Options.SupplementDays business days ahead (Rule REV-8).
func (s *Service) SupplementDue() time.Time {
	return s.businessDaysLater(s.now(), max(s.Options.SupplementDays, 1))
}

// Supplement is a recorded supplementary-material request (Rules SUBJ-2,
// REV-8).
type Supplement struct {
	Note      string
	Fields    []string
	DueAt     time.Time
	CreatedAt time.Time
}

// LatestSupplement returns the order's latest supplementary-material
// request; ok is false when it has none.
func (s *Service) LatestSupplement(ctx context.Context, orderID int64) (sp Supplement, ok bool, err error) {
	var fields string
	var due, created int64
	err = s.DB.SQL.QueryRowContext(ctx, `SELECT note, fields, due_at, created_at FROM supplement_requests
		WHERE order_id = $1 ORDER BY id DESC LIMIT 1`, orderID).Scan(&sp.Note, &fields, &due, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return sp, false, nil
	}
	if err != nil {
		return sp, false, err
	}
	_ = json.Unmarshal([]byte(fields), &sp.Fields)
	sp.DueAt, sp.CreatedAt = sqlstore.FromMicro(due), sqlstore.FromMicro(created)
	return sp, true, nil
}

// ViewVerificationPhoto opens the photo of the order's latest verification
// for provider staff and writes the view to the audit log first (Rule
// PRIV-1, action "verification.photo_view", as providerdb.ViewDocument
// does for documents). The role must be a staff role and the account's
// stored role (document.staff_only); an order without a photo is not
// found. The caller closes the reader.
func (s *Service) ViewVerificationPhoto(ctx context.Context, staffID int64, role beian.Role, orderID int64) (v providerdb.Verification, r io.ReadSeekCloser, err error) {
	defer beian.Wrap(&err, "view verification photo of order %d", orderID)
	err = s.DB.InTx(ctx, func(tx *sqlstore.Tx) error {
		var stored, number string
		err := tx.QueryRowContext(ctx, `SELECT role FROM provider_accounts WHERE id = $1 AND disabled_at = 0`, staffID).Scan(&stored)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		if stored != string(role) || (role != beian.RoleProviderReviewer && role != beian.RoleVerifier && role != beian.RoleProviderAdmin) {
			return &beian.Error{Kind: beian.KindForbidden, Code: "document.staff_only",
				Problems: beian.Problems{beian.NewProblem("document.staff_only", "PRIV-1", "")}}
		}
		if err := tx.QueryRowContext(ctx, `SELECT number FROM orders WHERE id = $1`, orderID).Scan(&number); err != nil {
			if errors.Is(err, sql.ErrNoRows) {
				return beian.Errorf(beian.KindNotFound, "")
			}
			return err
		}
		if v, err = s.Store.LatestVerificationTx(ctx, tx, orderID); err != nil {
			return err
		}
		if v.PhotoSHA256 == "" {
			return beian.Errorf(beian.KindNotFound, "")
		}
		err = s.Store.Audit.Append(ctx, tx, audit.Entry{Actor: "account:" + strconv.FormatInt(staffID, 10), Action: "verification.photo_view",
			Entity: "order", EntityID: number, After: map[string]any{"verification": v.ID, "role": string(role)}})
		return err
	})
	if err != nil {
		return providerdb.Verification{}, nil, err
	}
	f, _, err := s.Blobs.Open(v.PhotoSHA256)
	if err != nil {
		return providerdb.Verification{}, nil, err
	}
	return v, f, nil
}

// PhotoLimits returns the verification photo checks in force (Rule VER-1).
func (s *Service) PhotoLimits() PhotoLimits { return s.photoLimits() }

// VerifierPhoto records the photo a verification point took of the order's
// responsible person (Rule VER-1), as POST
// /api/v1/review/orders/{id}/verification-photo does: the photo is checked
// at once (a blurry one is refused with its sharpness) and the order moves
// to photo review.
func (s *Service) VerifierPhoto(ctx context.Context, verifierID, orderID int64, photo []byte) (VerificationAnswer, error) {
	if int64(len(photo)) > s.photoLimits().MaxBytes {
		return VerificationAnswer{}, beian.Errorf(beian.KindTooLarge, "photo.too_large", "max", strconv.FormatInt(s.photoLimits().MaxBytes>>10, 10)+" KiB")
	}
	o, err := s.Store.Order(ctx, orderID)
	if err != nil {
		return VerificationAnswer{}, err
	}
	return s.acceptPhoto(ctx, o, workflow.Verifier, "account:"+strconv.FormatInt(verifierID, 10), providerdb.VerifyPoint, photo)
}

// PointVisit is an order waiting in verification for a verification
// point's photo (Rule VER-1).
type PointVisit struct {
	Order       beian.Order
	SubjectName string
	RequestedAt time.Time
}

// PointVisits lists the orders in verification whose latest verification
// is a requested point visit, oldest request first.
func (s *Service) PointVisits(ctx context.Context) ([]PointVisit, error) {
	orders, err := s.Store.OrdersInStage(ctx, beian.StageVerification, 0)
	if err != nil {
		return nil, err
	}
	out := []PointVisit{}
	for _, o := range orders {
		v, err := s.Store.LatestVerification(ctx, o.ID)
		if beian.IsKind(err, beian.KindNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		if v.Method != providerdb.VerifyPoint || v.Status != providerdb.VerificationRequested {
			continue
		}
		var d beian.OrderData
		_ = json.Unmarshal(o.Data, &d)
		out = append(out, PointVisit{Order: o, SubjectName: d.Subject.Name, RequestedAt: v.CreatedAt})
	}
	return out, nil
}
