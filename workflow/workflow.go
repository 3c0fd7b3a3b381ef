package workflow

import (
	"slices"

	"github.com/beian/beian"
)

// Event is what happens to an order: a customer's, reviewer's or verifier's
// action, a timer firing, or a result from the registry. The wire value is
// the string.
type Event string

// The events of the order state machine, with the rule that defines each.
const (
	// Submit: customer, draft → initial_review; cancel_access goes draft →
	// approved at once (CAN-5).
	Submit Event = "submit"
	// Withdraw: customer, initial_review → draft (REV-7); never for cancel_* (CAN-6).
	Withdraw Event = "withdraw"
	// Abandon: customer, any stage held by the provider → abandoned, never at
	// the registry (REV-7); a cancel_* order only while it is a draft (CAN-6).
	Abandon Event = "abandon"
	// ApproveInitial: provider reviewer, initial_review → verification when
	// the order needs a photo, otherwise → sms_confirmation (REV-8, REV-6).
	ApproveInitial Event = "approve_initial"
	// RejectInitial: provider reviewer with items, initial_review → needs_fix (REV-3).
	RejectInitial Event = "reject_initial"
	// RequestSupplement: provider reviewer, initial_review →
	// supplement_requested (SUBJ-2; due in 5 business days, configurable).
	RequestSupplement Event = "request_supplement"
	// ProvideSupplement: customer, supplement_requested → initial_review.
	ProvideSupplement Event = "provide_supplement"
	// SupplementOverdue: timer, supplement_requested → needs_fix (REV-8).
	SupplementOverdue Event = "supplement_overdue"
	// Resubmit: customer, needs_fix or bureau_rejected → initial_review;
	// returned → sms_confirmation when unchanged, → initial_review when
	// edited (REV-3, REV-5, VER-3).
	Resubmit Event = "resubmit"
	// SubmitVerification: customer or verifier, verification → photo_review:
	// a photo from a verification point, a mailed curtain or an upload, or an
	// app code (VER-1, VER-2).
	SubmitVerification Event = "submit_verification"
	// ApprovePhoto: provider reviewer, photo_review → sms_confirmation; the
	// order is submitted to the registry (REV-4, VER-3).
	ApprovePhoto Event = "approve_photo"
	// RejectPhoto: provider reviewer, photo_review → verification (REV-4).
	RejectPhoto Event = "reject_photo"
	// SMSConfirmed: registry, sms_confirmation → bureau_review (VER-3).
	SMSConfirmed Event = "sms_confirmed"
	// SMSFailed: registry, the 6th wrong entry or the 24-hour deadline,
	// sms_confirmation → returned (VER-3).
	SMSFailed Event = "sms_failed"
	// BureauApprove: registry, bureau_review → approved (REV-2).
	BureauApprove Event = "bureau_approve"
	// BureauReject: registry, bureau_review → bureau_rejected (REV-5).
	BureauReject Event = "bureau_reject"
)

// Events lists every event, in the order of a filing's life.
var Events = []Event{
	Submit, Withdraw, Abandon, ApproveInitial, RejectInitial, RequestSupplement,
	ProvideSupplement, SupplementOverdue, Resubmit, SubmitVerification, ApprovePhoto,
	RejectPhoto, SMSConfirmed, SMSFailed, BureauApprove, BureauReject,
}

// Actor is who causes an event. The first three are roles of API.md; System
// stands for timers and for results that arrive from the registry.
type Actor string

// The actors of the order state machine.
const (
	Customer         Actor = "customer"          // the account that owns the order
	ProviderReviewer Actor = "provider_reviewer" // the provider's 初审/复审 staff
	Verifier         Actor = "verifier"          // a verification-point operator (VER-1)
	System           Actor = "system"            // timers and registry events
)

// Actors lists every actor.
var Actors = []Actor{Customer, ProviderReviewer, Verifier, System}

// eventActors says who may cause each event; every transition of an event
// takes its actors from here.
var eventActors = map[Event][]Actor{
	Submit:             {Customer},
	Withdraw:           {Customer},
	Abandon:            {Customer},
	ApproveInitial:     {ProviderReviewer},
	RejectInitial:      {ProviderReviewer},
	RequestSupplement:  {ProviderReviewer},
	ProvideSupplement:  {Customer},
	SupplementOverdue:  {System},
	Resubmit:           {Customer},
	SubmitVerification: {Customer, Verifier},
	ApprovePhoto:       {ProviderReviewer},
	RejectPhoto:        {ProviderReviewer},
	SMSConfirmed:       {System},
	SMSFailed:          {System},
	BureauApprove:      {System},
	BureauReject:       {System},
}

// Order is what the state machine needs to know of an order besides its
// stage.
type Order struct {
	// Type selects the path (REV-8).
	Type beian.OrderType
	// NewResponsiblePerson is set on a change_* order that names a new
	// responsible person: it then takes the verification path like a first
	// filing (REV-8). Ignored for other types.
	NewResponsiblePerson bool
	// Edited is set on a returned order whose data changed since it came
	// back: resubmitting it goes to initial review, not straight back to the
	// SMS confirmation (VER-3).
	Edited bool
	// ReusePhoto is set when the order holds a verification photo that may
	// be used again (REV-6, see PhotoReusable), typically after a bureau
	// rejection: initial approval then goes straight to sms_confirmation,
	// skipping verification and photo review. Ignored on orders that take no
	// photo. The zero value asks for a new photo.
	ReusePhoto bool
}

// Condition restricts a transition to orders whose flags match. A transition
// whose From and Event are shared with another carries the conditions that
// tell them apart; the wire value is the string.
type Condition string

// The conditions a transition can carry.
const (
	IfNewPerson   Condition = "new_responsible_person"    // Order.NewResponsiblePerson
	IfNoNewPerson Condition = "no_new_responsible_person" // !Order.NewResponsiblePerson
	IfEdited      Condition = "edited"                    // Order.Edited
	IfUnchanged   Condition = "unchanged"                 // !Order.Edited
	IfReusePhoto  Condition = "reuse_photo"               // Order.ReusePhoto
	IfNewPhoto    Condition = "new_photo"                 // !Order.ReusePhoto
)

// Holds reports whether the order meets the condition; an unknown condition
// never holds.
func (c Condition) Holds(o Order) bool {
	switch c {
	case IfNewPerson:
		return o.NewResponsiblePerson
	case IfNoNewPerson:
		return !o.NewResponsiblePerson
	case IfEdited:
		return o.Edited
	case IfUnchanged:
		return !o.Edited
	case IfReusePhoto:
		return o.ReusePhoto
	case IfNewPhoto:
		return !o.ReusePhoto
	}
	return false
}

// Transition is one edge of an order type's graph: the event moves an order
// from From to To when every condition in When holds, and only the listed
// actors may cause it. Note says why, citing the rule.
type Transition struct {
	From   beian.Stage // the stage the order is in
	Event  Event       // what happens
	To     beian.Stage // the stage the order moves to
	Actors []Actor     // who may cause the event
	When   []Condition // all must hold; none means always
	Note   string      // why, citing the rule
}

// Applies reports whether every condition of the transition holds for the order.
func (t Transition) Applies(o Order) bool {
	for _, c := range t.When {
		if !c.Holds(o) {
			return false
		}
	}
	return true
}

// Allows reports whether the actor may cause the transition.
func (t Transition) Allows(a Actor) bool { return slices.Contains(t.Actors, a) }
