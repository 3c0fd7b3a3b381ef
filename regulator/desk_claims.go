package regulator

import (
	"context"
	"strings"

	"github.com/beian/beian"
	"github.com/beian/beian/sqlstore"
	"github.com/beian/beian/validate"
)

// ClaimInput is a conflict claim (Rules CAN-1, WEB-6, SUBJ-1): the new
// holder of a domain that an old registration still holds in the registry
// asks the bureau of that filing's province to cancel it.
type ClaimInput struct {
	Domain   string `json:"domain"`             // registrable domain, ASCII or Unicode
	Claimant string `json:"claimant,omitempty"` // who filed the claim, as the bureau notes it
	Note     string `json:"note,omitempty"`
}

// ConflictClaim decides a conflict claim at the reviewer's bureau (Rule
// CAN-1): the domain must be held by an active website of the reviewer's
// province (registry.claim_not_filed, not_found, otherwise — also for
// another province's website), and the registry's registration record of
// the domain (Rule WEB-6, records.go) must show that the old registration
// is over: a holder other than the website's subject (by certificate
// number; by name for an imported subject without one), or an expiry
// date before today (CST). A domain without a record is invalid
// (registry.claim_no_record: never waved through); a record that still
// names the old holder and has not expired is invalid
// (registry.claim_old_holder). Then the website is cancelled for reason
// conflict_claim, and its subject too when it was its only active website,
// with the cancelled events to its providers (see BureauCancel); the
// domain is free for the new holder's filing.
func (r *Registry) ConflictClaim(ctx context.Context, rv Reviewer, in ClaimInput) (dc DeskCancellation, err error) {
	defer beian.Wrap(&err, "conflict claim")
	ascii, ok := registrableASCII(in.Domain)
	if !ok {
		return dc, invalid("registry.domain_invalid", "WEB-4", "domain", "domain", in.Domain)
	}
	claimant := strings.TrimSpace(in.Claimant)
	note, err := trimNote(strings.TrimSpace(claimant + " " + strings.TrimSpace(in.Note)))
	if err != nil {
		return dc, err
	}
	ctx = reviewerCtx(ctx, rv)
	code, ok := r.reviewerProvince(rv)
	notFiled := beian.Errorf(beian.KindNotFound, "registry.claim_not_filed", "domain", unicodeDomain(ascii))
	if !ok {
		return dc, notFiled
	}
	err = r.inTx(ctx, func(tx *sqlstore.Tx) error {
		number, _, err := domainHolder(ctx, tx, ascii)
		if err != nil {
			return err
		}
		if number == "" {
			return notFiled
		}
		f, err := r.findFiling(ctx, tx, code, number)
		if beian.IsKind(err, beian.KindNotFound) {
			return notFiled
		}
		if err != nil {
			return err
		}
		rec, found, err := domainRecord(ctx, tx, ascii)
		if err != nil {
			return err
		}
		if !found {
			return invalid("registry.claim_no_record", "WEB-6", "domain", "domain", unicodeDomain(ascii))
		}
		if !claimHolds(f, rec, tx) {
			return invalid("registry.claim_old_holder", "CAN-1", "domain", "domain", unicodeDomain(ascii), "number", f.website)
		}
		dc, err = r.deskCancelTx(ctx, tx, f, CancellationInput{Number: f.website, Reason: ReasonConflictClaim, Note: note})
		return err
	})
	return dc, err
}

// claimHolds reports whether the domain's record shows the website's old
// registration is over: a new holder, or the registration expired.
func claimHolds(f deskFiling, rec DomainRecord, tx *sqlstore.Tx) bool {
	newHolder := false
	if f.cert != "" {
		newHolder = validate.NormalizeCertificate(rec.HolderCertNumber) != f.cert
	} else {
		newHolder = strings.TrimSpace(rec.HolderName) != strings.TrimSpace(f.unitName)
	}
	expired := !rec.ExpiresOn.IsZero() && beian.DateOf(rec.ExpiresOn).Before(beian.DateOf(tx.Now)) // Rule CAL-0
	return newHolder || expired
}
