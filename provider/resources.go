package provider

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/beian/beian"
	"github.com/beian/beian/i18n"
	"github.com/beian/beian/identity"
	"github.com/beian/beian/sqlstore/providerdb"
	"github.com/beian/beian/web"
)

// ResourceJSON is a cloud resource as the API shows it (Rule ACC-2): its
// fields, whether it can carry a filing now with the reasons when not, and
// the NOTE-1 warning when its term ends within the warning window.
type ResourceJSON struct {
	ID          int64         `json:"id"`
	AccountID   int64         `json:"account_id"`
	ExternalID  string        `json:"external_id"`
	Billing     beian.Billing `json:"billing"`
	Mainland    bool          `json:"mainland"`
	PublicIPs   []string      `json:"public_ips"`
	TermStart   time.Time     `json:"term_start"`
	TermEnd     time.Time     `json:"term_end"`
	Active      bool          `json:"active"`
	Eligible    bool          `json:"eligible"`
	Ineligible  []MessageJSON `json:"ineligible"`
	TermWarning *TermWarnJSON `json:"term_warning,omitempty"`
	CreatedAt   time.Time     `json:"created_at"`
}

// MessageJSON is a rendered problem or reason: code, rule and the message
// in the caller's language.
type MessageJSON struct {
	Code    string `json:"code"`
	Rule    string `json:"rule,omitempty"`
	Field   string `json:"field,omitempty"`
	Message string `json:"message"`
}

// TermWarnJSON warns that a resource's term ends soon (Rule NOTE-1).
type TermWarnJSON struct {
	DaysLeft int    `json:"days_left"`
	Message  string `json:"message"`
}

// ResourceInput is the body of POST /api/v1/resources (provider_admin).
type ResourceInput struct {
	AccountID  int64         `json:"account_id"`
	ExternalID string        `json:"external_id"`
	Billing    beian.Billing `json:"billing"`
	Mainland   bool          `json:"mainland"`
	PublicIPs  []string      `json:"public_ips"`
	TermStart  TermDate      `json:"term_start"`
	TermEnd    TermDate      `json:"term_end"`
	Active     *bool         `json:"active,omitempty"` // default true
}

// TermDate is an instant given either as RFC 3339 or as a calendar date
// "YYYY-MM-DD", read as midnight China Standard Time (Rule CAL-0).
type TermDate struct{ time.Time }

// UnmarshalJSON reads an RFC 3339 time or a date.
func (d *TermDate) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	t, ok := parseDate(s)
	if !ok {
		return errors.New("date: want RFC 3339 or YYYY-MM-DD")
	}
	d.Time = t
	return nil
}

// parseDate reads RFC 3339 or YYYY-MM-DD (midnight CST); "" is the zero time.
func parseDate(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, true
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, true
	}
	if t, err := time.ParseInLocation(time.DateOnly, s, beian.CST); err == nil {
		return t, true
	}
	return time.Time{}, false
}

// ResourceRoutes registers the resource routes (Rule ACC-2):
//
//	GET  /api/v1/resources            customer: own; provider_admin: ?account=ID
//	POST /api/v1/resources            provider_admin: register a server → 201
//	POST /api/v1/resources/import     provider_admin: the billing system's CSV (docs/resources-import.md)
func (s *Service) ResourceRoutes(mux *http.ServeMux) {
	admin := identity.RequireRole(beian.RoleProviderAdmin)
	mux.Handle("GET /api/v1/resources", identity.RequireRole(beian.RoleCustomer, beian.RoleProviderAdmin)(web.Handle(s.listResources)))
	mux.Handle("POST /api/v1/resources", admin(web.Handle(s.createResource)))
	mux.Handle("POST /api/v1/resources/import", admin(web.Handle(s.importResources)))
}

func (s *Service) listResources(w http.ResponseWriter, r *http.Request) error {
	p, err := caller(r)
	if err != nil {
		return err
	}
	account := p.AccountID
	if p.Role == beian.RoleProviderAdmin {
		account, err = strconv.ParseInt(r.URL.Query().Get("account"), 10, 64)
		if err != nil || account <= 0 {
			return &beian.Error{Kind: beian.KindBadRequest, Code: "resource.account_param",
				Problems: beian.Problems{beian.NewProblem("resource.account_param", "", "account")}}
		}
	}
	rs, err := s.Store.ResourcesOf(r.Context(), account)
	if err != nil {
		return err
	}
	items := make([]ResourceJSON, 0, len(rs))
	for _, res := range rs {
		items = append(items, s.resourceJSON(web.Lang(r), res))
	}
	return web.WriteJSON(w, http.StatusOK, map[string]any{"items": items})
}

func (s *Service) createResource(w http.ResponseWriter, r *http.Request) error {
	p, err := caller(r)
	if err != nil {
		return err
	}
	var in ResourceInput
	if err := web.DecodeJSON(r, &in); err != nil {
		return err
	}
	res := beian.Resource{AccountID: in.AccountID, ExternalID: strings.TrimSpace(in.ExternalID), Billing: in.Billing,
		Mainland: in.Mainland, PublicIPs: in.PublicIPs, TermStart: in.TermStart.Time, TermEnd: in.TermEnd.Time, Active: true}
	if in.Active != nil {
		res.Active = *in.Active
	}
	if err := s.checkCustomerAccount(r.Context(), res.AccountID); err != nil {
		return err
	}
	out, err := s.Store.CreateResource(r.Context(), res, p.Actor())
	if err != nil {
		return err
	}
	if err := s.EnsureTermSweep(r.Context()); err != nil {
		return err
	}
	return web.WriteJSON(w, http.StatusCreated, s.resourceJSON(web.Lang(r), out))
}

// checkCustomerAccount refuses a resource for an account that is not a
// customer's (resource.account_unknown: staff do not hold servers).
func (s *Service) checkCustomerAccount(ctx context.Context, id int64) error {
	a, err := s.Store.Account(ctx, id)
	if beian.IsKind(err, beian.KindNotFound) || (err == nil && a.Role != beian.RoleCustomer) {
		return beian.Problems{beian.NewProblem("resource.account_unknown", "", "account_id")}.Err()
	}
	return err
}

// resourceJSON renders a resource with its eligibility now (Rule ACC-2)
// and its term warning (Rule NOTE-1).
func (s *Service) resourceJSON(lang i18n.Lang, res beian.Resource) ResourceJSON {
	now := s.now()
	out := ResourceJSON{ID: res.ID, AccountID: res.AccountID, ExternalID: res.ExternalID, Billing: res.Billing,
		Mainland: res.Mainland, PublicIPs: res.PublicIPs, TermStart: res.TermStart.In(beian.CST), TermEnd: res.TermEnd.In(beian.CST),
		Active: res.Active, CreatedAt: res.CreatedAt.In(beian.CST)}
	ps := providerdb.Eligibility(res, now, s.Options.MinTermMonths)
	out.Eligible = len(ps) == 0
	out.Ineligible = renderProblems(lang, ps, true)
	if days, ok := s.termEndsSoon(res, now); ok {
		out.TermWarning = &TermWarnJSON{DaysLeft: days, Message: i18n.Default().Message(lang, "resource.term_ending",
			map[string]string{"days": strconv.Itoa(days), "date": res.TermEnd.In(beian.CST).Format(time.DateOnly)})}
	}
	return out
}

// termEndsSoon reports whether an active resource's term ends after now and
// within Options.TermWarningDays, with the whole days left (Rule NOTE-1).
func (s *Service) termEndsSoon(res beian.Resource, now time.Time) (int, bool) {
	window := time.Duration(s.Options.TermWarningDays) * 24 * time.Hour
	if !res.Active || !res.TermEnd.After(now) || res.TermEnd.After(now.Add(window)) {
		return 0, false
	}
	return int(res.TermEnd.Sub(now) / (24 * time.Hour)), true
}

// renderProblems renders problems in the language; dropField drops the
// field paths (they name the store's input, not the caller's).
func renderProblems(lang i18n.Lang, ps beian.Problems, dropField bool) []MessageJSON {
	out := make([]MessageJSON, 0, len(ps))
	for _, p := range ps {
		m := MessageJSON{Code: p.Code, Rule: p.Rule, Field: p.Field, Message: i18n.Default().Message(lang, p.Code, p.Args)}
		if dropField {
			m.Field = ""
		}
		out = append(out, m)
	}
	return out
}
