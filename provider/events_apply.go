package provider

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/beian/beian"
	"github.com/beian/beian/sqlstore"
	"github.com/beian/beian/sqlstore/providerdb"
	"github.com/beian/beian/validate"
	"github.com/beian/beian/workflow"
)

// applyEffect applies one registry event in tx (see PullEvents). An event
// for an order this provider does not know, or that no longer waits for
// it, changes nothing.
func (s *Service) applyEffect(ctx context.Context, tx *sqlstore.Tx, ev beian.Event) error {
	switch ev.Type {
	case beian.EventPasswordIssued:
		return nil // Rule PWD-1: the registry sent the password itself; nothing is kept here
	case beian.EventCancelled:
		return s.applyCancelled(ctx, tx, ev)
	}
	o, ok, err := s.eventOrder(ctx, tx, ev)
	if err != nil || !ok {
		return err
	}
	move := func(want beian.Stage, m providerdb.Move) error {
		if o.Stage != want {
			s.Log.InfoContext(ctx, "registry event skipped", "event", ev.ID, "type", ev.Type, "order", o.Number, "stage", o.Stage)
			return nil
		}
		m.OrderID, m.Version, m.By, m.Actor, m.NewResponsiblePerson = o.ID, o.Version, workflow.System, "registry", true
		_, err := s.Store.TransitionTx(ctx, tx, m)
		return err
	}
	switch ev.Type {
	case beian.EventSMSConfirmed:
		return move(beian.StageSMSConfirmation, providerdb.Move{Event: workflow.SMSConfirmed})
	case beian.EventReturned:
		var p beian.ReturnedPayload
		_ = json.Unmarshal(ev.Payload, &p)
		reason := "短信核验超时未完成"
		if p.Reason == "sms_failed" {
			reason = "短信核验输错次数过多"
		}
		return move(beian.StageSMSConfirmation, providerdb.Move{Event: workflow.SMSFailed,
			Effect: func(ctx context.Context, tx *sqlstore.Tx, _, after beian.Order) error {
				return s.notifyOrder(ctx, tx, after, TemplateOrderReturned, map[string]string{"reason": reason})
			}})
	case beian.EventApproved:
		var p beian.ApprovedPayload
		if err := json.Unmarshal(ev.Payload, &p); err != nil {
			return err
		}
		return move(beian.StageBureauReview, providerdb.Move{Event: workflow.BureauApprove,
			Effect: func(ctx context.Context, tx *sqlstore.Tx, _, after beian.Order) error {
				return s.applyApproval(ctx, tx, after, p)
			}})
	case beian.EventRejected:
		var p beian.RejectedPayload
		if err := json.Unmarshal(ev.Payload, &p); err != nil {
			return err
		}
		return move(beian.StageBureauReview, providerdb.Move{Event: workflow.BureauReject, Flagged: itemFields(p.Items),
			Effect: func(ctx context.Context, tx *sqlstore.Tx, _, after beian.Order) error {
				return s.applyRejection(ctx, tx, after, p.Items)
			}})
	}
	return nil
}

// eventOrder returns the order an event concerns, locked; ok is false for
// an unknown order and for an event of an earlier submission attempt than
// the order's latest (a stale result).
func (s *Service) eventOrder(ctx context.Context, tx *sqlstore.Tx, ev beian.Event) (beian.Order, bool, error) {
	var id int64
	err := tx.QueryRowContext(ctx, `SELECT id FROM orders WHERE number = $1`, ev.Order).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) || ev.Order == "" {
		return beian.Order{}, false, nil
	}
	if err != nil {
		return beian.Order{}, false, err
	}
	if ev.SubmissionID != "" {
		var stale int
		err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM order_submissions a WHERE a.order_id = $1 AND a.submission_id = $2
			AND a.attempt < (SELECT MAX(b.attempt) FROM order_submissions b WHERE b.order_id = $1)`, id, ev.SubmissionID).Scan(&stale)
		if err != nil || stale > 0 {
			return beian.Order{}, false, err
		}
	}
	o, err := providerdb.OrderTx(ctx, tx, id)
	return o, err == nil, err
}

// applyApproval writes what the bureau approved (Rules NUM-1, OTH-2,
// GATE-1, GATE-2): the subject's number (and a changed name), each
// website's number, name and domains, served; a transfer-in's lapse timer
// is cancelled.
func (s *Service) applyApproval(ctx context.Context, tx *sqlstore.Tx, o beian.Order, p beian.ApprovedPayload) error {
	var d beian.OrderData
	_ = json.Unmarshal(o.Data, &d)
	name := ""
	if o.Type == beian.ChangeSubject || o.Type == beian.FirstFiling {
		name = d.Subject.Name
	}
	if err := s.Store.SetSubjectFiling(ctx, tx, o.SubjectID, p.SubjectNumber, name, beian.SubjectActive, "registry"); err != nil {
		return err
	}
	linked, err := s.Store.OrderWebsites(ctx, tx, o.ID)
	if err != nil {
		return err
	}
	numbers := []string{}
	for _, fw := range p.Websites {
		w, err := s.findWebsite(ctx, tx, o.SubjectID, fw.Number, fw.Domains)
		if err != nil {
			return err
		}
		for _, l := range linked {
			if w.ID == 0 && l.Number == "" && overlaps(l.Domains, fw.Domains) {
				w = l
			}
		}
		w.SubjectID, w.Number, w.Name, w.Domains = o.SubjectID, fw.Number, fw.Name, fw.Domains
		w.Access, w.AccessUntil = beian.GateServed, time.Time{} // Rule GATE-2: no lapse once approved
		if w, err = s.Store.SaveWebsite(ctx, tx, w, "registry"); err != nil {
			return err
		}
		if err := s.Store.LinkOrderWebsite(ctx, tx, o.ID, w.ID); err != nil {
			return err
		}
		numbers = append(numbers, w.Number)
	}
	if err := s.Timers.Cancel(ctx, tx, TimerTransferLapse, strconv.FormatInt(o.ID, 10)); err != nil {
		return err
	}
	shown := p.SubjectNumber
	if len(numbers) > 0 {
		shown = strings.Join(numbers, "、")
	}
	return s.notifyOrder(ctx, tx, o, TemplateBureauApproved, map[string]string{"number": shown})
}

// applyRejection records a bureau rejection's items (Rule REV-5) and tells
// the persons whether the photo will be reused (Rule REV-6).
func (s *Service) applyRejection(ctx context.Context, tx *sqlstore.Tx, o beian.Order, items []beian.ReviewItem) error {
	if _, err := s.Store.AddReviewItems(ctx, tx, o.ID, providerdb.ReviewBureau, 0, items); err != nil {
		return err
	}
	_, approvedAt, ok, err := s.Store.ApprovedPhotoTx(ctx, tx, o.ID)
	if err != nil {
		return err
	}
	photo := "需重新提交核验照片"
	if ok && workflow.PhotoReusable(approvedAt, tx.Now, items) {
		photo = "原核验照片继续有效，无需重新拍照"
	}
	return s.notifyOrder(ctx, tx, o, TemplateBureauRejected, map[string]string{"items": strconv.Itoa(len(items)), "photo": photo})
}

// applyCancelled applies a cancellation the registry reports (Rules CAN-1,
// CAN-3, CAN-4): the website, or the subject and all its websites, are
// cancelled here (the gate blocks them at once), a cancel_* order in
// bureau review that asked for it is approved, and the persons are told.
func (s *Service) applyCancelled(ctx context.Context, tx *sqlstore.Tx, ev beian.Event) error {
	var p beian.CancelledPayload
	if err := json.Unmarshal(ev.Payload, &p); err != nil {
		return err
	}
	o, ok, err := s.eventOrder(ctx, tx, ev)
	if err != nil {
		return err
	}
	if ok && o.Stage == beian.StageBureauReview && (o.Type == beian.CancelSubject || o.Type == beian.CancelWebsite) {
		if o, err = s.Store.TransitionTx(ctx, tx, providerdb.Move{OrderID: o.ID, Version: o.Version, Event: workflow.BureauApprove,
			By: workflow.System, Actor: "registry"}); err != nil {
			return err
		}
	}
	subjectID, err := s.cancelNumber(ctx, tx, p.Number)
	if err != nil || subjectID == 0 {
		return err
	}
	if ok && o.SubjectID == subjectID {
		return s.notifyOrder(ctx, tx, o, TemplateFilingCancelled, map[string]string{"number": p.Number})
	}
	return s.notifySubject(ctx, tx, subjectID, TemplateFilingCancelled, map[string]string{"number": p.Number})
}

// notifySubject tells the persons of the subject's latest order (its
// contacts) through notifyOrder; a subject without orders has none.
func (s *Service) notifySubject(ctx context.Context, tx *sqlstore.Tx, subjectID int64, template string, data map[string]string) error {
	var id int64
	err := tx.QueryRowContext(ctx, `SELECT id FROM orders WHERE subject_id = $1 ORDER BY id DESC LIMIT 1`, subjectID).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return err
	}
	o, err := providerdb.OrderTx(ctx, tx, id)
	if err != nil {
		return err
	}
	return s.notifyOrder(ctx, tx, o, template, data)
}

// cancelNumber cancels the website or subject with the number here and
// returns its subject's ID (0 when this provider has neither).
func (s *Service) cancelNumber(ctx context.Context, tx *sqlstore.Tx, number string) (int64, error) {
	n, ps := validate.ParseFilingNumber(s.Ref, number)
	if len(ps) > 0 {
		return 0, nil
	}
	var sites []beian.Website
	var subjectID int64
	if n.Site > 0 {
		id, err := s.Store.WebsiteIDByNumber(ctx, tx, n.String())
		if err != nil || id == 0 {
			return 0, err
		}
		w, err := s.Store.WebsiteTx(ctx, tx, id)
		if err != nil {
			return 0, err
		}
		sites, subjectID = []beian.Website{w}, w.SubjectID
	} else {
		id, err := s.Store.SubjectIDByNumber(ctx, tx, n.String())
		if err != nil || id == 0 {
			return 0, err
		}
		if err := s.Store.SetSubjectFiling(ctx, tx, id, "", "", beian.SubjectCancelled, "registry"); err != nil {
			return 0, err
		}
		if sites, err = s.Store.SubjectWebsites(ctx, tx, id); err != nil {
			return 0, err
		}
		subjectID = id
	}
	for _, w := range sites {
		if w.Access == beian.GateCancelled {
			continue
		}
		w.Access, w.AccessUntil = beian.GateCancelled, time.Time{}
		if _, err := s.Store.SaveWebsite(ctx, tx, w, "registry"); err != nil {
			return 0, err
		}
	}
	return subjectID, nil
}

// overlaps reports whether the lists share a domain.
func overlaps(a, b []string) bool {
	for _, x := range a {
		for _, y := range b {
			if x == y {
				return true
			}
		}
	}
	return false
}
