package workflow

import (
	"slices"

	"github.com/beian/beian"
)

// tables holds each order type's transitions, built once; Transitions hands
// out copies.
var tables = func() map[beian.OrderType][]Transition {
	m := make(map[beian.OrderType][]Transition, len(beian.OrderTypes))
	for _, t := range beian.OrderTypes {
		m[t] = build(t)
	}
	return m
}()

// Transitions returns the transition table of an order type, sorted by the
// stage it leaves (in the order of beian.Stages) and then by event. Where
// the path depends on the order's flags both variants are listed, told apart
// by their When conditions. An unknown type has no transitions. The result is
// a copy the caller may change.
func Transitions(t beian.OrderType) []Transition {
	src := tables[t]
	out := make([]Transition, len(src))
	for i, tr := range src {
		tr.Actors = slices.Clone(tr.Actors)
		tr.When = slices.Clone(tr.When)
		out[i] = tr
	}
	return out
}

// Kinds of order type by path (REV-8).
func isChange(t beian.OrderType) bool {
	return t == beian.ChangeSubject || t == beian.ChangeWebsite || t == beian.ChangeAccess
}

func isCancel(t beian.OrderType) bool {
	return t == beian.CancelSubject || t == beian.CancelWebsite || t == beian.CancelAccess
}

// takesPhoto reports whether the type can pass through verification and
// photo review, and under which extra conditions.
func takesPhoto(t beian.OrderType) (bool, []Condition) {
	switch {
	case isChange(t):
		return true, []Condition{IfNewPerson}
	case t == beian.FirstFiling || t == beian.NewWebsite || t == beian.TransferIn:
		return true, nil
	}
	return false, nil
}

// build writes down the graph of one order type from REV-3 to REV-8, VER-3,
// CAN-5 and CAN-6.
func build(t beian.OrderType) []Transition {
	var ts []Transition
	add := func(from beian.Stage, ev Event, to beian.Stage, note string, when ...Condition) {
		ts = append(ts, Transition{From: from, Event: ev, To: to,
			Actors: eventActors[ev], When: slices.Clip(when), Note: note})
	}
	if t == beian.CancelAccess {
		add(beian.StageDraft, Submit, beian.StageApproved,
			"CAN-5: the registry is told at once; no review, no SMS confirmation")
		add(beian.StageDraft, Abandon, beian.StageAbandoned, "REV-7, CAN-6: only before it is submitted")
		return ts
	}
	photo, photoWhen := takesPhoto(t)
	cancel := isCancel(t)

	add(beian.StageDraft, Submit, beian.StageInitialReview, "REV-8")
	if !cancel {
		add(beian.StageInitialReview, Withdraw, beian.StageDraft, "REV-7")
	}
	switch {
	case photo && photoWhen == nil:
		add(beian.StageInitialReview, ApproveInitial, beian.StageVerification,
			"REV-8: verification follows initial approval", IfNewPhoto)
		add(beian.StageInitialReview, ApproveInitial, beian.StageSMSConfirmation,
			"REV-6: the approved photo is reused; submitted to the registry", IfReusePhoto)
	case photo:
		add(beian.StageInitialReview, ApproveInitial, beian.StageVerification,
			"REV-8: a new responsible person is verified", IfNewPerson, IfNewPhoto)
		add(beian.StageInitialReview, ApproveInitial, beian.StageSMSConfirmation,
			"REV-6: the approved photo is reused; submitted to the registry", IfNewPerson, IfReusePhoto)
		add(beian.StageInitialReview, ApproveInitial, beian.StageSMSConfirmation,
			"REV-8: no new responsible person, no verification; submitted to the registry", IfNoNewPerson)
	default:
		add(beian.StageInitialReview, ApproveInitial, beian.StageSMSConfirmation,
			"REV-8: no verification; submitted to the registry")
	}
	add(beian.StageInitialReview, RejectInitial, beian.StageNeedsFix, "REV-3: with review items")
	add(beian.StageInitialReview, RequestSupplement, beian.StageSupplementRequested,
		"SUBJ-2: due in 5 business days (configurable)")
	add(beian.StageNeedsFix, Resubmit, beian.StageInitialReview, "REV-3: only the flagged fields were editable")
	add(beian.StageSupplementRequested, ProvideSupplement, beian.StageInitialReview, "SUBJ-2")
	add(beian.StageSupplementRequested, SupplementOverdue, beian.StageNeedsFix, "REV-8: the due date passed")
	if photo {
		add(beian.StageVerification, SubmitVerification, beian.StagePhotoReview,
			"VER-1: point, curtain or upload photo; VER-2: app code", photoWhen...)
		add(beian.StagePhotoReview, ApprovePhoto, beian.StageSMSConfirmation,
			"REV-4: submitted to the registry", photoWhen...)
		add(beian.StagePhotoReview, RejectPhoto, beian.StageVerification,
			"REV-4: the customer replaces the photo", photoWhen...)
	}
	add(beian.StageSMSConfirmation, SMSConfirmed, beian.StageBureauReview, "VER-3: every responsible person confirmed")
	add(beian.StageSMSConfirmation, SMSFailed, beian.StageReturned, "VER-3: 6th wrong entry or 24 hours passed")
	add(beian.StageBureauReview, BureauApprove, beian.StageApproved, "REV-2")
	add(beian.StageBureauReview, BureauReject, beian.StageBureauRejected, "REV-5: with review items")
	add(beian.StageReturned, Resubmit, beian.StageSMSConfirmation, "VER-3: unchanged data goes straight back", IfUnchanged)
	add(beian.StageReturned, Resubmit, beian.StageInitialReview, "VER-3: edited data is reviewed again", IfEdited)
	add(beian.StageBureauRejected, Resubmit, beian.StageInitialReview, "REV-5: reviewed again, then back to the bureau")

	// REV-7: abandon from every stage the provider holds; CAN-6: a
	// cancellation only while it is a draft.
	held := []beian.Stage{beian.StageDraft}
	if !cancel {
		held = append(held, beian.StageInitialReview, beian.StageNeedsFix, beian.StageSupplementRequested,
			beian.StageVerification, beian.StagePhotoReview, beian.StageReturned, beian.StageBureauRejected)
	}
	for _, s := range held {
		switch {
		case s == beian.StageVerification || s == beian.StagePhotoReview:
			if photo {
				add(s, Abandon, beian.StageAbandoned, "REV-7", photoWhen...)
			}
		case s == beian.StageDraft && cancel:
			add(s, Abandon, beian.StageAbandoned, "REV-7, CAN-6: only before it is submitted")
		default:
			add(s, Abandon, beian.StageAbandoned, "REV-7")
		}
	}

	slices.SortStableFunc(ts, func(a, b Transition) int {
		if d := slices.Index(beian.Stages, a.From) - slices.Index(beian.Stages, b.From); d != 0 {
			return d
		}
		return slices.Index(Events, a.Event) - slices.Index(Events, b.Event)
	})
	return ts
}
