package workflow

import (
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/beian/beian"
)

// The expectation below is written from RULES.md, independently of table.go:
// it must not be derived from Transitions.

// graphOf names the path family of an order (REV-8): "photo" (first_filing,
// new_website, transfer_in, change_* with a new responsible person),
// "short" (change_* without), "cancel" (cancel_subject, cancel_website),
// "access" (cancel_access), "" for an unknown type.
func graphOf(o Order) string {
	switch o.Type {
	case beian.FirstFiling, beian.NewWebsite, beian.TransferIn:
		return "photo"
	case beian.ChangeSubject, beian.ChangeWebsite, beian.ChangeAccess:
		if o.NewResponsiblePerson {
			return "photo"
		}
		return "short"
	case beian.CancelSubject, beian.CancelWebsite:
		return "cancel"
	case beian.CancelAccess:
		return "access"
	}
	return ""
}

// stagesOf lists the stages on a family's graph.
var stagesOf = map[string][]beian.Stage{
	"photo": {"draft", "initial_review", "needs_fix", "supplement_requested", "verification",
		"photo_review", "sms_confirmation", "bureau_review", "returned", "bureau_rejected",
		"approved", "abandoned"},
	"short": {"draft", "initial_review", "needs_fix", "supplement_requested",
		"sms_confirmation", "bureau_review", "returned", "bureau_rejected", "approved", "abandoned"},
	"cancel": {"draft", "initial_review", "needs_fix", "supplement_requested",
		"sms_confirmation", "bureau_review", "returned", "bureau_rejected", "approved", "abandoned"},
	"access": {"draft", "approved", "abandoned"},
}

// whoMay says who may cause each event (the brief's event list).
var whoMay = map[Event][]Actor{
	"submit": {"customer"}, "withdraw": {"customer"}, "abandon": {"customer"},
	"approve_initial": {"provider_reviewer"}, "reject_initial": {"provider_reviewer"},
	"request_supplement": {"provider_reviewer"}, "provide_supplement": {"customer"},
	"supplement_overdue": {"system"}, "resubmit": {"customer"},
	"submit_verification": {"customer", "verifier"}, "approve_photo": {"provider_reviewer"},
	"reject_photo": {"provider_reviewer"}, "sms_confirmed": {"system"}, "sms_failed": {"system"},
	"bureau_approve": {"system"}, "bureau_reject": {"system"},
}

// expect returns the stage an event leads to, or "" and the refusal code.
func expect(o Order, from beian.Stage, ev Event) (beian.Stage, string) {
	const no = "order.transition_not_allowed"
	fam := graphOf(o)
	if _, known := whoMay[ev]; !known || !slices.Contains(stagesOf[fam], from) {
		return "", no
	}
	cancel := fam == "cancel" || fam == "access"
	switch ev {
	case "submit":
		if from == "draft" && fam == "access" {
			return "approved", "" // CAN-5
		}
		if from == "draft" {
			return "initial_review", ""
		}
	case "withdraw": // REV-7, CAN-6
		if from == "initial_review" && cancel {
			return "", "order.cancel_irrevocable"
		}
		if from == "initial_review" {
			return "draft", ""
		}
	case "abandon": // REV-7, CAN-6
		switch {
		case from == "draft":
			return "abandoned", ""
		case from == "approved" || from == "abandoned":
			return "", no
		case cancel:
			return "", "order.cancel_irrevocable"
		case from == "sms_confirmation" || from == "bureau_review":
			return "", "order.abandon_at_registry"
		}
		return "abandoned", ""
	case "approve_initial": // REV-8, REV-6
		if from == "initial_review" && fam == "photo" && !o.ReusePhoto {
			return "verification", ""
		}
		if from == "initial_review" {
			return "sms_confirmation", ""
		}
	case "reject_initial": // REV-3
		if from == "initial_review" {
			return "needs_fix", ""
		}
	case "request_supplement": // SUBJ-2
		if from == "initial_review" {
			return "supplement_requested", ""
		}
	case "provide_supplement":
		if from == "supplement_requested" {
			return "initial_review", ""
		}
	case "supplement_overdue":
		if from == "supplement_requested" {
			return "needs_fix", ""
		}
	case "resubmit": // REV-3, REV-5, VER-3
		switch {
		case from == "needs_fix" || from == "bureau_rejected":
			return "initial_review", ""
		case from == "returned" && o.Edited:
			return "initial_review", ""
		case from == "returned":
			return "sms_confirmation", ""
		}
	case "submit_verification": // VER-1, VER-2
		if from == "verification" {
			return "photo_review", ""
		}
	case "approve_photo": // REV-4
		if from == "photo_review" {
			return "sms_confirmation", ""
		}
	case "reject_photo": // REV-4
		if from == "photo_review" {
			return "verification", ""
		}
	case "sms_confirmed": // VER-3
		if from == "sms_confirmation" {
			return "bureau_review", ""
		}
	case "sms_failed": // VER-3
		if from == "sms_confirmation" {
			return "returned", ""
		}
	case "bureau_approve":
		if from == "bureau_review" {
			return "approved", ""
		}
	case "bureau_reject": // REV-5
		if from == "bureau_review" {
			return "bureau_rejected", ""
		}
	}
	return "", no
}

// allOrders lists every type (and an unknown one) with every flag combination.
func allOrders() []Order {
	var out []Order
	for _, t := range append(slices.Clone(beian.OrderTypes), "bogus") {
		for flags := range 8 {
			out = append(out, Order{Type: t, NewResponsiblePerson: flags&1 != 0, Edited: flags&2 != 0, ReusePhoto: flags&4 != 0})
		}
	}
	return out
}

type nextCase struct {
	o    Order
	from beian.Stage
	ev   Event
	by   Actor
	to   beian.Stage // when the move is allowed
	kind beian.Kind  // otherwise
	code string
}

func (c nextCase) String() string {
	return fmt.Sprintf("%+v: %s --%s by %q-->", c.o, c.from, c.ev, c.by)
}

// forEachCase calls f with every order type × flag × stage × event × actor,
// unknown values included, and the expected outcome: "OK" or "Err_" and the
// error code.
func forEachCase(f func(c nextCase, outcome string)) {
	stages := append(slices.Clone(beian.Stages), "bogus")
	events := append(slices.Clone(Events), "bogus")
	actors := append(slices.Clone(Actors), "", "bureau_reviewer")
	for _, o := range allOrders() {
		for _, from := range stages {
			for _, ev := range events {
				for _, by := range actors {
					c := nextCase{o: o, from: from, ev: ev, by: by}
					switch to, code := expect(o, from, ev); {
					case code != "":
						c.kind, c.code = beian.KindInvalidState, code
					case !slices.Contains(whoMay[ev], by):
						c.kind, c.code = beian.KindForbidden, "order.actor_not_allowed"
					default:
						c.to = to
					}
					if c.code == "" {
						f(c, "OK")
					} else {
						f(c, "Err_"+c.code)
					}
				}
			}
		}
	}
}

// Next agrees with the expectation in every case (REV-3 to REV-8, VER-3,
// CAN-5, CAN-6); one subtest per outcome.
func TestNextExhaustive(t *testing.T) {
	for _, outcome := range []string{"OK", "Err_order.transition_not_allowed", "Err_order.actor_not_allowed",
		"Err_order.cancel_irrevocable", "Err_order.abandon_at_registry"} {
		t.Run(outcome, func(t *testing.T) {
			n := 0
			forEachCase(func(c nextCase, got string) {
				if got != outcome {
					return
				}
				n++
				if msg := checkNext(c); msg != "" {
					t.Error(msg)
				}
			})
			if n == 0 {
				t.Errorf("no case expects %s", outcome)
			}
		})
	}
}

// checkNext returns what is wrong with Next's answer to the case, or "".
func checkNext(c nextCase) string {
	got, err := Next(c.o, c.from, c.ev, c.by)
	if c.code == "" {
		if err != nil || got != c.to {
			return fmt.Sprintf("%s got %q, %v; want %q", c, got, err, c.to)
		}
		return ""
	}
	var e *beian.Error
	switch {
	case err == nil:
		return fmt.Sprintf("%s allowed (→ %q), want %s %s", c, got, c.kind, c.code)
	case got != "":
		return fmt.Sprintf("%s returned stage %q with an error", c, got)
	case !errors.As(err, &e):
		return fmt.Sprintf("%s got %v, want a *beian.Error", c, err)
	case e.Kind != c.kind || e.Code != c.code:
		return fmt.Sprintf("%s got %s %s, want %s %s", c, e.Kind, e.Code, c.kind, c.code)
	case e.Args["stage"] != string(c.from) || e.Args["event"] != string(c.ev):
		return fmt.Sprintf("%s args %v", c, e.Args)
	case Codes()[e.Code] == "":
		return fmt.Sprintf("%s: code %s missing from Codes()", c, e.Code)
	}
	return ""
}

// REV-7 and CAN-6, case by case: who may withdraw or abandon what, and when.
func TestWithdrawAbandon(t *testing.T) {
	const (
		notAllowed = "order.transition_not_allowed"
		irrevoc    = "order.cancel_irrevocable"
		atRegistry = "order.abandon_at_registry"
	)
	for _, tc := range []struct {
		name string
		typ  beian.OrderType
		from beian.Stage
		ev   Event
		want beian.Stage
		code string
	}{
		{"OK/WithdrawInitialReview", beian.FirstFiling, "initial_review", Withdraw, "draft", ""},
		{"OK/WithdrawChange", beian.ChangeAccess, "initial_review", Withdraw, "draft", ""},
		{"ErrNotAllowed/WithdrawDraft", beian.FirstFiling, "draft", Withdraw, "", notAllowed},
		{"ErrNotAllowed/WithdrawNeedsFix", beian.NewWebsite, "needs_fix", Withdraw, "", notAllowed},
		{"ErrNotAllowed/WithdrawAtRegistry", beian.TransferIn, "bureau_review", Withdraw, "", notAllowed},
		{"OK/AbandonDraft", beian.FirstFiling, "draft", Abandon, "abandoned", ""},
		{"OK/AbandonInitialReview", beian.FirstFiling, "initial_review", Abandon, "abandoned", ""},
		{"OK/AbandonNeedsFix", beian.NewWebsite, "needs_fix", Abandon, "abandoned", ""},
		{"OK/AbandonSupplement", beian.TransferIn, "supplement_requested", Abandon, "abandoned", ""},
		{"OK/AbandonVerification", beian.FirstFiling, "verification", Abandon, "abandoned", ""},
		{"OK/AbandonPhotoReview", beian.FirstFiling, "photo_review", Abandon, "abandoned", ""},
		{"OK/AbandonReturned", beian.ChangeWebsite, "returned", Abandon, "abandoned", ""},
		{"OK/AbandonBureauRejected", beian.ChangeSubject, "bureau_rejected", Abandon, "abandoned", ""},
		{"ErrAtRegistry/SMSConfirmation", beian.FirstFiling, "sms_confirmation", Abandon, "", atRegistry},
		{"ErrAtRegistry/BureauReview", beian.ChangeSubject, "bureau_review", Abandon, "", atRegistry},
		{"ErrNotAllowed/AbandonApproved", beian.FirstFiling, "approved", Abandon, "", notAllowed},
		{"ErrNotAllowed/AbandonAbandoned", beian.FirstFiling, "abandoned", Abandon, "", notAllowed},
		{"ErrNotAllowed/AbandonOffGraph", beian.ChangeSubject, "verification", Abandon, "", notAllowed},
		// CAN-6: a cancellation's draft may be abandoned, nothing after submit.
		{"OK/CancelSubjectDraftAbandon", beian.CancelSubject, "draft", Abandon, "abandoned", ""},
		{"OK/CancelAccessDraftAbandon", beian.CancelAccess, "draft", Abandon, "abandoned", ""},
		{"ErrIrrevocable/CancelSubjectWithdraw", beian.CancelSubject, "initial_review", Withdraw, "", irrevoc},
		{"ErrIrrevocable/CancelWebsiteWithdraw", beian.CancelWebsite, "initial_review", Withdraw, "", irrevoc},
		{"ErrIrrevocable/CancelSubjectAbandonReview", beian.CancelSubject, "initial_review", Abandon, "", irrevoc},
		{"ErrIrrevocable/CancelWebsiteAbandonNeedsFix", beian.CancelWebsite, "needs_fix", Abandon, "", irrevoc},
		{"ErrIrrevocable/CancelSubjectAbandonReturned", beian.CancelSubject, "returned", Abandon, "", irrevoc},
		{"ErrIrrevocable/CancelWebsiteAbandonRejected", beian.CancelWebsite, "bureau_rejected", Abandon, "", irrevoc},
		{"ErrIrrevocable/CancelSubjectAbandonAtRegistry", beian.CancelSubject, "bureau_review", Abandon, "", irrevoc},
		{"ErrNotAllowed/CancelAccessAbandonApproved", beian.CancelAccess, "approved", Abandon, "", notAllowed},
		{"ErrNotAllowed/CancelAccessWithdrawApproved", beian.CancelAccess, "approved", Withdraw, "", notAllowed},
		{"ErrNotAllowed/CancelWithdrawNeedsFix", beian.CancelWebsite, "needs_fix", Withdraw, "", notAllowed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := nextCase{o: Order{Type: tc.typ}, from: tc.from, ev: tc.ev, by: Customer, to: tc.want, code: tc.code}
			if tc.code != "" {
				c.kind = beian.KindInvalidState
			}
			if msg := checkNext(c); msg != "" {
				t.Error(msg)
			}
		})
	}
}

// The state is checked before the actor: a reviewer's event at the wrong
// stage is invalid_state, at the right stage by a customer forbidden.
func TestNextErrorPrecedence(t *testing.T) {
	o := Order{Type: beian.FirstFiling}
	if _, err := Next(o, "draft", ApproveInitial, Customer); !beian.IsKind(err, beian.KindInvalidState) {
		t.Errorf("ErrNotAllowed: got %v", err)
	}
	_, err := Next(o, "initial_review", ApproveInitial, Customer)
	var e *beian.Error
	if !errors.As(err, &e) || e.Kind != beian.KindForbidden || e.Args["actor"] != "customer" {
		t.Errorf("ErrActor: got %v", err)
	}
}
