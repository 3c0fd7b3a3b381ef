package provider

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/beian/beian"
	"github.com/beian/beian/sqlstore"
	"github.com/beian/beian/sqlstore/providerdb"
	"github.com/beian/beian/timer"
)

// grantTransferAccess serves a transfer-in's websites as soon as the
// provider's initial review approves it (Rules OTH-1, GATE-2): each
// website of the form (found by its number or a domain of the subject, or
// created) is saved with access served until TransferLapseDays calendar
// days from now, linked to the order, and a durable timer lapses it then
// unless the bureau approves first. Runs in the approval's transaction.
func (s *Service) grantTransferAccess(ctx context.Context, tx *sqlstore.Tx, o beian.Order) error {
	var d beian.OrderData
	if err := json.Unmarshal(o.Data, &d); err != nil {
		return err
	}
	days := s.Options.TransferLapseDays
	if days <= 0 {
		days = 45
	}
	until := tx.Now.AddDate(0, 0, days)
	var domains []string
	for _, f := range d.Websites {
		w, err := s.findWebsite(ctx, tx, o.SubjectID, f.Number, f.Domains)
		if err != nil {
			return err
		}
		w.SubjectID, w.Name, w.Domains = o.SubjectID, f.Name, f.Domains
		if f.Number != "" {
			w.Number = f.Number
		}
		w.Access, w.AccessUntil = beian.GateServed, until
		if w, err = s.Store.SaveWebsite(ctx, tx, w, "order:"+o.Number); err != nil {
			return err
		}
		if err := s.Store.LinkOrderWebsite(ctx, tx, o.ID, w.ID); err != nil {
			return err
		}
		domains = append(domains, w.Domains...)
	}
	if err := s.Timers.Schedule(ctx, tx, TimerTransferLapse, strconv.FormatInt(o.ID, 10), until, ""); err != nil {
		return err
	}
	// Rule NOTE-1: warn before the approval lapses.
	if warn := s.Options.LapseWarningDays; warn > 0 && warn < days {
		if err := s.Timers.Schedule(ctx, tx, TimerTransferLapseWarning, strconv.FormatInt(o.ID, 10), until.AddDate(0, 0, -warn), ""); err != nil {
			return err
		}
	}
	return s.notifyOrder(ctx, tx, o, TemplateAccessServed, map[string]string{"domains": strings.Join(domains, "、"),
		"until": until.In(beian.CST).Format("2006-01-02")})
}

// findWebsite returns this provider's website with the number, or of the
// subject with one of the domains; a new website (ID 0) when none.
func (s *Service) findWebsite(ctx context.Context, tx *sqlstore.Tx, subjectID int64, number string, domains []string) (beian.Website, error) {
	id := int64(0)
	var err error
	if number != "" {
		if id, err = s.Store.WebsiteIDByNumber(ctx, tx, number); err != nil {
			return beian.Website{}, err
		}
	}
	for i := 0; id == 0 && i < len(domains); i++ {
		if id, err = s.Store.WebsiteIDByDomain(ctx, tx, subjectID, domains[i]); err != nil {
			return beian.Website{}, err
		}
	}
	if id == 0 {
		return beian.Website{}, nil
	}
	ws, err := s.Store.SubjectWebsites(ctx, tx, subjectID)
	if err != nil {
		return beian.Website{}, err
	}
	for _, w := range ws {
		if w.ID == id {
			return w, nil
		}
	}
	// The number belongs to a website of another subject here: take it
	// over only through the registry's approval, not by a transfer-in form.
	return beian.Website{}, beian.Errorf(beian.KindConflict, "review.website_elsewhere")
}

// transferLapse blocks a transfer-in's websites again as lapsed when the
// bureau has not approved within TransferLapseDays of the initial review
// (Rule GATE-2); the order goes on, and the persons are told (Rule
// NOTE-1). Websites approved meanwhile (no AccessUntil) are left alone.
func (s *Service) transferLapse(ctx context.Context, tx *sqlstore.Tx, tm timer.Timer) error {
	id, err := strconv.ParseInt(tm.Ref, 10, 64)
	if err != nil {
		return nil
	}
	var number string
	if err := tx.QueryRowContext(ctx, `SELECT number FROM orders WHERE id = $1`, id).Scan(&number); err != nil {
		return nil // the order is gone: nothing to lapse
	}
	ws, err := s.Store.OrderWebsites(ctx, tx, id)
	if err != nil {
		return err
	}
	var domains []string
	for _, w := range ws {
		if w.Access != beian.GateServed || w.AccessUntil.IsZero() || w.AccessUntil.After(tx.Now) {
			continue
		}
		w.Access = beian.GateLapsed
		if _, err := s.Store.SaveWebsite(ctx, tx, w, "system"); err != nil {
			return err
		}
		domains = append(domains, w.Domains...)
	}
	if len(domains) == 0 {
		return nil
	}
	o, err := providerdb.OrderTx(ctx, tx, id)
	if err != nil {
		return err
	}
	return s.notifyOrder(ctx, tx, o, TemplateAccessLapsed, map[string]string{"domains": strings.Join(domains, "、")})
}

// transferLapseWarning tells the persons that a transfer-in's access,
// granted at initial review, lapses soon without a bureau approval (Rules
// GATE-2, NOTE-1). Nothing is sent when the websites were approved
// meanwhile or have lapsed already.
func (s *Service) transferLapseWarning(ctx context.Context, tx *sqlstore.Tx, tm timer.Timer) error {
	id, err := strconv.ParseInt(tm.Ref, 10, 64)
	if err != nil {
		return nil
	}
	ws, err := s.Store.OrderWebsites(ctx, tx, id)
	if err != nil {
		return err
	}
	var domains []string
	var until time.Time
	for _, w := range ws {
		if w.Access != beian.GateServed || w.AccessUntil.IsZero() || !w.AccessUntil.After(tx.Now) {
			continue
		}
		domains, until = append(domains, w.Domains...), w.AccessUntil
	}
	if len(domains) == 0 {
		return nil
	}
	o, err := providerdb.OrderTx(ctx, tx, id)
	if err != nil {
		return nil // the order is gone
	}
	return s.notifyOrder(ctx, tx, o, TemplateAccessLapseSoon, map[string]string{"domains": strings.Join(domains, "、"),
		"until": until.In(beian.CST).Format("2006-01-02")})
}
