package regulator

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/beian/beian"
	"github.com/beian/beian/sqlstore"
	"github.com/beian/beian/validate"
)

// MaxProviderName is the longest provider name the registry keeps.
const MaxProviderName = 100

// WebsiteInput is an approved website of a filed subject.
type WebsiteInput struct {
	Name           string
	HomeURL        string   // host and optional path, no scheme (Rule WEB-1)
	Domains        []string // registrable domains, ASCII or Unicode; stored ASCII (Rule WEB-4)
	ServiceContent string   // refdata service-content code; may be empty
	Providers      []string // providers serving it from the start (Rule OTH-1)
}

// Website is a website as the registry holds it.
type Website struct {
	ID             int64
	SubjectID      int64
	Number         string
	Site           int
	Name           string
	HomeURL        string
	ServiceContent string
	Domains        []string // ASCII
	Status         string
	CreatedAt      time.Time
	UpdatedAt      time.Time
	ApprovedAt     time.Time
}

// AddWebsite is AddWebsiteTx in a transaction of its own.
func (r *Registry) AddWebsite(ctx context.Context, subjectID int64, in WebsiteInput) (w Website, err error) {
	err = r.inTx(ctx, func(tx *sqlstore.Tx) error {
		w, err = r.AddWebsiteTx(ctx, tx, subjectID, in)
		return err
	})
	return w, err
}

// AddWebsiteTx records an approved website of the active subject in tx and
// numbers it <subject number>-<n>, n taken from the subject's counter, so a
// suffix is never handed out twice, even after its website is cancelled
// (Rules NUM-1, CAN-3). It refuses, with kind invalid, a domain held by an
// active website (Rule WEB-4, registry.domain_conflict naming its number),
// a blacklisted website name (Rule CAN-1) and malformed input; a cancelled
// or unknown subject is invalid_state or not_found.
func (r *Registry) AddWebsiteTx(ctx context.Context, tx *sqlstore.Tx, subjectID int64, in WebsiteInput) (w Website, err error) {
	defer beian.Wrap(&err, "add website to subject %d", subjectID)
	domains, ps := r.checkWebsite(in)
	if hit, err := r.blacklisted(ctx, tx, BlacklistWebsiteName, in.Name); err != nil {
		return w, err
	} else if hit {
		ps.Add("registry.website_name_blacklisted", "CAN-1", "name")
	}
	for i, d := range domains {
		holder, _, err := domainHolder(ctx, tx, d)
		if err != nil {
			return w, err
		}
		if holder != "" {
			ps.Add("registry.domain_conflict", "WEB-4", "domains["+strconv.Itoa(i)+"]", "domain", unicodeDomain(d), "number", holder)
		}
	}
	if err := ps.Err(); err != nil {
		return w, err
	}
	var subjectNumber, status string
	err = tx.QueryRowContext(ctx, `SELECT number, status FROM registry_subjects WHERE id = $1`+forUpdate(tx), subjectID).Scan(&subjectNumber, &status)
	if noRows(err) {
		return w, beian.Errorf(beian.KindNotFound, "registry.number_not_found", "number", "#"+itoa(subjectID))
	}
	if err != nil {
		return w, err
	}
	if status != StatusActive {
		return w, beian.Errorf(beian.KindInvalidState, "registry.not_active", "number", subjectNumber)
	}
	sn, ok := r.parseNumber(subjectNumber)
	if !ok {
		return w, fmt.Errorf("stored subject number %q does not parse", subjectNumber)
	}
	err = tx.QueryRowContext(ctx, `UPDATE registry_subjects SET next_site = next_site + 1 WHERE id = $1 RETURNING next_site - 1`, subjectID).Scan(&w.Site)
	if err != nil {
		return w, sqlstore.MapErr(err)
	}
	if w.Site > validate.NumSiteMax {
		return w, beian.Errorf(beian.KindInvalidState, "registry.sites_exhausted", "number", subjectNumber, "max", strconv.Itoa(validate.NumSiteMax))
	}
	now := sqlstore.Micro(tx.Now)
	w.SubjectID, w.Number, w.Status = subjectID, sn.Website(w.Site).String(), StatusActive
	w.Name, w.HomeURL, w.ServiceContent, w.Domains = strings.TrimSpace(in.Name), strings.TrimSpace(in.HomeURL), in.ServiceContent, domains
	w.CreatedAt, w.UpdatedAt, w.ApprovedAt = sqlstore.FromMicro(now), sqlstore.FromMicro(now), sqlstore.FromMicro(now)
	err = tx.QueryRowContext(ctx, `INSERT INTO registry_websites (subject_id, number, site, name, home_url, service_content, status, created_at, updated_at, approved_at)
		VALUES ($1, $2, $3, $4, $5, $6, 'active', $7, $7, $7) RETURNING id`,
		subjectID, w.Number, w.Site, w.Name, w.HomeURL, w.ServiceContent, now).Scan(&w.ID)
	if err != nil {
		return w, sqlstore.MapErr(err)
	}
	for i, d := range domains {
		// A concurrent transaction may have taken the domain since the
		// check: the partial unique index decides (Rule WEB-4).
		res, err := tx.ExecContext(ctx, `INSERT INTO registry_website_domains (website_id, domain, active) VALUES ($1, $2, 1) ON CONFLICT DO NOTHING`, w.ID, d)
		if err != nil {
			return w, sqlstore.MapErr(err)
		}
		if n, err := res.RowsAffected(); err != nil || n != 1 {
			holder, _, _ := domainHolder(ctx, tx, d)
			return Website{}, invalid("registry.domain_conflict", "WEB-4", "domains["+strconv.Itoa(i)+"]", "domain", unicodeDomain(d), "number", holder)
		}
	}
	for _, p := range in.Providers {
		if err := r.openAccess(ctx, tx, w.ID, strings.TrimSpace(p)); err != nil {
			return w, err
		}
	}
	if err := history(ctx, tx, w.Number, StatusActive, "approved"); err != nil {
		return w, err
	}
	return w, r.appendAudit(ctx, tx, "website.create", "website", w.Number, nil, map[string]any{
		"number": w.Number, "subject": subjectNumber, "name": w.Name, "home_url": w.HomeURL,
		"service_content": w.ServiceContent, "domains": domains, "providers": in.Providers})
}

// checkWebsite validates the input and returns its domains in ASCII, each once.
func (r *Registry) checkWebsite(in WebsiteInput) ([]string, beian.Problems) {
	var ps beian.Problems
	if strings.TrimSpace(in.Name) == "" {
		ps.Add("registry.required", "", "name", "field", "name")
	}
	if len(in.Domains) == 0 {
		ps.Add("registry.required", "WEB-0", "domains", "field", "domains")
	}
	var out []string
	seen := map[string]bool{}
	for i, d := range in.Domains {
		dom, dps := validate.NormalizeDomain(r.Ref, d)
		ps.Extend("domains["+strconv.Itoa(i)+"]", dps)
		if len(dps) == 0 && !seen[dom.ASCII] {
			seen[dom.ASCII] = true
			out = append(out, dom.ASCII)
		}
	}
	if in.ServiceContent != "" {
		if _, ok := r.Ref.ServiceContent(in.ServiceContent); !ok {
			ps.Add("registry.service_content_unknown", "", "service_content", "service_content", in.ServiceContent)
		}
	}
	for i, p := range in.Providers {
		if p = strings.TrimSpace(p); p == "" || len([]rune(p)) > MaxProviderName {
			ps.Add("registry.provider_invalid", "OTH-1", "providers["+strconv.Itoa(i)+"]", "max", strconv.Itoa(MaxProviderName))
		}
	}
	return out, ps
}

// domainHolder returns the number of the active website holding the ASCII
// domain and its subject's certificate key; "" when no active website holds it.
func domainHolder(ctx context.Context, q querier, domain string) (number, subjectKey string, err error) {
	err = q.QueryRowContext(ctx, `SELECT w.number, s.cert_key FROM registry_website_domains d
		JOIN registry_websites w ON w.id = d.website_id JOIN registry_subjects s ON s.id = w.subject_id
		WHERE d.domain = $1 AND d.active = 1`, domain).Scan(&number, &subjectKey)
	if noRows(err) {
		return "", "", nil
	}
	return number, subjectKey, err
}
