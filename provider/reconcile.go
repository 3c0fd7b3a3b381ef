package provider

import (
	"context"
	"slices"
	"strings"

	"github.com/beian/beian"
	"github.com/beian/beian/sqlstore"
	"github.com/beian/beian/validate"
)

// Drift is one difference between the provider's copy of a filing and the
// registry's record. Fixed says whether Reconcile corrected the
// provider's copy; the others need a person.
type Drift struct {
	Number string `json:"number"` // the subject or website number
	Kind   string `json:"kind"`   // see Reconcile
	Fixed  bool   `json:"fixed"`
}

// ReconcileReport is what one reconciliation found.
type ReconcileReport struct {
	Subjects int     `json:"subjects"` // subject numbers asked of the registry
	Checked  int     `json:"checked"`  // websites compared
	Drifts   []Drift `json:"drifts"`
}

// Reconcile compares this provider's numbered websites (served, pending or
// lapsed) with the registry's records (beian.Connector.Filing, one call
// per subject) and corrects what the event feed should have told
// (issue 6): a subject cancelled in the registry ("subject_cancelled") or a
// website cancelled there ("website_cancelled") is cancelled here too —
// the gate blocks it at once (Rules CAN-1, CAN-3, GATE-1) — and the
// persons are told (Rule NOTE-1). Reported only: a subject number the
// registry does not know ("filing_not_found"), a website missing from its
// subject's record ("website_not_in_registry"), different domains
// ("domains_differ") and a website nobody serves in the registry
// ("no_access_provider"). A registry that cannot be reached stops the run
// with its error; Run repeats it every ReconcileInterval.
func (s *Service) Reconcile(ctx context.Context) (rep ReconcileReport, err error) {
	defer beian.Wrap(&err, "reconcile with the registry")
	rep.Drifts = []Drift{}
	list, err := s.Store.NumberedWebsites(ctx)
	if err != nil {
		return rep, err
	}
	bySubject := map[string][]beian.Website{}
	var subjects []string
	for _, n := range list {
		num := n.SubjectNumber
		if num == "" {
			if p, ps := validate.ParseFilingNumber(s.Ref, n.Website.Number); len(ps) == 0 {
				num = p.SubjectNumber().String()
			}
		}
		if _, ok := bySubject[num]; !ok {
			subjects = append(subjects, num)
		}
		bySubject[num] = append(bySubject[num], n.Website)
	}
	for _, num := range subjects {
		rep.Subjects++
		f, err := s.Connector.Filing(ctx, num)
		if beian.IsKind(err, beian.KindNotFound) {
			rep.Drifts = append(rep.Drifts, Drift{Number: num, Kind: "filing_not_found"})
			continue
		}
		if err != nil {
			return rep, err
		}
		if f.Status == "cancelled" {
			if err := s.fixCancelled(ctx, num); err != nil {
				return rep, err
			}
			rep.Checked += len(bySubject[num])
			rep.Drifts = append(rep.Drifts, Drift{Number: num, Kind: "subject_cancelled", Fixed: true})
			continue
		}
		for _, w := range bySubject[num] {
			rep.Checked++
			i := slices.IndexFunc(f.Websites, func(fw beian.FilingWebsite) bool { return fw.Number == w.Number })
			if i < 0 {
				rep.Drifts = append(rep.Drifts, Drift{Number: w.Number, Kind: "website_not_in_registry"})
				continue
			}
			fw := f.Websites[i]
			switch {
			case fw.Status == "cancelled":
				if err := s.fixCancelled(ctx, w.Number); err != nil {
					return rep, err
				}
				rep.Drifts = append(rep.Drifts, Drift{Number: w.Number, Kind: "website_cancelled", Fixed: true})
			case !sameDomains(w.Domains, fw.Domains):
				rep.Drifts = append(rep.Drifts, Drift{Number: w.Number, Kind: "domains_differ"})
			case len(fw.Providers) == 0 && w.Access == beian.GateServed:
				rep.Drifts = append(rep.Drifts, Drift{Number: w.Number, Kind: "no_access_provider"})
			}
		}
	}
	return rep, nil
}

// fixCancelled cancels the number here and tells the persons, in one
// transaction.
func (s *Service) fixCancelled(ctx context.Context, number string) error {
	return s.DB.InTx(ctx, func(tx *sqlstore.Tx) error {
		subjectID, err := s.cancelNumber(ctx, tx, number)
		if err != nil || subjectID == 0 {
			return err
		}
		return s.notifySubject(ctx, tx, subjectID, TemplateFilingCancelled, map[string]string{"number": number})
	})
}

// sameDomains compares two domain lists as sets, case-insensitively.
func sameDomains(a, b []string) bool {
	norm := func(l []string) []string {
		out := make([]string, len(l))
		for i, d := range l {
			out[i] = strings.ToLower(strings.TrimSpace(d))
		}
		slices.Sort(out)
		return slices.Compact(out)
	}
	return slices.Equal(norm(a), norm(b))
}
