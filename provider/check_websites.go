package provider

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/beian/beian"
	"github.com/beian/beian/sqlstore/providerdb"
	"github.com/beian/beian/validate"
)

// checkWebsites checks the websites of the form (Rule WEB-0: 1 to
// Options.MaxWebsites). full checks every field (Rules WEB-1 to WEB-4);
// otherwise (a change of access, Rule OTH-3) only the website numbers and
// the resources. Change types name filed websites of the subject.
func (fc *formCheck) checkWebsites(ctx context.Context, full bool) error {
	ws := fc.data.Websites
	switch {
	case len(ws) == 0:
		fc.ps.Add("check.websites_required", "WEB-0", "websites")
	case fc.s.Options.MaxWebsites > 0 && len(ws) > fc.s.Options.MaxWebsites:
		fc.ps.Add("check.websites_too_many", "WEB-0", "websites", "max", strconv.Itoa(fc.s.Options.MaxWebsites))
	}
	change := !addsWebsites(fc.typ)
	seen := map[string]string{} // ASCII domain → its first path in the form
	total := 0
	for i, w := range ws {
		prefix := fmt.Sprintf("websites[%d]", i)
		var ps beian.Problems
		if change {
			if _, ok := fc.websiteOf(w.Number); !ok {
				ps.Add("check.website_unknown", "TYPE-1", "number")
			}
		}
		if full {
			ps = append(ps, fc.checkWebsite(w, prefix, seen)...)
			total += len(w.Domains)
		}
		rps, err := fc.checkResources(ctx, w)
		if err != nil {
			return err
		}
		ps = append(ps, rps...)
		fc.ps.Extend(prefix, ps)
	}
	if max := fc.reqs.MaxDomainsPerOrder; full && max > 0 && total > max { // Rule SUBJ-4
		fc.ps.Add("check.domains_per_order", "SUBJ-4", "websites", "max", strconv.Itoa(max))
	}
	return nil
}

// checkWebsite checks one website's fields (Rules WEB-1 to WEB-4) and
// records its valid domains for the registry's precheck. Its problems
// are relative to the website; prefix is its path in the form.
func (fc *formCheck) checkWebsite(w beian.WebsiteForm, prefix string, seen map[string]string) beian.Problems {
	var ps beian.Problems
	doms, dps := validate.Domains(fc.s.Ref, w.Domains, 0)
	ps.Extend("domains", dps)
	for j, in := range w.Domains {
		d, bad := validate.NormalizeDomain(fc.s.Ref, in)
		if len(bad) > 0 {
			continue
		}
		path := fmt.Sprintf("%s.domains[%d]", prefix, j)
		if first, ok := seen[d.ASCII]; ok {
			if !strings.HasPrefix(first, prefix+".") { // repeats inside one website: validate.Domains said so
				ps.Add("check.domain_repeated", "WEB-4", fmt.Sprintf("domains[%d]", j), "domain", d.Unicode, "first", first)
			}
			continue
		}
		seen[d.ASCII] = path
		fc.domains, fc.paths = append(fc.domains, d.ASCII), append(fc.paths, path)
	}
	ps.Extend("homepage", validate.Homepage(w.Homepage, doms, fc.s.Options.RequireWWW))
	ps = append(ps, validate.Website(fc.s.Ref, validate.WebsiteInput{Name: w.Name, Domains: doms, Nature: fc.data.Subject.Nature,
		ServiceContent: w.ServiceContent, PreApprovals: w.PreApprovals, Remark: w.Remark, SubjectName: fc.data.Subject.Name,
		Languages: w.Languages})...)
	ps.Extend("person", fc.checkPerson(w.Person, false))
	return ps
}

// checkResources checks the cloud resources a website uses (Rules ACC-2,
// ACC-3): at least one; each the account's own eligible resource by ID, or
// a usable authorization code of another account (counting its uses in
// this form against what is left of its limit); server IPs, when given,
// among the resources' public IPs. Problems are relative to the website.
func (fc *formCheck) checkResources(ctx context.Context, w beian.WebsiteForm) (beian.Problems, error) {
	var ps beian.Problems
	if len(w.Resources) == 0 {
		ps.Add("check.resources_required", "ACC-2", "resources")
	}
	var ips []string
	for j, ref := range w.Resources {
		field := fmt.Sprintf("resources[%d]", j)
		code := strings.TrimSpace(ref.AuthCode)
		switch {
		case (ref.ResourceID == 0) == (code == ""):
			ps.Add("check.resource_ref_invalid", "ACC-2", field)
		case ref.ResourceID != 0:
			r, err := fc.s.Store.ResourceOf(ctx, fc.account, ref.ResourceID)
			if beian.IsKind(err, beian.KindNotFound) {
				ps.Add("check.resource_unknown", "ACC-2", field)
				continue
			}
			if err != nil {
				return nil, err
			}
			ps.Extend(field, withoutFields(providerdb.Eligibility(r, fc.now, fc.s.Options.MinTermMonths)))
			ips = append(ips, r.PublicIPs...)
		default:
			rIPs, cps, err := fc.checkCode(ctx, code)
			if err != nil {
				return nil, err
			}
			ps.Extend(field, cps)
			ips = append(ips, rIPs...)
		}
	}
	for k, ip := range w.ServerIPs {
		a, err := netip.ParseAddr(strings.TrimSpace(ip))
		if err != nil || !slices.Contains(ips, a.Unmap().String()) {
			ps.Add("check.server_ip_not_resource", "ACC-2", fmt.Sprintf("server_ips[%d]", k), "ip", ip)
		}
	}
	return ps, nil
}

// checkCode checks one authorization code for the account (Rule ACC-3)
// and returns its resource's public IPs.
func (fc *formCheck) checkCode(ctx context.Context, code string) ([]string, beian.Problems, error) {
	if norm := providerdb.NormalizeAuthCode(code); fc.held[norm] && fc.codeUses[norm] == 0 {
		fc.codeUses[norm]++
		var rid int64
		err := fc.s.DB.SQL.QueryRowContext(ctx, `SELECT resource_id FROM auth_codes WHERE code = $1`, norm).Scan(&rid)
		if err != nil {
			return nil, nil, err
		}
		r, err := fc.s.Store.Resource(ctx, rid)
		return r.PublicIPs, nil, err
	}
	c, err := fc.s.Store.CheckAuthCode(ctx, code, fc.account)
	var e *beian.Error
	switch {
	case beian.IsKind(err, beian.KindNotFound):
		return nil, beian.Problems{beian.NewProblem("authcode.unknown", "ACC-3", "")}, nil
	case err != nil && errors.As(err, &e) && len(e.Problems) > 0:
		return nil, withoutFields(e.Problems), nil
	case err != nil:
		return nil, nil, err
	}
	fc.codeUses[c.Code]++
	if fc.codeUses[c.Code] > c.UseLimit-c.Uses {
		return nil, beian.Problems{beian.NewProblem("authcode.exhausted", "ACC-3", "")}, nil
	}
	r, err := fc.s.Store.Resource(ctx, c.ResourceID)
	if err != nil {
		return nil, nil, err
	}
	return r.PublicIPs, nil, nil
}

// withoutFields drops problems' own fields, so that the caller places
// them at the form's path of the value they concern.
func withoutFields(ps beian.Problems) beian.Problems {
	out := make(beian.Problems, len(ps))
	for i, p := range ps {
		p.Field = ""
		out[i] = p
	}
	return out
}
