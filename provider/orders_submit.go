package provider

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/beian/beian"
	"github.com/beian/beian/identity"
	"github.com/beian/beian/sqlstore"
	"github.com/beian/beian/sqlstore/providerdb"
	"github.com/beian/beian/web"
	"github.com/beian/beian/workflow"
)

func (s *Service) handleSubmitOrder(w http.ResponseWriter, r *http.Request) error {
	o, p, err := s.orderOf(r)
	if err != nil {
		return err
	}
	version, err := optionalIfMatch(r, o.Version)
	if err != nil {
		return err
	}
	if o, err = s.SubmitOrder(r.Context(), p, o, version, r.Header.Get("Idempotency-Key")); err != nil {
		return err
	}
	return s.writeOrder(w, r, http.StatusOK, o)
}

// optionalIfMatch returns the version of If-Match when the request has
// one, otherwise the version the handler just read.
func optionalIfMatch(r *http.Request, current int64) (int64, error) {
	if len(r.Header.Values("If-Match")) == 0 {
		return current, nil
	}
	return web.IfMatch(r)
}

// SubmitOrder sends the customer's order on (Rule REV-8): a draft to
// initial review; needs_fix and bureau_rejected back to initial review;
// supplement_requested back to initial review; a returned order unchanged
// straight back to the registry's SMS confirmation (handed over by
// SendToRegistry in the same transaction), edited to initial review (Rule
// VER-3); a cancel_access draft to approved at once, after the registry
// ended the access (Rule CAN-5), blocking the website at the gate in the
// same transaction. Every problem is reported at once (CheckData and the
// type's own rules). In the move's transaction it uses the form's
// authorization codes (Rule ACC-3) and records the order's facts: changed
// fields (OTH-2), reviewer flags (SUBJ-2 minors on the submit date, OTH-2),
// the CAN-4 effect — a cancel_website order that removes every website of
// its subject becomes a cancel_subject order.
func (s *Service) SubmitOrder(ctx context.Context, p identity.Principal, o beian.Order, version int64, key string) (beian.Order, error) {
	data, err := orderData(o.Data)
	if err != nil {
		return o, err
	}
	ev := submitEvent(o.Stage)
	facts, err := s.Store.OrderFactsOf(ctx, o.ID)
	if err != nil {
		return o, err
	}
	edited := false
	if o.Stage == beian.StageReturned { // Rule VER-3: unchanged since it came back?
		hist, err := s.Store.StageHistory(ctx, o.ID)
		if err != nil {
			return o, err
		}
		for _, h := range hist {
			if h.To == beian.StageReturned {
				edited = h.DataHash != providerdb.DataHash(o.Data)
			}
		}
	}
	in, err := s.derive(ctx, o, facts.Baseline, s.now())
	if err != nil {
		return o, err
	}
	wo := workflow.Order{Type: o.Type, Edited: edited, NewResponsiblePerson: in.newPerson}
	if _, err := workflow.Next(wo, o.Stage, ev, workflow.Customer); err != nil {
		return o, err // not submittable in this stage: nothing is checked or sent
	}
	ps, website, err := s.submitProblems(ctx, o, data, in)
	if err != nil {
		return o, err
	}
	var more beian.Problems
	if o.Stage != beian.StageReturned || edited { // VER-3: unchanged data, already checked, goes back directly
		if more, err = s.CheckData(ctx, o.AccountID, o.Type, o.Commercial, data); err != nil {
			return o, err
		}
	}
	for _, q := range more { // every problem at once, each once
		if !slices.ContainsFunc(ps, func(x beian.Problem) bool { return x.Code == q.Code && x.Field == q.Field }) {
			ps = append(ps, q)
		}
	}
	if err := ps.Err(); err != nil {
		return o, err
	}
	if o.Type == beian.TransferIn { // Rules OTH-1, PWD-2: the registry verifies the password
		if _, err := s.Connector.CheckTransferIn(ctx, data.Transfer, data.Password); err != nil {
			return o, err
		}
	}
	if o.Type == beian.CancelAccess { // Rule CAN-5: the registry is told at once
		_, err := s.Connector.CancelAccess(ctx, beian.CancelAccessRequest{OrderNumber: o.Number, WebsiteNumber: website.Number},
			o.Number+":cancel_access")
		if err != nil {
			return o, err
		}
	}
	codes, fields := authCodesOf(data)
	move := providerdb.Move{OrderID: o.ID, Version: version, Event: ev, By: workflow.Customer, Actor: p.Actor(),
		Key: moveKey(key, ev), Edited: edited, NewResponsiblePerson: in.newPerson,
		Effect: func(ctx context.Context, tx *sqlstore.Tx, before, after beian.Order) error {
			if err := s.Store.UseOrderAuthCodes(ctx, tx, o.ID, o.AccountID, codes, fields); err != nil {
				return err
			}
			f := providerdb.OrderFacts{OrderID: o.ID, Baseline: facts.Baseline, Changed: in.changed, Flags: in.flags,
				Effect: in.effect, NewPerson: in.newPerson}
			if err := s.Store.SaveOrderFacts(ctx, tx, f); err != nil {
				return err
			}
			if in.effect == EffectCancelsSubject && o.Type == beian.CancelWebsite { // Rule CAN-4
				if err := s.Store.ConvertOrder(ctx, tx, o.ID, beian.CancelSubject, p.Actor()); err != nil {
					return err
				}
			}
			if o.Type == beian.CancelAccess { // Rule CAN-5: the gate blocks it at once
				website.Access, website.AccessUntil = beian.GateAccessCancelled, time.Time{}
				if _, err := s.Store.SaveWebsite(ctx, tx, website, p.Actor()); err != nil {
					return err
				}
				if err := s.Store.LinkOrderWebsite(ctx, tx, o.ID, website.ID); err != nil {
					return err
				}
			}
			if after.Stage == beian.StageSMSConfirmation { // Rule VER-3: a returned order unchanged
				return s.SendToRegistry(ctx, tx, o.ID)
			}
			return nil
		}}
	after, err := s.Store.Transition(ctx, move)
	if err != nil {
		return o, err
	}
	s.flushAfterCommit(ctx, after) // a returned order goes back to the registry now (best effort)
	if after.Stage == beian.StageSMSConfirmation || o.Type == beian.CancelWebsite {
		// the flush may have moved it on since, and CAN-4's conversion in
		// the move's Effect changed its type after the move's read
		return s.Store.Order(ctx, o.ID)
	}
	return after, nil
}

// moveKey makes a customer's move idempotent per request key and event.
func moveKey(key string, ev workflow.Event) string {
	if key = strings.TrimSpace(key); key == "" {
		return ""
	}
	return string(ev) + ":" + key
}

// submitProblems checks the order type's own rules at submit (Rules OTH-1,
// OTH-2, PWD-2, CAN-4, CAN-5, CAN-6) and returns the website a
// cancel_access order unlinks.
func (s *Service) submitProblems(ctx context.Context, o beian.Order, data beian.OrderData, in insight) (beian.Problems, beian.Website, error) {
	var ps beian.Problems
	var website beian.Website
	needPassword := func() {
		if data.Password == "" && !s.Options.SubjectCancelWithoutPassword {
			ps.Add("order.password_required", "PWD-2", "password")
		}
	}
	switch o.Type {
	case beian.TransferIn:
		if strings.TrimSpace(data.Transfer) == "" {
			ps.Add("order.transfer_required", "OTH-1", "transfer")
		}
		if data.Password == "" {
			ps.Add("order.password_required", "PWD-2", "password")
		}
	case beian.ChangeSubject, beian.ChangeWebsite, beian.ChangeAccess:
		ps = append(ps, changeProblems(o.Type, in.changed)...)
		ps = append(ps, s.natureProblems(ctx, o, data)...)
	case beian.CancelSubject:
		needPassword()
	case beian.CancelWebsite:
		if len(data.Cancel) == 0 {
			ps.Add("order.cancel_required", "CAN-4", "cancel")
		}
		if in.effect == EffectCancelsSubject { // Rule CAN-4: a subject cancellation needs what one needs
			needPassword()
		}
	case beian.CancelAccess:
		if len(data.Cancel) != 1 {
			ps.Add("order.cancel_access_one", "CAN-5", "cancel")
			break
		}
		var err error
		err = s.DB.ReadTx(ctx, func(tx *sqlstore.Tx) error {
			website, err = s.Store.WebsiteByNumber(ctx, tx, o.SubjectID, strings.TrimSpace(data.Cancel[0]))
			return err
		})
		switch {
		case beian.IsKind(err, beian.KindNotFound):
			ps.Add("order.website_not_served", "CAN-5", "cancel[0]")
		case err != nil:
			return nil, website, err
		case website.Access != beian.GateServed && website.Access != beian.GateLapsed:
			ps.Add("order.website_not_served", "CAN-5", "cancel[0]")
		}
	}
	if isCancelType(o.Type) && !data.Confirm { // Rule CAN-6: an explicit confirmation
		ps.Add("order.confirm_required", "CAN-6", "confirm")
	}
	return ps, website, nil
}

// changeProblems checks a change order's changed fields (Rules OTH-2,
// OTH-3): at least one, and each within the type — the subject for
// change_subject, a website's data for change_website, its server IPs and
// resources for change_access.
func changeProblems(t beian.OrderType, changed []string) beian.Problems {
	var ps beian.Problems
	if len(changed) == 0 {
		ps.Add("order.change_empty", "OTH-2", "")
	}
	for _, p := range changed {
		access := accessPath(p)
		ok := false
		switch t {
		case beian.ChangeSubject:
			ok = covers("subject", p)
		case beian.ChangeWebsite:
			ok = covers("websites", p) && !access
		case beian.ChangeAccess:
			ok = access
		}
		if !ok {
			ps.Add("order.change_out_of_scope", "OTH-2", p, "type", string(t))
		}
	}
	return ps
}

// accessPath reports whether the path is a website's access data: its
// server IPs or cloud resources (Rule OTH-3).
func accessPath(p string) bool {
	if !strings.HasPrefix(p, "websites[") {
		return false
	}
	i := strings.Index(p, "]")
	if i < 0 {
		return false
	}
	rest := p[i+1:]
	return covers(".server_ips", rest) || covers(".resources", rest)
}

// authCodesOf lists the authorization codes of the form and where each stands.
func authCodesOf(d beian.OrderData) (codes, fields []string) {
	for i, w := range d.Websites {
		for j, r := range w.Resources {
			if strings.TrimSpace(r.AuthCode) != "" {
				codes = append(codes, r.AuthCode)
				fields = append(fields, fmt.Sprintf("websites[%d].resources[%d].auth_code", i, j))
			}
		}
	}
	return codes, fields
}
