package provider

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/beian/beian"
	"github.com/beian/beian/identity"
	"github.com/beian/beian/sqlstore/providerdb"
)

// The Go API of the console's verification, SMS-confirmation and
// authorization-code pages (web/page console_verify*.go, console_sms*.go,
// console_authcode*.go): what the JSON routes do, for a caller that
// already knows the customer.

// AppVerification says whether the customer's order may verify by the
// verification app (Rule VER-2): nil when the province offers it, the
// order is eligible and a code service is configured; otherwise the
// problems say why (verification.app_not_offered,
// verification.app_not_eligible, verification.app_unavailable).
func (s *Service) AppVerification(o beian.Order) beian.Problems {
	var d beian.OrderData
	_ = json.Unmarshal(o.Data, &d) // stored by the service
	_, ps := s.appPerson(d, s.now())
	if len(ps) == 0 && s.AppCodes == nil {
		ps.Add("verification.app_unavailable", "VER-2", "method")
	}
	return ps
}

// LatestVerification returns the order's latest verification record (the
// customer's choice and its status, Rules VER-1, VER-2, REV-4); ok is
// false when it has none.
func (s *Service) LatestVerification(ctx context.Context, orderID int64) (v providerdb.Verification, ok bool, err error) {
	v, err = s.Store.LatestVerification(ctx, orderID)
	if beian.IsKind(err, beian.KindNotFound) || errors.Is(err, sql.ErrNoRows) {
		return v, false, nil
	}
	return v, err == nil, err
}

// SMS-confirmation states of SMSStatus besides the registry's own
// ("pending", "confirmed", "failed", "expired", "none").
const (
	// SMSSending: the order waits for its submission to reach the registry
	// (queued, or retried while the registry is unreachable).
	SMSSending = "sending"
)

// SMSStatus is the registry's SMS confirmation of an order (Rule VER-3) as
// the console shows it: who has and has not confirmed, phones masked, and
// the deadline with the time left at the service's clock.
type SMSStatus struct {
	State    string // SMSSending or a beian.ConfirmationState state
	Deadline time.Time
	Left     time.Duration // until Deadline; 0 once it passed or while sending
	Persons  []SMSPerson
}

// SMSPerson is one responsible person's confirmation: the role ("subject"
// or "websites[i]"), the person's name and the website's name from the
// order's form, the phone masked by the registry (138****5678).
type SMSPerson struct {
	Role, Name, Website, MaskedPhone string
	Confirmed                        bool
	Failures                         int
}

// SMSStatus asks the registry, through the connector, for the SMS
// confirmation of the order's latest accepted submission (Rule VER-3). An
// order whose submission has not reached the registry yet answers
// SMSSending with no persons.
func (s *Service) SMSStatus(ctx context.Context, o beian.Order) (SMSStatus, error) {
	var id string
	err := s.DB.SQL.QueryRowContext(ctx, `SELECT submission_id FROM order_submissions WHERE order_id = $1 AND state = 'accepted'
		ORDER BY attempt DESC LIMIT 1`, o.ID).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && id == "") {
		return SMSStatus{State: SMSSending}, nil
	}
	if err != nil {
		return SMSStatus{}, err
	}
	cs, err := s.Connector.Confirmations(ctx, id)
	if err != nil {
		return SMSStatus{}, err
	}
	var d beian.OrderData
	_ = json.Unmarshal(o.Data, &d) // stored by the service
	out := SMSStatus{State: cs.State, Deadline: cs.Deadline}
	if left := cs.Deadline.Sub(s.now()); left > 0 && cs.State == "pending" {
		out.Left = left
	}
	for _, p := range cs.Persons {
		sp := SMSPerson{Role: p.Role, MaskedPhone: p.MaskedPhone, Confirmed: p.Confirmed, Failures: p.Failures}
		if p.Role == "subject" {
			sp.Name = d.Subject.Person.Name
		} else if i, ok := websiteIndex(p.Role); ok && i < len(d.Websites) {
			sp.Name, sp.Website = d.Websites[i].Person.Name, d.Websites[i].Name
		}
		// One person in several roles (the subject's and a website's
		// responsible person with the same phone) gets one code and
		// confirms once: show them once.
		if i := slices.IndexFunc(out.Persons, func(q SMSPerson) bool { return q.MaskedPhone == sp.MaskedPhone && q.Name == sp.Name }); i >= 0 {
			out.Persons[i].Confirmed = out.Persons[i].Confirmed || sp.Confirmed
			out.Persons[i].Failures = max(out.Persons[i].Failures, sp.Failures)
			continue
		}
		out.Persons = append(out.Persons, sp)
	}
	return out, nil
}

// websiteIndex reads i of "websites[i]".
func websiteIndex(role string) (int, bool) {
	rest, ok := strings.CutPrefix(role, "websites[")
	if !ok || !strings.HasSuffix(rest, "]") {
		return 0, false
	}
	i, err := strconv.Atoi(strings.TrimSuffix(rest, "]"))
	return i, err == nil && i >= 0
}

// AuthCodes lists the authorization codes the account issued (Rule
// ACC-3), newest first, each with its state now, as GET /api/v1/auth-codes.
func (s *Service) AuthCodes(ctx context.Context, accountID int64) ([]AuthCodeJSON, error) {
	cs, err := s.Store.AuthCodesOf(ctx, accountID)
	if err != nil {
		return nil, err
	}
	out := make([]AuthCodeJSON, 0, len(cs))
	for _, c := range cs {
		out = append(out, s.authCodeJSON(c))
	}
	return out, nil
}

// IssueAuthCodeFor issues a code for one of the customer's eligible
// resources as POST /api/v1/auth-codes does (Rule ACC-3): zero days or
// uses take Options.AuthCodeTTL and Options.AuthCodeUses; another
// account's resource is not found, an ineligible one is invalid (Rule ACC-2).
func (s *Service) IssueAuthCodeFor(ctx context.Context, p identity.Principal, in AuthCodeInput) (AuthCodeJSON, error) {
	ttl := s.Options.AuthCodeTTL
	if in.ValidForDays != 0 {
		ttl = time.Duration(in.ValidForDays) * 24 * time.Hour
	}
	uses := s.Options.AuthCodeUses
	if in.UseLimit != 0 {
		uses = in.UseLimit
	}
	c, err := s.Store.IssueAuthCode(ctx, p.AccountID, in.ResourceID, s.now().Add(ttl), uses, s.Options.MinTermMonths, p.Actor())
	if err != nil {
		return AuthCodeJSON{}, err
	}
	return s.authCodeJSON(c), nil
}

// RevokeAuthCodeOf revokes the customer's code while unused, as DELETE
// /api/v1/auth-codes/{code} does (Rule ACC-3): another account's code is
// not found, a used one invalid_state (authcode.used).
func (s *Service) RevokeAuthCodeOf(ctx context.Context, p identity.Principal, code string) error {
	return s.Store.RevokeAuthCode(ctx, p.AccountID, code, p.Actor())
}
