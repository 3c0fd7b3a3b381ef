package regulator

import (
	"context"
	"strings"
	"time"

	"github.com/beian/beian"
	"github.com/beian/beian/sqlstore"
)

// Reasons of the cancellations a bureau decides (Rule CAN-1; the reason
// of beian.CancelledPayload). ReasonSubjectRequest (bureau_apply.go) and
// ReasonEmptyShell (submissions_cancel.go) complete the list.
const (
	ReasonConflictClaim    = "conflict_claim"    // a new holder of an expired domain (ConflictClaim)
	ReasonFalseInformation = "false_information" // false or unreachable information, e.g. a failed spot check
	ReasonIllegalContent   = "illegal_content"   // website and subject go; serious cases are blacklisted
)

// DeskReasons are the reasons POST /api/v1/bureau/cancellations takes; a
// conflict claim has its own route, which checks the domain record first.
var DeskReasons = []string{ReasonSubjectRequest, ReasonFalseInformation, ReasonIllegalContent}

// CancellationInput is a cancellation decided at a bureau's desk.
type CancellationInput struct {
	Number string `json:"number"` // a subject or website number of the reviewer's province
	Reason string `json:"reason"` // one of DeskReasons
	Note   string `json:"note,omitempty"`
	// Blacklist puts the certificate number and the website names on the
	// blacklist (Rule CAN-1, serious cases); illegal_content only.
	Blacklist bool `json:"blacklist,omitempty"`
}

// DeskCancellation is a cancellation recorded at a bureau's desk.
type DeskCancellation struct {
	ID            int64     `json:"id"`
	Province      string    `json:"province"`
	Number        string    `json:"number"` // as named
	Reason        string    `json:"reason"`
	Note          string    `json:"note"`
	Blacklisted   bool      `json:"blacklisted"`
	SubjectNumber string    `json:"subject_number,omitempty"` // set when the subject was cancelled
	Websites      []string  `json:"websites"`                 // the website numbers cancelled
	Actor         string    `json:"actor"`
	CreatedAt     time.Time `json:"created_at"`
}

// BureauCancel cancels a subject or a website of the reviewer's province
// at the bureau's desk (Rules CAN-1, CAN-3, CAN-4): an unknown or another
// province's number is not_found; a cancelled one invalid_state
// (registry.already_cancelled); a reason outside DeskReasons invalid
// (registry.cancel_reason); blacklist without illegal_content invalid
// (registry.blacklist_reason). A website number cancels the website (and
// its subject when it was the last active one); a subject number the
// subject and all its websites; illegal_content always cancels the
// subject with all its websites. With Blacklist, the subject's
// certificate number and the names of the website named (for a subject
// number: of every website cancelled) go on the blacklist, so that
// Precheck reports them and Submit refuses them (registry.cert_blacklisted,
// registry.website_name_blacklisted). Every provider serving a cancelled
// website gets a cancelled event per number it served, and one for the
// subject when it went (beian.EventCancelled), in the same transaction.
func (r *Registry) BureauCancel(ctx context.Context, rv Reviewer, in CancellationInput) (dc DeskCancellation, err error) {
	defer beian.Wrap(&err, "bureau cancellation")
	in.Reason = strings.TrimSpace(in.Reason)
	known := false
	for _, reason := range DeskReasons {
		known = known || in.Reason == reason
	}
	switch {
	case !known:
		return dc, invalid("registry.cancel_reason", "CAN-1", "reason", "reasons", strings.Join(DeskReasons, ", "))
	case in.Blacklist && in.Reason != ReasonIllegalContent:
		return dc, invalid("registry.blacklist_reason", "CAN-1", "blacklist")
	}
	if in.Note, err = trimNote(in.Note); err != nil {
		return dc, err
	}
	ctx = reviewerCtx(ctx, rv)
	code, ok := r.reviewerProvince(rv)
	if !ok {
		return dc, notFound(in.Number)
	}
	err = r.inTx(ctx, func(tx *sqlstore.Tx) error {
		f, err := r.findFiling(ctx, tx, code, in.Number)
		if err != nil {
			return err
		}
		dc, err = r.deskCancelTx(ctx, tx, f, in)
		return err
	})
	return dc, err
}

// deskCancelTx cancels the filing in tx for the input's reason, records
// the desk cancellation and reports it to the providers (see BureauCancel).
func (r *Registry) deskCancelTx(ctx context.Context, tx *sqlstore.Tx, f deskFiling, in CancellationInput) (dc DeskCancellation, err error) {
	if !f.active() || f.status != StatusActive {
		return dc, beian.Errorf(beian.KindInvalidState, "registry.already_cancelled", "number", firstNonEmpty(f.website, f.subject))
	}
	whole := f.website == "" || in.Reason == ReasonIllegalContent // Rule CAN-1: illegal content takes the subject
	scope := f.website
	if whole {
		scope = ""
	}
	served, providers, err := servingProviders(ctx, tx, f.subjectID, scope)
	if err != nil {
		return dc, err
	}
	names := []string{f.websiteName}
	if f.website == "" {
		if names, err = strings1(ctx, tx, `SELECT name FROM registry_websites WHERE subject_id = $1 AND status = 'active' ORDER BY site`, f.subjectID); err != nil {
			return dc, err
		}
	}
	var c Cancellation
	if whole {
		c, err = r.CancelSubjectTx(ctx, tx, f.subject, in.Reason)
	} else {
		c, err = r.CancelWebsiteTx(ctx, tx, f.website, in.Reason)
	}
	if err != nil {
		return dc, err
	}
	if in.Blacklist { // Rule CAN-1: never filed again
		reason := ReasonIllegalContent + ": " + firstNonEmpty(f.website, f.subject)
		if f.cert != "" {
			if err := r.BlacklistTx(ctx, tx, BlacklistCert, f.cert, reason); err != nil {
				return dc, err
			}
		}
		for _, name := range names {
			if err := r.BlacklistTx(ctx, tx, BlacklistWebsiteName, name, reason); err != nil {
				return dc, err
			}
		}
	}
	dc = DeskCancellation{Province: f.province, Number: firstNonEmpty(f.website, f.subject), Reason: in.Reason, Note: in.Note,
		Blacklisted: in.Blacklist, SubjectNumber: c.Subject, Websites: append([]string{}, c.Websites...), Actor: actorOf(ctx), CreatedAt: stamp(tx)}
	err = tx.QueryRowContext(ctx, `INSERT INTO registry_desk_cancellations (province, number, reason, note, blacklisted, subject_number, websites, actor, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id`, dc.Province, dc.Number, dc.Reason, dc.Note, b2i(dc.Blacklisted),
		dc.SubjectNumber, strings.Join(dc.Websites, ";"), dc.Actor, sqlstore.Micro(tx.Now)).Scan(&dc.ID)
	if err != nil {
		return dc, sqlstore.MapErr(err)
	}
	for _, p := range providers {
		if err := emitCancelled(ctx, tx, p, "", "", Cancellation{Subject: c.Subject, Websites: served[p]}, in.Reason); err != nil {
			return dc, err
		}
	}
	return dc, r.appendAudit(ctx, tx, "cancellation.desk", "desk_cancellation", itoa(dc.ID), nil, map[string]any{
		"number": dc.Number, "reason": dc.Reason, "blacklisted": dc.Blacklisted, "subject_number": dc.SubjectNumber,
		"websites": dc.Websites, "providers": providers})
}

// BureauCancellations lists the desk cancellations of the reviewer's
// province, newest first, at most limit (see deskLimit).
func (r *Registry) BureauCancellations(ctx context.Context, rv Reviewer, limit int) (out []DeskCancellation, err error) {
	defer beian.Wrap(&err, "bureau cancellations")
	out = []DeskCancellation{}
	code, ok := r.reviewerProvince(rv)
	if !ok {
		return out, nil
	}
	rows, err := r.DB.SQL.QueryContext(ctx, `SELECT id, province, number, reason, note, blacklisted, subject_number, websites, actor, created_at
		FROM registry_desk_cancellations WHERE ($1 = '' OR province = $1) ORDER BY id DESC LIMIT $2`, code, deskLimit(limit))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var dc DeskCancellation
		var black int
		var websites string
		var at int64
		if err := rows.Scan(&dc.ID, &dc.Province, &dc.Number, &dc.Reason, &dc.Note, &black, &dc.SubjectNumber, &websites, &dc.Actor, &at); err != nil {
			return nil, err
		}
		dc.Blacklisted, dc.CreatedAt, dc.Websites = black == 1, sqlstore.FromMicro(at), []string{}
		if websites != "" {
			dc.Websites = strings.Split(websites, ";")
		}
		out = append(out, dc)
	}
	return out, rows.Err()
}

// firstNonEmpty returns the first of its arguments that is not empty.
func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}
