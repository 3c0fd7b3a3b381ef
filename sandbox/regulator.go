package sandbox

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/beian/beian"
	"github.com/beian/beian/identity"
	"github.com/beian/beian/regulator"
	"github.com/beian/beian/web"
)

// regulatorRoutes registers the sandbox's regulator routes (API.md,
// "Sandbox surface"): the domain records, the seeded registry and the
// bureau policy on s.Registry, and the verification app on s.DB.
func (s *Surface) regulatorRoutes() {
	if s.Registry != nil {
		s.Handle("POST "+Prefix+"domains", s.postDomains)
		s.Handle("POST "+Prefix+"registry", s.postRegistry)
		s.Handle("GET "+Prefix+"bureau-policy", s.getPolicy)
		s.Handle("PUT "+Prefix+"bureau-policy", s.putPolicy)
	}
	s.Handle("POST "+Prefix+"app-verifications", s.postAppVerification)
}

// actor carries the caller into the registry's audit records.
func actor(r *http.Request) context.Context {
	if p, ok := identity.FromContext(r.Context()); ok {
		return regulator.WithActor(r.Context(), p.Actor())
	}
	return r.Context()
}

// oneOrMany is a body of one JSON object or a list of them, decoded as
// strictly as web.DecodeJSON decodes (unknown fields are refused).
type oneOrMany[T any] struct {
	items []T
	list  bool
}

// UnmarshalJSON decodes an object or an array of objects.
func (o *oneOrMany[T]) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if o.list = len(b) > 0 && b[0] == '['; o.list {
		return dec.Decode(&o.items)
	}
	var one T
	if err := dec.Decode(&one); err != nil {
		return err
	}
	o.items = []T{one}
	return nil
}

// fields turns the list fields "[0].x" of a single-object body into "x".
func (o *oneOrMany[T]) fields(err error) error {
	var e *beian.Error
	if o.list || !errors.As(err, &e) {
		return err
	}
	for i, p := range e.Problems {
		f := strings.TrimPrefix(p.Field, "[0]")
		e.Problems[i].Field = strings.TrimPrefix(f, ".")
	}
	return err
}

// postDomains creates or replaces domain registration records (Rule WEB-6):
// one object or a list, all or none → 200 {"domains":[ASCII…]}.
func (s *Surface) postDomains(w http.ResponseWriter, r *http.Request) error {
	var in oneOrMany[regulator.DomainRecordInput]
	if err := web.DecodeJSON(r, &in); err != nil {
		return err
	}
	domains, err := s.Registry.PutDomainRecords(actor(r), in.items)
	if err != nil {
		return in.fields(err)
	}
	return web.WriteJSON(w, http.StatusOK, map[string]any{"domains": domains})
}

// postRegistry seeds existing filings (one object or a list, all or none)
// → 200 {"filings":[{"subject_number","websites","skipped","password_set"}…]}.
func (s *Surface) postRegistry(w http.ResponseWriter, r *http.Request) error {
	var in oneOrMany[regulator.SeedFiling]
	if err := web.DecodeJSON(r, &in); err != nil {
		return err
	}
	out, err := s.Registry.Seed(actor(r), in.items)
	if err != nil {
		return in.fields(err)
	}
	return web.WriteJSON(w, http.StatusOK, map[string]any{"filings": out})
}

func (s *Surface) getPolicy(w http.ResponseWriter, r *http.Request) error {
	p, err := s.Registry.BureauPolicy(r.Context())
	if err != nil {
		return err
	}
	return web.WriteJSON(w, http.StatusOK, p)
}

// policyBody is the body of PUT bureau-policy: mode is required; an
// omitted reject_share or seed is 0.
type policyBody struct {
	Mode        *string  `json:"mode"`
	RejectShare *float64 `json:"reject_share"`
	Seed        *int64   `json:"seed"`
}

func (s *Surface) putPolicy(w http.ResponseWriter, r *http.Request) error {
	var b policyBody
	if err := web.DecodeJSON(r, &b); err != nil {
		return err
	}
	var p regulator.BureauPolicy
	if b.Mode != nil {
		p.Mode = *b.Mode
	}
	if b.RejectShare != nil {
		p.RejectShare = *b.RejectShare
	}
	if b.Seed != nil {
		p.Seed = *b.Seed
	}
	p, err := s.Registry.SetBureauPolicy(actor(r), p)
	if err != nil {
		return err
	}
	return web.WriteJSON(w, http.StatusOK, p)
}

// appVerificationBody is the body of POST app-verifications: the order and
// the person the app checked.
type appVerificationBody struct {
	OrderNumber string `json:"order_number"`
	AppPerson
}

// appVerificationAnswer is the picture verification code (Rule VER-2).
type appVerificationAnswer struct {
	OrderNumber string `json:"order_number"`
	Code        string `json:"code"`
	ExpiresAt   string `json:"expires_at"`
}

// postAppVerification plays the verification app → 201 with the code.
func (s *Surface) postAppVerification(w http.ResponseWriter, r *http.Request) error {
	var b appVerificationBody
	if err := web.DecodeJSON(r, &b); err != nil {
		return err
	}
	v := &AppVerifier{DB: s.DB}
	code, expires, err := v.Issue(r.Context(), b.OrderNumber, b.AppPerson)
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	return web.WriteJSON(w, http.StatusCreated, appVerificationAnswer{OrderNumber: strings.TrimSpace(b.OrderNumber), Code: code,
		ExpiresAt: expires.In(beian.CST).Format(time.RFC3339)})
}
