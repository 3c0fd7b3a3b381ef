package workflow

import (
	"slices"

	"github.com/beian/beian"
)

// The message codes of the errors Next returns; the catalogues
// i18n/messages/*/workflow.json render them, filling {stage} and {event}.
const (
	// CodeTransitionNotAllowed: the event does not apply to the order in its
	// stage (kind invalid_state); also for an unknown type, stage or event.
	CodeTransitionNotAllowed = "order.transition_not_allowed"
	// CodeActorNotAllowed: the event applies, but not by this actor (kind forbidden).
	CodeActorNotAllowed = "order.actor_not_allowed"
	// CodeCancelIrrevocable: a submitted cancel_* order cannot be withdrawn
	// or abandoned (CAN-6; kind invalid_state).
	CodeCancelIrrevocable = "order.cancel_irrevocable"
	// CodeAbandonAtRegistry: an order at the registry cannot be abandoned
	// (REV-7; kind invalid_state).
	CodeAbandonAtRegistry = "order.abandon_at_registry"
)

// Codes returns every message code this package emits, mapped to its rule
// ID; the catalogues must hold each of them in every language.
func Codes() map[string]string {
	return map[string]string{
		CodeTransitionNotAllowed: "REV-8",
		CodeActorNotAllowed:      "REV-8",
		CodeCancelIrrevocable:    "CAN-6",
		CodeAbandonAtRegistry:    "REV-7",
	}
}

// Next returns the stage the event moves the order to from stage from, when
// the actor causes it.
//
// When no transition of the order's type leaves from on ev for the order's
// flags, Next returns a *beian.Error of kind beian.KindInvalidState with code
// CodeTransitionNotAllowed — or the more precise CodeCancelIrrevocable
// (CAN-6) or CodeAbandonAtRegistry (REV-7) — and args "stage" and "event";
// an unknown type, stage or event is answered the same way. When the
// transition exists but the actor may not cause it, the error is of kind
// beian.KindForbidden with code CodeActorNotAllowed and args "stage",
// "event" and "actor". The state is checked before the actor. On error the
// stage returned is "".
func Next(o Order, from beian.Stage, ev Event, by Actor) (beian.Stage, error) {
	for _, tr := range tables[o.Type] {
		if tr.From != from || tr.Event != ev || !tr.Applies(o) {
			continue
		}
		if !tr.Allows(by) {
			return "", beian.Errorf(beian.KindForbidden, CodeActorNotAllowed,
				"stage", string(from), "event", string(ev), "actor", string(by))
		}
		return tr.To, nil
	}
	return "", beian.Errorf(beian.KindInvalidState, refusal(o, from, ev),
		"stage", string(from), "event", string(ev))
}

// refusal picks the code for an event that does not apply: a cancellation
// that is past its draft (CAN-6), an abandon at the registry (REV-7), or the
// generic code. The precise codes are used only for stages on the order's
// graph, where a customer could meet them.
func refusal(o Order, from beian.Stage, ev Event) string {
	if (ev != Withdraw && ev != Abandon) || Terminal(from) || !onGraph(o, from) {
		return CodeTransitionNotAllowed
	}
	switch {
	case isCancel(o.Type) && (from != beian.StageDraft) && (ev == Abandon || from == beian.StageInitialReview):
		return CodeCancelIrrevocable
	case ev == Abandon && AtRegistry(from):
		return CodeAbandonAtRegistry
	}
	return CodeTransitionNotAllowed
}

// onGraph reports whether a transition that applies to the order enters or
// leaves the stage.
func onGraph(o Order, s beian.Stage) bool {
	for _, tr := range tables[o.Type] {
		if (tr.From == s || tr.To == s) && tr.Applies(o) {
			return true
		}
	}
	return false
}

// happy lists the events that move an order forward on its path (REV-8).
var happy = []Event{Submit, ApproveInitial, SubmitVerification, ApprovePhoto, SMSConfirmed, BureauApprove}

// Path returns the stages an order passes on its happy path, from draft to
// approved (REV-8), for its type and flags; the timeline uses it to predict
// dates. An unknown type has no path.
func Path(o Order) []beian.Stage {
	if _, ok := tables[o.Type]; !ok {
		return nil
	}
	path := []beian.Stage{beian.StageDraft}
	for s := beian.StageDraft; !Terminal(s); {
		i := slices.IndexFunc(tables[o.Type], func(tr Transition) bool {
			return tr.From == s && slices.Contains(happy, tr.Event) && tr.Applies(o)
		})
		if i < 0 {
			break // unreachable: every type's table leads to approved
		}
		s = tables[o.Type][i].To
		path = append(path, s)
	}
	return path
}

// Terminal reports whether an order in the stage is finished: approved or
// abandoned. No event leaves a terminal stage.
func Terminal(s beian.Stage) bool {
	return s == beian.StageApproved || s == beian.StageAbandoned
}

// AtRegistry reports whether an order in the stage is held by the registry
// (sms_confirmation, bureau_review): the customer cannot abandon it (REV-7)
// and nothing but the registry's result moves it.
func AtRegistry(s beian.Stage) bool {
	return s == beian.StageSMSConfirmation || s == beian.StageBureauReview
}
