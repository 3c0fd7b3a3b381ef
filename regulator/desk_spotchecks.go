package regulator

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/beian/beian"
	"github.com/beian/beian/sqlstore"
)

// Results of a spot check.
const (
	SpotPassed = "passed"
	SpotFailed = "failed"
)

// SpotFailReasons are why a spot check fails (Rule CAN-1: information is
// false or unreachable, e.g. a dead phone number).
var SpotFailReasons = []string{"unreachable_phone", "unreachable_email", "false_information", "unreachable_site"}

// SpotCheckInput is a spot check a bureau reviewer records.
type SpotCheckInput struct {
	Number string `json:"number"` // a subject or website number of the reviewer's province
	Result string `json:"result"` // passed or failed
	Reason string `json:"reason,omitempty"`
	Note   string `json:"note,omitempty"`
}

// SpotCheck is a recorded spot check. A failed one names the desk
// cancellation it caused (CancellationID); RecordSpotCheck also returns
// that cancellation in full.
type SpotCheck struct {
	ID             int64             `json:"id"`
	Province       string            `json:"province"`
	Number         string            `json:"number"`
	Result         string            `json:"result"`
	Reason         string            `json:"reason,omitempty"`
	Note           string            `json:"note"`
	Actor          string            `json:"actor"`
	CreatedAt      time.Time         `json:"created_at"`
	CancellationID int64             `json:"cancellation_id,omitempty"`
	Cancellation   *DeskCancellation `json:"cancellation,omitempty"`
}

// RecordSpotCheck records a spot check of an active subject or website of
// the reviewer's province (another province's or an unknown number is
// not_found; a cancelled one invalid_state, registry.not_active). The
// result is passed or failed (registry.spot_check_result); a failure needs
// one of SpotFailReasons (registry.spot_check_reason) and cancels the
// filing for reason false_information (Rule CAN-1) like BureauCancel: the
// website (and its subject when it was the last one) or the subject with
// its websites, with the cancelled events to the providers serving them.
func (r *Registry) RecordSpotCheck(ctx context.Context, rv Reviewer, in SpotCheckInput) (sc SpotCheck, err error) {
	defer beian.Wrap(&err, "spot check")
	in.Result, in.Reason = strings.TrimSpace(in.Result), strings.TrimSpace(in.Reason)
	switch {
	case in.Result != SpotPassed && in.Result != SpotFailed:
		return sc, invalid("registry.spot_check_result", "CAN-1", "result")
	case in.Result == SpotFailed && !slices.Contains(SpotFailReasons, in.Reason):
		return sc, invalid("registry.spot_check_reason", "CAN-1", "reason", "reasons", strings.Join(SpotFailReasons, ", "))
	case in.Result == SpotPassed:
		in.Reason = ""
	}
	if in.Note, err = trimNote(in.Note); err != nil {
		return sc, err
	}
	ctx = reviewerCtx(ctx, rv)
	code, ok := r.reviewerProvince(rv)
	if !ok {
		return sc, notFound(in.Number)
	}
	err = r.inTx(ctx, func(tx *sqlstore.Tx) error {
		f, err := r.findFiling(ctx, tx, code, in.Number)
		if err != nil {
			return err
		}
		number := firstNonEmpty(f.website, f.subject)
		if !f.active() || f.status != StatusActive {
			return beian.Errorf(beian.KindInvalidState, "registry.not_active", "number", number)
		}
		sc = SpotCheck{Province: f.province, Number: number, Result: in.Result, Reason: in.Reason, Note: in.Note, Actor: actorOf(ctx), CreatedAt: stamp(tx)}
		if in.Result == SpotFailed {
			dc, err := r.deskCancelTx(ctx, tx, f, CancellationInput{Number: number, Reason: ReasonFalseInformation,
				Note: strings.TrimSpace("spot check: " + in.Reason + " " + in.Note)})
			if err != nil {
				return err
			}
			sc.Cancellation, sc.CancellationID = &dc, dc.ID
		}
		err = tx.QueryRowContext(ctx, `INSERT INTO registry_spot_checks (province, number, result, reason, note, cancellation_id, actor, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`, sc.Province, sc.Number, sc.Result, sc.Reason, sc.Note, sc.CancellationID,
			sc.Actor, sqlstore.Micro(tx.Now)).Scan(&sc.ID)
		if err != nil {
			return sqlstore.MapErr(err)
		}
		return r.appendAudit(ctx, tx, "spot_check.record", "spot_check", itoa(sc.ID), nil,
			map[string]any{"number": sc.Number, "result": sc.Result, "reason": sc.Reason, "cancellation": sc.CancellationID})
	})
	return sc, err
}

// SpotChecks lists the spot checks of the reviewer's province, newest
// first, at most limit (see deskLimit).
func (r *Registry) SpotChecks(ctx context.Context, rv Reviewer, limit int) (out []SpotCheck, err error) {
	defer beian.Wrap(&err, "spot checks")
	out = []SpotCheck{}
	code, ok := r.reviewerProvince(rv)
	if !ok {
		return out, nil
	}
	rows, err := r.DB.SQL.QueryContext(ctx, `SELECT id, province, number, result, reason, note, cancellation_id, actor, created_at
		FROM registry_spot_checks WHERE ($1 = '' OR province = $1) ORDER BY id DESC LIMIT $2`, code, deskLimit(limit))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var sc SpotCheck
		var at int64
		if err := rows.Scan(&sc.ID, &sc.Province, &sc.Number, &sc.Result, &sc.Reason, &sc.Note, &sc.CancellationID, &sc.Actor, &at); err != nil {
			return nil, err
		}
		sc.CreatedAt = sqlstore.FromMicro(at)
		out = append(out, sc)
	}
	return out, rows.Err()
}
