package provider

import (
	"context"
	"encoding/json"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/beian/beian"
	"github.com/beian/beian/sqlstore/providerdb"
)

// insight is what the provider derives from an order's form: the fields a
// change edits against the filed data (Rule OTH-2), the flags for the
// provider reviewer (Rules SUBJ-2, OTH-2), the effect of a cancellation
// (Rule CAN-4) and the warnings the customer reads before submitting
// (Rules CAN-4, CAN-5, CAN-6).
type insight struct {
	baseline  json.RawMessage
	changed   []string
	flags     beian.Problems
	warnings  beian.Problems
	effect    string
	newPerson bool
}

// insight derives the order's insight. Once the order has left its draft,
// the changed fields, flags and effect are those recorded at its last
// submission; a draft's are computed now.
func (s *Service) insight(ctx context.Context, o beian.Order) (insight, error) {
	f, err := s.Store.OrderFactsOf(ctx, o.ID)
	if err != nil {
		return insight{}, err
	}
	var in insight
	if o.Stage != beian.StageDraft && !f.UpdatedAt.IsZero() && !o.SubmittedAt.IsZero() {
		in = insight{baseline: f.Baseline, changed: f.Changed, flags: f.Flags, effect: f.Effect, newPerson: f.NewPerson}
	} else if in, err = s.derive(ctx, o, f.Baseline, s.now()); err != nil {
		return insight{}, err
	}
	in.warnings = s.orderWarnings(o, in)
	if in.changed == nil {
		in.changed = []string{}
	}
	if in.flags == nil {
		in.flags = beian.Problems{}
	}
	return in, nil
}

// derive computes the insight of the form as it is, on the date on (the
// submit date for the SUBJ-2 age).
func (s *Service) derive(ctx context.Context, o beian.Order, baseline json.RawMessage, on time.Time) (insight, error) {
	in := insight{baseline: baseline, changed: []string{}}
	data, err := orderData(o.Data)
	if err != nil {
		return in, err
	}
	in.flags = append(in.flags, s.MinorFlags(data, on)...) // Rule SUBJ-2
	if isChangeType(o.Type) && len(baseline) > 0 {
		stripped, _ := withoutPassword(o.Data)
		base, _ := withoutPassword(baseline)
		if in.changed, err = providerdb.ChangedPaths(base, stripped); err != nil {
			return in, &beian.Error{Kind: beian.KindBadRequest, Code: "order.data_invalid", Err: err}
		}
		in.changed = slices.DeleteFunc(in.changed, func(p string) bool { return !formPath(p) })
		for _, p := range in.changed { // Rule OTH-2: flagged for the reviewer
			switch {
			case covers("subject.cert_number", p) || covers("subject.cert_type", p):
				in.flags.Add("order.cert_number_changed", "OTH-2", p)
			case covers("subject.name", p):
				in.flags.Add("order.subject_name_changed", "OTH-2", p)
			}
		}
		in.newPerson = newPersonPath(in.changed)
	}
	if o.Type == beian.CancelWebsite {
		if in.effect, err = s.cancelEffect(ctx, o, data); err != nil {
			return in, err
		}
	}
	return in, nil
}

// orderWarnings are what the customer is told before submitting.
func (s *Service) orderWarnings(o beian.Order, in insight) beian.Problems {
	var ws beian.Problems
	if in.effect == EffectCancelsSubject { // Rule CAN-4: said before submission
		ws.Add("order.cancels_subject", "CAN-4", "cancel")
	}
	if o.Type == beian.CancelAccess { // Rule CAN-5
		ws.Add("order.empty_shell_warning", "CAN-5", "", "days", strconv.Itoa(s.Options.EmptyShellDays))
	}
	if isCancelType(o.Type) && o.Stage == beian.StageDraft { // Rule CAN-6
		ws.Add("order.cancel_irrevocable_warning", "CAN-6", "confirm")
	}
	return ws
}

// cancelEffect tells whether a cancel_website order removes every active
// website of its subject, which makes it a subject cancellation (Rule
// CAN-4). The registry's record of the subject decides; when it cannot be
// read, this provider's websites of the subject do.
func (s *Service) cancelEffect(ctx context.Context, o beian.Order, data beian.OrderData) (string, error) {
	if len(data.Cancel) == 0 {
		return "", nil
	}
	var active []string
	number := data.Subject.Number
	if number == "" {
		sub, err := s.Store.AccountSubject(ctx, o.AccountID)
		if err == nil {
			number = sub.Number
		}
	}
	registry := false
	if number != "" {
		if f, err := s.Connector.Filing(ctx, number); err == nil {
			registry = true
			for _, w := range f.Websites {
				if w.Status == "active" {
					active = append(active, w.Number)
				}
			}
		}
	}
	if !registry {
		ws, err := s.subjectWebsites(ctx, o.SubjectID)
		if err != nil {
			return "", err
		}
		for _, w := range ws {
			if w.Number != "" && w.Access != beian.GateCancelled {
				active = append(active, w.Number)
			}
		}
	}
	if len(active) == 0 {
		return "", nil
	}
	for _, n := range active {
		if !slices.Contains(data.Cancel, n) {
			return "", nil
		}
	}
	return EffectCancelsSubject, nil
}

// formPath reports whether a changed path is part of the filing (the
// subject and the websites), not of the order's own fields (password,
// confirmation…) nor a number the registry assigned.
func formPath(p string) bool {
	return (covers("subject", p) || covers("websites", p)) && p != "subject.number" && !numberPath.MatchString(p)
}

var numberPath = regexp.MustCompile(`^websites\[\d+\]\.number$`)

var personPath = regexp.MustCompile(`^(subject|websites\[\d+\])\.person(\.(name|cert_type|cert_number))?$`)
var wholeWebsite = regexp.MustCompile(`^websites(\[\d+\])?$`)

// newPersonPath reports whether the changes name a new responsible person
// (Rule REV-8: the change then takes the verification path): a person's
// name or certificate, or a website added.
func newPersonPath(changed []string) bool {
	for _, p := range changed {
		if personPath.MatchString(p) || wholeWebsite.MatchString(p) || p == "subject" {
			return true
		}
	}
	return false
}

// covers reports whether the path p is field or one of its ancestors (the
// notation of review items, as workflow.Editable reads it).
func covers(p, field string) bool {
	if !strings.HasPrefix(field, p) {
		return false
	}
	rest := field[len(p):]
	return rest == "" || rest[0] == '.' || rest[0] == '['
}

func isChangeType(t beian.OrderType) bool {
	return t == beian.ChangeSubject || t == beian.ChangeWebsite || t == beian.ChangeAccess
}

func isCancelType(t beian.OrderType) bool {
	return t == beian.CancelSubject || t == beian.CancelWebsite || t == beian.CancelAccess
}

// onFiledSubject reports whether the type needs the subject filed here
// (Rule TYPE-1).
func onFiledSubject(t beian.OrderType) bool {
	return t == beian.NewWebsite || isChangeType(t) || isCancelType(t)
}
