package regulator

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/beian/beian"
	"github.com/beian/beian/sqlstore"
)

// ReasonSubjectRequest is the cancellation reason of an approved
// cancel_subject or cancel_website order (Rule CAN-1: the subject asks).
const ReasonSubjectRequest = "subject_request"

// approve applies an approved order to the registry in tx and reports it
// to the provider, by type:
//   - first_filing: the subject and its websites with their numbers (Rule
//     NUM-1), served by the provider; an approved event, then the filing
//     password (Rule PWD-1) and a password_issued event;
//   - new_website: the websites added to the filed subject;
//   - transfer_in: the provider's access to the websites named (by number
//     or domain), or to all the subject's active websites (Rule OTH-1);
//   - change_subject: the unit name; change_website: name, homepage,
//     service content and domains of the websites named by number;
//     change_access: nothing the registry stores (server IPs), approved
//     all the same (Rule OTH-2);
//   - cancel_website, cancel_subject: the cancellation (Rule CAN-4) and a
//     cancelled event per number.
//
// Every type but the cancellations ends with an approved event carrying
// the subject number and the websites concerned.
func (r *Registry) approve(ctx context.Context, tx *sqlstore.Tx, sub *StoredSubmission) (subject string, websites []string, err error) {
	s := sub.Data
	var sites []beian.FilingWebsite
	switch sub.Type {
	case beian.FirstFiling:
		subj, err := r.CreateSubjectTx(ctx, tx, SubjectInput{Province: sub.Province, Nature: s.Subject.Nature, UnitName: s.Subject.Name,
			CertType: s.Subject.CertType, CertNumber: s.Subject.CertNumber})
		if err != nil {
			return "", nil, err
		}
		sub.SubjectNumber = subj.Number
		if _, err := tx.ExecContext(ctx, `UPDATE registry_submissions SET subject_number = $1 WHERE id = $2`, subj.Number, sub.ID); err != nil {
			return "", nil, sqlstore.MapErr(err)
		}
		if sites, err = r.addWebsites(ctx, tx, subj.ID, sub); err != nil {
			return "", nil, err
		}
	case beian.NewWebsite:
		id, err := activeSubjectID(ctx, tx, sub.SubjectNumber)
		if err != nil {
			return "", nil, err
		}
		if sites, err = r.addWebsites(ctx, tx, id, sub); err != nil {
			return "", nil, err
		}
	case beian.TransferIn:
		numbers, err := r.transferNumbers(ctx, tx, sub)
		if err != nil {
			return "", nil, err
		}
		for _, n := range numbers {
			if err := r.AddAccessTx(ctx, tx, n, sub.Provider); err != nil {
				return "", nil, err
			}
		}
		if sites, err = r.filingWebsites(ctx, tx, sub.SubjectNumber, numbers); err != nil {
			return "", nil, err
		}
	case beian.ChangeSubject, beian.ChangeWebsite, beian.ChangeAccess:
		numbers, err := r.applyChange(ctx, tx, sub)
		if err != nil {
			return "", nil, err
		}
		if sites, err = r.filingWebsites(ctx, tx, sub.SubjectNumber, numbers); err != nil {
			return "", nil, err
		}
	case beian.CancelWebsite, beian.CancelSubject:
		// Rule CAN-1: every other provider serving a cancelled website
		// (after a transfer-in, OTH-1) hears of it too; read who serves
		// what before the cancellation ends their access.
		id, err := activeSubjectID(ctx, tx, sub.SubjectNumber)
		if err != nil {
			return "", nil, err
		}
		served, providers, err := servingProviders(ctx, tx, id, "")
		if err != nil {
			return "", nil, err
		}
		c, err := r.applyCancel(ctx, tx, sub)
		if err != nil {
			return "", nil, err
		}
		for _, p := range providers {
			if p == sub.Provider {
				continue
			}
			theirs := Cancellation{Subject: c.Subject}
			for _, n := range c.Websites {
				if slices.Contains(served[p], n) {
					theirs.Websites = append(theirs.Websites, n)
				}
			}
			if len(theirs.Websites) == 0 && theirs.Subject == "" {
				continue
			}
			if err := emitCancelled(ctx, tx, p, sub.ID, "", theirs, ReasonSubjectRequest); err != nil {
				return "", nil, err
			}
		}
		return c.Subject, c.Websites, emitCancelled(ctx, tx, sub.Provider, sub.ID, sub.OrderNumber, c, ReasonSubjectRequest)
	default:
		return "", nil, fmt.Errorf("order type %q cannot be approved by a bureau", sub.Type)
	}
	for _, w := range sites {
		websites = append(websites, w.Number)
	}
	if err := emit(ctx, tx, sub.Provider, sub.ID, sub.OrderNumber, beian.EventApproved,
		beian.ApprovedPayload{SubjectNumber: sub.SubjectNumber, Websites: sites}); err != nil {
		return "", nil, err
	}
	if sub.Type == beian.FirstFiling { // Rule PWD-1: issued by RunPasswords moments after the commit
		if err := owePassword(ctx, tx, sub.SubjectNumber, sub.ID); err != nil {
			return "", nil, err
		}
	}
	return sub.SubjectNumber, websites, nil
}

// addWebsites files the submission's websites under the subject, served
// by the provider, and returns them as the approved event reports them.
func (r *Registry) addWebsites(ctx context.Context, tx *sqlstore.Tx, subjectID int64, sub *StoredSubmission) ([]beian.FilingWebsite, error) {
	sites := []beian.FilingWebsite{}
	for _, w := range sub.Data.Websites {
		site, err := r.AddWebsiteTx(ctx, tx, subjectID, WebsiteInput{Name: w.Name, HomeURL: w.Homepage, Domains: w.Domains,
			ServiceContent: w.ServiceContent, Providers: []string{sub.Provider}})
		if err != nil {
			return nil, err
		}
		sites = append(sites, beian.FilingWebsite{Number: site.Number, Name: site.Name, Domains: site.Domains, Homepage: site.HomeURL,
			Status: site.Status, Providers: []string{sub.Provider}})
	}
	return sites, nil
}

// activeSubjectID returns the id of the active subject with the number;
// a subject cancelled since the submission is invalid_state.
func activeSubjectID(ctx context.Context, tx *sqlstore.Tx, number string) (int64, error) {
	var id int64
	var status string
	err := tx.QueryRowContext(ctx, `SELECT id, status FROM registry_subjects WHERE number = $1`+forUpdate(tx), number).Scan(&id, &status)
	if noRows(err) {
		return 0, notFound(number)
	}
	if err == nil && status != StatusActive {
		err = beian.Errorf(beian.KindInvalidState, "registry.not_active", "number", number)
	}
	return id, err
}

// transferNumbers lists the websites a transfer-in concerns: those named
// by number, else by a domain the subject holds; none named: all of the
// subject's active websites.
func (r *Registry) transferNumbers(ctx context.Context, tx *sqlstore.Tx, sub *StoredSubmission) ([]string, error) {
	var out []string
	seen := map[string]bool{}
	for _, w := range sub.Data.Websites {
		number := strings.TrimSpace(w.Number)
		for i := 0; number == "" && i < len(w.Domains); i++ {
			if ascii, ok := registrableASCII(w.Domains[i]); ok {
				holder, _, err := domainHolder(ctx, tx, ascii)
				if err != nil {
					return nil, err
				}
				if n, ok := r.parseNumber(holder); ok && n.SubjectNumber().String() == sub.SubjectNumber {
					number = holder
				}
			}
		}
		if n, ok := r.parseNumber(number); ok && !seen[n.String()] {
			seen[n.String()] = true
			out = append(out, n.String())
		}
	}
	if len(sub.Data.Websites) > 0 {
		return out, nil
	}
	return strings1(ctx, tx, `SELECT w.number FROM registry_websites w JOIN registry_subjects s ON s.id = w.subject_id
		WHERE s.number = $1 AND w.status = 'active' ORDER BY w.site`, sub.SubjectNumber)
}

// filingWebsites returns the registry's record of the subject's websites
// with the numbers (all of them when numbers is empty).
func (r *Registry) filingWebsites(ctx context.Context, tx *sqlstore.Tx, subject string, numbers []string) ([]beian.FilingWebsite, error) {
	f, err := r.FilingTx(ctx, tx, subject)
	if err != nil {
		return nil, err
	}
	if len(numbers) == 0 {
		return f.Websites, nil
	}
	want := map[string]bool{}
	for _, n := range numbers {
		want[n] = true
	}
	out := []beian.FilingWebsite{}
	for _, w := range f.Websites {
		if want[w.Number] {
			out = append(out, w)
		}
	}
	return out, nil
}

// applyCancel cancels what a cancellation order names (Rule CAN-4). A
// website already gone with its subject (the last one) is skipped.
func (r *Registry) applyCancel(ctx context.Context, tx *sqlstore.Tx, sub *StoredSubmission) (Cancellation, error) {
	if sub.Type == beian.CancelSubject {
		return r.CancelSubjectTx(ctx, tx, sub.SubjectNumber, ReasonSubjectRequest)
	}
	var all Cancellation
	for _, number := range sub.Data.Cancel {
		c, err := r.CancelWebsiteTx(ctx, tx, number, ReasonSubjectRequest)
		if beian.IsKind(err, beian.KindInvalidState) {
			continue
		}
		if err != nil {
			return all, err
		}
		all.Websites = append(all.Websites, c.Websites...)
		if c.Subject != "" {
			all.Subject = c.Subject
		}
	}
	return all, nil
}

// applyChange updates the registry's record of a change order (Rule
// OTH-2) and returns the website numbers changed.
func (r *Registry) applyChange(ctx context.Context, tx *sqlstore.Tx, sub *StoredSubmission) ([]string, error) {
	id, err := activeSubjectID(ctx, tx, sub.SubjectNumber)
	if err != nil {
		return nil, err
	}
	switch sub.Type {
	case beian.ChangeSubject:
		name := strings.TrimSpace(sub.Data.Subject.Name)
		if name == "" {
			return nil, nil
		}
		if _, err := tx.ExecContext(ctx, `UPDATE registry_subjects SET unit_name = $1, updated_at = $2, version = version + 1 WHERE id = $3`,
			name, sqlstore.Micro(tx.Now), id); err != nil {
			return nil, sqlstore.MapErr(err)
		}
		shown := name
		if sub.Data.Subject.Nature == "individual" {
			shown = maskName(name) // a person's name is not audited in full
		}
		return nil, r.appendAudit(ctx, tx, "subject.change", "subject", sub.SubjectNumber, nil, map[string]any{"unit_name": shown, "order": sub.OrderNumber})
	case beian.ChangeWebsite:
		var numbers []string
		for i, w := range sub.Data.Websites {
			if strings.TrimSpace(w.Number) == "" {
				continue
			}
			number, err := r.changeWebsite(ctx, tx, w, "websites["+strconv.Itoa(i)+"]")
			if err != nil {
				return nil, err
			}
			numbers = append(numbers, number)
		}
		return numbers, nil
	}
	return nil, nil // change_access: server IPs are not held by the registry
}

// changeWebsite replaces a website's name, homepage, service content and
// domains (Rule WEB-4: a domain held by another active website refuses).
func (r *Registry) changeWebsite(ctx context.Context, tx *sqlstore.Tx, w beian.WebsiteData, field string) (string, error) {
	domains, ps := r.checkWebsite(WebsiteInput{Name: w.Name, HomeURL: w.Homepage, Domains: w.Domains, ServiceContent: w.ServiceContent})
	if err := ps.Err(); err != nil {
		return "", err
	}
	id, number, status, err := r.lockWebsite(ctx, tx, w.Number)
	if err != nil {
		return "", err
	}
	if status != StatusActive {
		return "", beian.Errorf(beian.KindInvalidState, "registry.not_active", "number", number)
	}
	for i, d := range domains {
		if holder, _, err := domainHolder(ctx, tx, d); err != nil {
			return "", err
		} else if holder != "" && holder != number {
			return "", invalid("registry.domain_conflict", "WEB-4", field+".domains["+strconv.Itoa(i)+"]", "domain", unicodeDomain(d), "number", holder)
		}
	}
	if _, err := tx.ExecContext(ctx, `UPDATE registry_website_domains SET active = 0 WHERE website_id = $1`, id); err != nil {
		return "", sqlstore.MapErr(err)
	}
	for _, d := range domains {
		if _, err := tx.ExecContext(ctx, `INSERT INTO registry_website_domains (website_id, domain, active) VALUES ($1, $2, 1)
			ON CONFLICT (website_id, domain) DO UPDATE SET active = 1`, id, d); err != nil {
			return "", sqlstore.MapErr(err)
		}
	}
	if _, err := tx.ExecContext(ctx, `UPDATE registry_websites SET name = $1, home_url = $2, service_content = $3, updated_at = $4, version = version + 1 WHERE id = $5`,
		strings.TrimSpace(w.Name), strings.TrimSpace(w.Homepage), w.ServiceContent, sqlstore.Micro(tx.Now), id); err != nil {
		return "", sqlstore.MapErr(err)
	}
	return number, r.appendAudit(ctx, tx, "website.change", "website", number, nil, map[string]any{
		"name": strings.TrimSpace(w.Name), "home_url": strings.TrimSpace(w.Homepage), "service_content": w.ServiceContent, "domains": domains})
}
