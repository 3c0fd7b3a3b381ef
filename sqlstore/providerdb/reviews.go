package providerdb

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/beian/beian"
	"github.com/beian/beian/audit"
	"github.com/beian/beian/sqlstore"
)

// The sources of review items: the provider's initial review (初审, Rule
// REV-3), its photo review (复审, REV-4) and the bureau (管局, REV-5).
const (
	ReviewInitial = "initial"
	ReviewPhoto   = "photo"
	ReviewBureau  = "bureau"
)

// ReviewRound is one rejection as recorded: its items (Rules REV-3, REV-5),
// where it came from, who gave it and when.
type ReviewRound struct {
	OrderID    int64
	Round      int // 1, 2, … per order
	Source     string
	ReviewerID int64 // 0 for the bureau
	Items      []beian.ReviewItem
	CreatedAt  time.Time
}

// orderNumber returns the number of the order, or not found.
func orderNumber(ctx context.Context, q querier, orderID int64) (string, error) {
	var number string
	err := q.QueryRowContext(ctx, `SELECT number FROM orders WHERE id = $1`, orderID).Scan(&number)
	if errors.Is(err, sql.ErrNoRows) {
		return "", beian.Errorf(beian.KindNotFound, "")
	}
	return number, err
}

// checkReviewItems validates a rejection's items (Rule REV-3): at least
// one; each with a field path, a reason and one of the three actions.
func checkReviewItems(source string, items []beian.ReviewItem) beian.Problems {
	var ps beian.Problems
	switch source {
	case ReviewInitial, ReviewPhoto, ReviewBureau:
	default:
		ps.Add("review.source_unknown", "", "source")
	}
	if len(items) == 0 {
		ps.Add("review.items_required", "REV-3", "items")
	}
	for i, it := range items {
		f := fmt.Sprintf("items[%d]", i)
		if strings.TrimSpace(it.Field) == "" {
			ps.Add("review.field_required", "REV-3", f+".field")
		}
		if strings.TrimSpace(it.Reason) == "" {
			ps.Add("review.reason_required", "REV-3", f+".reason")
		}
		switch it.Action {
		case beian.ActionFixSubject, beian.ActionFixWebsite, beian.ActionFixMaterials:
		default:
			ps.Add("review.action_unknown", "REV-3", f+".action")
		}
	}
	return ps
}

// AddReviewItems records a rejection's items as the order's next round
// (the previous highest round + 1), in the caller's transaction: it is a
// Transition Effect of a rejection (Rules REV-3, REV-4, REV-5). source is
// initial, photo or bureau; reviewerID the provider reviewer (0 for the
// bureau). Items are checked (review.* problems, nothing written); a photo
// review's items always concern the photo (REV-6). An unknown order is not
// found. The round runs under the order's lock that Transition holds.
func (s *Store) AddReviewItems(ctx context.Context, tx *sqlstore.Tx, orderID int64, source string, reviewerID int64, items []beian.ReviewItem) (round int, err error) {
	defer beian.Wrap(&err, "add review items to order %d", orderID)
	if err := checkReviewItems(source, items).Err(); err != nil {
		return 0, err
	}
	number, err := orderNumber(ctx, tx, orderID)
	if err != nil {
		return 0, err
	}
	if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(round), 0) + 1 FROM review_items WHERE order_id = $1`, orderID).Scan(&round); err != nil {
		return 0, err
	}
	fields := make([]string, 0, len(items))
	for _, it := range items {
		photo := it.Photo || source == ReviewPhoto
		_, err := tx.ExecContext(ctx, `INSERT INTO review_items (order_id, round, source, field, reason, suggestion, action, photo, reviewer_id, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
			orderID, round, source, strings.TrimSpace(it.Field), it.Reason, it.Suggestion, string(it.Action), boolInt(photo), reviewerID, sqlstore.Micro(tx.Now))
		if err != nil {
			return 0, sqlstore.MapErr(err)
		}
		fields = append(fields, strings.TrimSpace(it.Field))
	}
	err = s.Audit.Append(ctx, tx, audit.Entry{Actor: reviewActor(source, reviewerID), Action: "review.items", Entity: "order", EntityID: number,
		After: map[string]any{"round": round, "source": source, "fields": fields}})
	return round, err
}

func reviewActor(source string, reviewerID int64) string {
	if reviewerID != 0 {
		return "account:" + itoa(reviewerID)
	}
	if source == ReviewBureau {
		return "registry"
	}
	return "system"
}

// ReviewRound returns one round of the order's review items; round 0 is the
// latest. An unknown order, or a round it does not have, is not found. One
// query: the order's row, joined to the items of the round asked for (none
// when the order has no such round), so that the order view costs one
// round trip here, not three.
func (s *Store) ReviewRound(ctx context.Context, orderID int64, round int) (rr ReviewRound, err error) {
	defer beian.Wrap(&err, "review round %d of order %d", round, orderID)
	which := `r.round = $2`
	args := []any{orderID, round}
	if round == 0 {
		which, args = `r.round = (SELECT MAX(m.round) FROM review_items m WHERE m.order_id = o.id)`, args[:1]
	}
	rows, err := s.DB.SQL.QueryContext(ctx, `SELECT r.round, r.source, r.field, r.reason, r.suggestion, r.action, r.photo, r.reviewer_id, r.created_at
		FROM orders o LEFT JOIN review_items r ON r.order_id = o.id AND `+which+`
		WHERE o.id = $1 ORDER BY r.id`, args...)
	if err != nil {
		return rr, err
	}
	defer rows.Close()
	found := false
	rr = ReviewRound{OrderID: orderID, Items: []beian.ReviewItem{}}
	for rows.Next() {
		found = true
		var it beian.ReviewItem
		var r, photo sql.NullInt64
		var source, field, reason, suggestion, action sql.NullString
		var reviewer, created sql.NullInt64
		if err := rows.Scan(&r, &source, &field, &reason, &suggestion, &action, &photo, &reviewer, &created); err != nil {
			return rr, err
		}
		if !r.Valid { // the order, without items of that round
			continue
		}
		rr.Round, rr.Source, rr.ReviewerID, rr.CreatedAt = int(r.Int64), source.String, reviewer.Int64, sqlstore.FromMicro(created.Int64)
		it.Field, it.Reason, it.Suggestion = field.String, reason.String, suggestion.String
		it.Action, it.Photo = beian.ReviewAction(action.String), photo.Int64 == 1
		rr.Items = append(rr.Items, it)
	}
	if err := rows.Err(); err != nil {
		return rr, err
	}
	if !found {
		return ReviewRound{}, beian.Errorf(beian.KindNotFound, "")
	}
	if len(rr.Items) == 0 {
		return ReviewRound{}, fmt.Errorf("%w: %w", errNoRound, beian.Errorf(beian.KindNotFound, ""))
	}
	return rr, nil
}

// errNoRound marks ReviewRound's not found for an order that exists but
// has not the round asked for.
var errNoRound = errors.New("the order has no such review round")

// ReviewItems returns the items of one review round of the order and the
// round's number; round 0 asks for the latest (Rules REV-3, REV-5: what the
// customer must fix). An order never rejected has no items: an empty list
// and round 0. An unknown order or round is not found.
func (s *Store) ReviewItems(ctx context.Context, orderID int64, round int) ([]beian.ReviewItem, int, error) {
	rr, err := s.ReviewRound(ctx, orderID, round)
	if round == 0 && errors.Is(err, errNoRound) {
		return []beian.ReviewItem{}, 0, nil
	}
	if err != nil {
		return nil, 0, err
	}
	return rr.Items, rr.Round, nil
}

// Verification methods (Rules VER-1, VER-2): at a verification point, with
// a mailed curtain, by upload, or by the app.
const (
	VerifyPoint   = "point"
	VerifyCurtain = "curtain"
	VerifyUpload  = "upload"
	VerifyApp     = "app"
)

// Verification statuses.
const (
	VerificationRequested = "requested"
	VerificationSubmitted = "submitted"
	VerificationApproved  = "approved"
	VerificationRejected  = "rejected"
)

// Verification is one identity verification of an order (Rules VER-1,
// VER-2): a curtain photo (its blob's SHA-256 and measured sharpness) or an
// app verification (its result in Detail), with its review status.
// ApprovedAt is set when it is approved (REV-6 reuses the photo from it).
type Verification struct {
	ID, OrderID int64
	Method      string
	Status      string
	PhotoSHA256 string
	Sharpness   float64
	Detail      json.RawMessage
	ApprovedAt  time.Time
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

const verificationColumns = `id, order_id, method, status, photo_sha256, sharpness, detail, approved_at, created_at, updated_at`

// verificationColumnsV are verificationColumns of the table aliased v.
const verificationColumnsV = `v.id, v.order_id, v.method, v.status, v.photo_sha256, v.sharpness, v.detail, v.approved_at, v.created_at, v.updated_at`

func scanVerification(row interface{ Scan(...any) error }, extra ...any) (v Verification, err error) {
	var detail string
	var approved, created, updated int64
	err = row.Scan(append([]any{&v.ID, &v.OrderID, &v.Method, &v.Status, &v.PhotoSHA256, &v.Sharpness, &detail, &approved, &created, &updated}, extra...)...)
	if errors.Is(err, sql.ErrNoRows) {
		return v, beian.Errorf(beian.KindNotFound, "")
	}
	v.Detail = json.RawMessage(detail)
	v.ApprovedAt, v.CreatedAt, v.UpdatedAt = sqlstore.FromMicro(approved), sqlstore.FromMicro(created), sqlstore.FromMicro(updated)
	return v, err
}

func validVerificationStatus(s string) bool {
	switch s {
	case VerificationRequested, VerificationSubmitted, VerificationApproved, VerificationRejected:
		return true
	}
	return false
}

func verificationAudit(v Verification) map[string]any {
	// Detail stays out: an app verification's result may hold personal data.
	return map[string]any{"verification": v.ID, "method": v.Method, "status": v.Status, "photo_sha256": v.PhotoSHA256}
}

// AddVerification records a verification of an order in the caller's
// transaction (Rules VER-1, VER-2). An empty status is requested; an
// approved one gets ApprovedAt (tx.Now when zero). Checked: the method
// (verification.method_unknown), the status, the photo hash (64 lower-case
// hex digits or empty), the sharpness (not negative) and Detail (JSON).
// An unknown order is not found. Its audit record (on the order's
// timeline, without Detail) names the actor "system": the caller's own
// record, such as the transition's, names the person.
func (s *Store) AddVerification(ctx context.Context, tx *sqlstore.Tx, v Verification) (out Verification, err error) {
	defer beian.Wrap(&err, "add verification to order %d", v.OrderID)
	if v.Status == "" {
		v.Status = VerificationRequested
	}
	if len(v.Detail) == 0 {
		v.Detail = json.RawMessage(`{}`)
	}
	var ps beian.Problems
	switch v.Method {
	case VerifyPoint, VerifyCurtain, VerifyUpload, VerifyApp:
	default:
		ps.Add("verification.method_unknown", "VER-1", "method")
	}
	if !validVerificationStatus(v.Status) {
		ps.Add("verification.status_unknown", "", "status")
	}
	if v.PhotoSHA256 != "" && !isSHA256Hex(v.PhotoSHA256) {
		ps.Add("verification.photo_hash_invalid", "VER-1", "photo_sha256")
	}
	if v.Sharpness < 0 || math.IsNaN(v.Sharpness) || math.IsInf(v.Sharpness, 0) {
		ps.Add("verification.sharpness_invalid", "VER-1", "sharpness")
	}
	if !json.Valid(v.Detail) {
		ps.Add("verification.detail_invalid", "", "detail")
	}
	if err := ps.Err(); err != nil {
		return out, err
	}
	number, err := orderNumber(ctx, tx, v.OrderID)
	if err != nil {
		return out, err
	}
	approved := int64(0)
	if v.Status == VerificationApproved {
		approved = sqlstore.Micro(v.ApprovedAt)
		if approved == 0 {
			approved = sqlstore.Micro(tx.Now)
		}
	}
	now := sqlstore.Micro(tx.Now)
	out, err = scanVerification(tx.QueryRowContext(ctx, `INSERT INTO verifications (order_id, method, status, photo_sha256, sharpness, detail, approved_at, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) RETURNING `+verificationColumns,
		v.OrderID, v.Method, v.Status, v.PhotoSHA256, v.Sharpness, string(v.Detail), approved, now))
	if err != nil {
		return out, sqlstore.MapErr(err)
	}
	err = s.Audit.Append(ctx, tx, audit.Entry{Actor: "system", Action: "verification.add", Entity: "order", EntityID: number,
		After: verificationAudit(out)})
	return out, err
}

// SetVerificationStatus moves a verification on, in the caller's
// transaction (Rules VER-1, REV-4): requested → submitted, approved or
// rejected; submitted → approved or rejected. Approved sets ApprovedAt to
// at (tx.Now when zero), which REV-6 measures the photo's reuse from. The
// same status again changes nothing; any other move is invalid_state
// (verification.status_not_allowed). An unknown verification is not found.
func (s *Store) SetVerificationStatus(ctx context.Context, tx *sqlstore.Tx, id int64, status string, at time.Time) (err error) {
	defer beian.Wrap(&err, "verification %d %s", id, status)
	if !validVerificationStatus(status) {
		return beian.Problems{beian.NewProblem("verification.status_unknown", "", "status")}.Err()
	}
	q := `SELECT ` + verificationColumnsV + `, o.number FROM verifications v JOIN orders o ON o.id = v.order_id WHERE v.id = $1`
	if tx.Driver == sqlstore.Postgres {
		q += ` FOR UPDATE OF v`
	}
	var number string
	before, err := scanVerification(tx.QueryRowContext(ctx, q, id), &number)
	if err != nil {
		return err
	}
	if before.Status == status {
		return nil
	}
	allowed := before.Status == VerificationRequested ||
		before.Status == VerificationSubmitted && (status == VerificationApproved || status == VerificationRejected)
	if !allowed {
		return &beian.Error{Kind: beian.KindInvalidState, Code: "verification.status_not_allowed",
			Args:     map[string]string{"from": before.Status, "to": status},
			Problems: beian.Problems{beian.NewProblem("verification.status_not_allowed", "VER-1", "status", "from", before.Status, "to", status)}}
	}
	approved := int64(0)
	if status == VerificationApproved {
		if approved = sqlstore.Micro(at); approved == 0 {
			approved = sqlstore.Micro(tx.Now)
		}
	}
	after, err := scanVerification(tx.QueryRowContext(ctx, `UPDATE verifications SET status = $1, approved_at = $2, updated_at = $3
		WHERE id = $4 RETURNING `+verificationColumns, status, approved, sqlstore.Micro(tx.Now), id))
	if err != nil {
		return sqlstore.MapErr(err)
	}
	err = s.Audit.Append(ctx, tx, audit.Entry{Actor: "system", Action: "verification.status", Entity: "order", EntityID: number,
		Before: verificationAudit(before), After: verificationAudit(after)})
	return err
}

// LatestVerification returns the order's most recent verification (Rules
// VER-1, VER-2); none is not found.
func (s *Store) LatestVerification(ctx context.Context, orderID int64) (Verification, error) {
	return latestVerification(ctx, s.DB.SQL, orderID)
}

// LatestVerificationTx is LatestVerification in the caller's transaction
// (see OrderByNumberTx).
func (s *Store) LatestVerificationTx(ctx context.Context, tx *sqlstore.Tx, orderID int64) (Verification, error) {
	return latestVerification(ctx, tx, orderID)
}

func latestVerification(ctx context.Context, q querier, orderID int64) (Verification, error) {
	return scanVerification(q.QueryRowContext(ctx, `SELECT `+verificationColumns+` FROM verifications
		WHERE order_id = $1 ORDER BY id DESC LIMIT 1`, orderID))
}

// ApprovedPhoto returns the order's most recently approved verification
// photo and when it was approved, for Rule REV-6 (reuse within one calendar
// month of approval when no item concerns the photo; see
// workflow.PhotoReusable). ok is false when the order has none.
func (s *Store) ApprovedPhoto(ctx context.Context, orderID int64) (sha string, approvedAt time.Time, ok bool, err error) {
	return approvedPhoto(ctx, s.DB.SQL, orderID)
}

// ApprovedPhotoTx is ApprovedPhoto in the caller's transaction (see
// OrderByNumberTx).
func (s *Store) ApprovedPhotoTx(ctx context.Context, tx *sqlstore.Tx, orderID int64) (sha string, approvedAt time.Time, ok bool, err error) {
	return approvedPhoto(ctx, tx, orderID)
}

func approvedPhoto(ctx context.Context, q querier, orderID int64) (sha string, approvedAt time.Time, ok bool, err error) {
	var at int64
	err = q.QueryRowContext(ctx, `SELECT photo_sha256, approved_at FROM verifications
		WHERE order_id = $1 AND status = 'approved' AND photo_sha256 <> '' ORDER BY approved_at DESC, id DESC LIMIT 1`, orderID).Scan(&sha, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return "", time.Time{}, false, nil
	}
	if err != nil {
		return "", time.Time{}, false, fmt.Errorf("approved photo of order %d: %w", orderID, err)
	}
	return sha, sqlstore.FromMicro(at), true, nil
}
