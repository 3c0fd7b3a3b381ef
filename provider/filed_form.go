package provider

import (
	"context"
	"encoding/json"
	"slices"
	"strings"

	"github.com/beian/beian"
)

// The filed form: what the registry holds of the subject, as the forms of
// its approved orders here put together (Rule OTH-2).

// lastApprovedData returns the subject's filed form before o (what the
// registry holds), or nil when no order of it was approved: the subject of
// its most recent approved order, and every website its approved orders
// filed (a later order's form of a website replacing an earlier one),
// each with its number from the provider's websites and without those no
// longer served here (cancelled, or their access cancelled). A new
// website's order carries only the new website, so the most recent order
// alone is not the filed data (Rule OTH-2).
func (s *Service) lastApprovedData(ctx context.Context, o beian.Order) (json.RawMessage, error) {
	rows, err := s.DB.SQL.QueryContext(ctx, `SELECT data FROM orders WHERE subject_id = $1 AND id <> $2 AND stage = 'approved'
		AND type NOT IN ('cancel_subject', 'cancel_website', 'cancel_access') ORDER BY stage_at, id`, o.SubjectID, o.ID)
	if err != nil {
		return nil, err
	}
	var forms []beian.OrderData
	for rows.Next() {
		var data string
		if err := rows.Scan(&data); err != nil {
			rows.Close()
			return nil, err
		}
		var d beian.OrderData
		if err := json.Unmarshal([]byte(data), &d); err != nil {
			rows.Close()
			return nil, err
		}
		forms = append(forms, d)
	}
	rows.Close()
	if err := rows.Err(); err != nil || len(forms) == 0 {
		return nil, err
	}
	sites, err := s.subjectWebsites(ctx, o.SubjectID)
	if err != nil {
		return nil, err
	}
	return json.Marshal(filedForm(forms, sites))
}

// filedForm merges the approved forms (oldest first) into the filed form
// over the provider's websites (see lastApprovedData).
func filedForm(forms []beian.OrderData, sites []beian.Website) beian.OrderData {
	var out beian.OrderData
	same := func(a, b beian.WebsiteForm) bool {
		if a.Number != "" && b.Number != "" {
			return a.Number == b.Number
		}
		return overlaps(lowerAll(a.Domains), lowerAll(b.Domains))
	}
	for _, d := range forms {
		if strings.TrimSpace(d.Subject.Name) != "" {
			out.Subject = d.Subject
		}
		for _, w := range d.Websites {
			if i := slices.IndexFunc(out.Websites, func(x beian.WebsiteForm) bool { return same(x, w) }); i >= 0 {
				out.Websites[i] = w
			} else {
				out.Websites = append(out.Websites, w)
			}
		}
	}
	kept := out.Websites[:0]
	for _, w := range out.Websites {
		i := slices.IndexFunc(sites, func(x beian.Website) bool {
			return w.Number != "" && x.Number == w.Number || overlaps(x.Domains, lowerAll(w.Domains))
		})
		if i < 0 {
			kept = append(kept, w) // not filed here yet: kept as the form has it
			continue
		}
		if a := sites[i].Access; a == beian.GateCancelled || a == beian.GateAccessCancelled {
			continue
		}
		if sites[i].Number != "" {
			w.Number = sites[i].Number
		}
		kept = append(kept, w)
	}
	out.Websites = kept
	return out
}

// lowerAll is the domains trimmed and in lower case.
func lowerAll(ds []string) []string {
	out := make([]string, len(ds))
	for i, d := range ds {
		out[i] = strings.ToLower(strings.TrimSpace(d))
	}
	return out
}

// cancelSubject completes the form of a cancel_subject or cancel_website
// order, which names only what it removes, with the filed subject: the
// registry needs its province, certificate and responsible person (Rule
// VER-3 sends the person the SMS code). The order's subject number stays.
func (s *Service) cancelSubject(ctx context.Context, o beian.Order, d *beian.OrderData) error {
	if (o.Type != beian.CancelSubject && o.Type != beian.CancelWebsite) || strings.TrimSpace(d.Subject.CertNumber) != "" {
		return nil
	}
	number := d.Subject.Number
	prev, err := s.lastApprovedData(ctx, o)
	if err != nil {
		return err
	}
	var filed beian.OrderData
	if prev != nil {
		if err := json.Unmarshal(prev, &filed); err != nil {
			return err
		}
	}
	d.Subject = filed.Subject
	if strings.TrimSpace(d.Subject.CertNumber) == "" { // filed elsewhere and never changed here: the subject record
		sub, err := s.Store.AccountSubject(ctx, o.AccountID)
		if err != nil {
			return err
		}
		d.Subject.Nature, d.Subject.Name, d.Subject.Province = sub.Nature, sub.Name, sub.Province
		d.Subject.CertType, d.Subject.CertNumber = sub.CertType, sub.CertNumber
	}
	if number != "" {
		d.Subject.Number = number
	}
	return nil
}
