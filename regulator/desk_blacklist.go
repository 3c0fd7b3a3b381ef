package regulator

import (
	"context"

	"github.com/beian/beian"
	"github.com/beian/beian/sqlstore"
)

// BlacklistInput is a blacklist entry a bureau reviewer adds (Rule CAN-1).
type BlacklistInput struct {
	Kind   string `json:"kind"`  // BlacklistCert or BlacklistWebsiteName
	Value  string `json:"value"` // a certificate number (any type) or a website name
	Reason string `json:"reason"`
}

// BureauBlacklist adds a certificate number or a website name to the
// blacklist at a bureau's desk, audited as the reviewer (Rule CAN-1; see
// BlacklistTx: an entry already listed keeps its first reason), and
// returns the entry as lists show it (certificate numbers masked). From
// then on Precheck reports it and Submit refuses it with
// registry.cert_blacklisted or registry.website_name_blacklisted.
func (r *Registry) BureauBlacklist(ctx context.Context, rv Reviewer, in BlacklistInput) (e BlacklistEntry, err error) {
	defer beian.Wrap(&err, "bureau blacklist")
	if _, ok := r.reviewerProvince(rv); !ok {
		return e, beian.Errorf(beian.KindForbidden, "auth.role")
	}
	ctx = reviewerCtx(ctx, rv)
	err = r.inTx(ctx, func(tx *sqlstore.Tx) error {
		if err := r.BlacklistTx(ctx, tx, in.Kind, in.Value, in.Reason); err != nil {
			return err
		}
		e, err = blacklistEntry(ctx, tx, in.Kind, in.Value)
		return err
	})
	return e, err
}
