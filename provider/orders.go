package provider

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/beian/beian"
	"github.com/beian/beian/i18n"
	"github.com/beian/beian/identity"
	"github.com/beian/beian/web"
	"github.com/beian/beian/workflow"
)

// The customer's actions on an order, as OrderJSON.Actions lists them (Rule REV-7).
const (
	ActionEdit     = "edit"     // PATCH the form (If-Match)
	ActionUpload   = "upload"   // POST a document
	ActionSubmit   = "submit"   // submit or resubmit
	ActionWithdraw = "withdraw" // back to draft
	ActionAbandon  = "abandon"  // final
)

// EffectCancelsSubject is the effect of a cancel_website order that removes
// every website of its subject: it is a subject cancellation (Rule CAN-4).
const EffectCancelsSubject = "cancels_subject"

// OrderJSON is an order as the API shows it: its number and stage (Rule
// REV-7, NUM-2), its form without the filing password (Rule PWD-2), the
// fields flagged by the last rejection with that round's items (Rules
// REV-3, REV-5), what the customer may do next, and what the provider
// derived from it (changed fields, reviewer flags, a cancellation's effect,
// warnings). Its Version is the ETag of GET and the If-Match of PATCH.
type OrderJSON struct {
	ID          int64              `json:"id"`
	Number      string             `json:"number"`
	Type        beian.OrderType    `json:"type"`
	Stage       beian.Stage        `json:"stage"`
	Commercial  bool               `json:"commercial"`
	Data        json.RawMessage    `json:"data"`
	PasswordSet bool               `json:"password_set"`
	Flagged     []string           `json:"flagged"`
	ReviewRound int                `json:"review_round"`
	ReviewItems []beian.ReviewItem `json:"review_items"`
	Actions     []string           `json:"actions"`
	Changed     []string           `json:"changed"`
	ReviewFlags []MessageJSON      `json:"review_flags"`
	Effect      string             `json:"effect,omitempty"`
	Warnings    []MessageJSON      `json:"warnings"`
	Documents   []DocumentJSON     `json:"documents"`
	Version     int64              `json:"version"`
	CreatedAt   time.Time          `json:"created_at"`
	UpdatedAt   time.Time          `json:"updated_at"`
	SubmittedAt *time.Time         `json:"submitted_at,omitempty"`
	StageAt     time.Time          `json:"stage_at"`
}

// OrderSummary is one order of a list.
type OrderSummary struct {
	ID         int64           `json:"id"`
	Number     string          `json:"number"`
	Type       beian.OrderType `json:"type"`
	Stage      beian.Stage     `json:"stage"`
	Commercial bool            `json:"commercial"`
	Version    int64           `json:"version"`
	CreatedAt  time.Time       `json:"created_at"`
	StageAt    time.Time       `json:"stage_at"`
}

// OrderPage is a page of the account's orders, newest first; Next is the
// cursor of the following page ("" at the end).
type OrderPage struct {
	Items []OrderSummary `json:"items"`
	Next  string         `json:"next"`
}

// staffRoles are the provider roles that may read any order (Rule PRIV-1).
var staffRoles = []beian.Role{beian.RoleProviderReviewer, beian.RoleVerifier, beian.RoleProviderAdmin}

// OrderRoutes registers the customer's order API of API.md:
//
//	GET   /api/v1/orders?cursor=&limit=           → 200 OrderPage (customer)
//	POST  /api/v1/orders {type, commercial, data} → 201 OrderJSON + ETag (customer)
//	GET   /api/v1/orders/{id}                     → 200 OrderJSON + ETag (customer own, staff any)
//	PATCH /api/v1/orders/{id} {data} + If-Match  → 200 OrderJSON (JSON merge of data)
//	POST  /api/v1/orders/{id}/submit|withdraw|abandon → 200 OrderJSON
//	GET   /api/v1/orders/{id}/preview             → 200 OrderJSON
//	POST  /api/v1/orders/{id}/documents           → 201 DocumentJSON (multipart or raw, ?kind=)
//	GET   /api/v1/orders/{id}/documents/{doc}     → 200 the content (customer own; staff audited)
//	GET   /api/v1/orders/{id}/timeline            → 200 TimelineJSON
//
// {id} is the order's ID or its number. Another account's order is 404.
func (s *Service) OrderRoutes(mux *http.ServeMux) {
	cust := identity.RequireRole(beian.RoleCustomer)
	any := identity.RequireRole(append([]beian.Role{beian.RoleCustomer}, staffRoles...)...)
	mux.Handle("GET /api/v1/orders", cust(web.Handle(s.handleListOrders)))
	mux.Handle("POST /api/v1/orders", cust(web.Handle(s.handleCreateOrder)))
	mux.Handle("GET /api/v1/orders/{id}", any(web.Handle(s.handleGetOrder)))
	mux.Handle("PATCH /api/v1/orders/{id}", cust(web.Handle(s.handlePatchOrder)))
	mux.Handle("POST /api/v1/orders/{id}/submit", cust(web.Handle(s.handleSubmitOrder)))
	mux.Handle("POST /api/v1/orders/{id}/withdraw", cust(web.Handle(s.moveHandler(workflow.Withdraw))))
	mux.Handle("POST /api/v1/orders/{id}/abandon", cust(web.Handle(s.moveHandler(workflow.Abandon))))
	mux.Handle("GET /api/v1/orders/{id}/preview", any(web.Handle(s.handlePreview)))
	mux.Handle("POST /api/v1/orders/{id}/documents", cust(web.LimitBody(s.documentLimit()+64<<10)(web.Handle(s.handleUploadDocument))))
	mux.Handle("GET /api/v1/orders/{id}/documents/{doc}", any(web.Handle(s.handleGetDocument)))
	mux.Handle("GET /api/v1/orders/{id}/timeline", any(web.Handle(s.handleTimeline)))
}

// orderOf returns the order named by the request's {id} (ID or number) as
// the caller may see it: a customer only their own (else not found), staff
// any.
func (s *Service) orderOf(r *http.Request) (beian.Order, identity.Principal, error) {
	p, err := caller(r)
	if err != nil {
		return beian.Order{}, p, err
	}
	ref := strings.TrimSpace(r.PathValue("id"))
	var o beian.Order
	if id, perr := strconv.ParseInt(ref, 10, 64); perr == nil && id > 0 {
		o, err = s.Store.Order(r.Context(), id)
	} else if strings.HasPrefix(ref, "BA") {
		o, err = s.Store.OrderByNumber(r.Context(), ref)
	} else {
		err = beian.Errorf(beian.KindNotFound, "")
	}
	if err != nil {
		return o, p, err
	}
	if p.Role == beian.RoleCustomer && o.AccountID != p.AccountID {
		return beian.Order{}, p, beian.Errorf(beian.KindNotFound, "") // the tenant rule: 404, not 403
	}
	return o, p, nil
}

func (s *Service) handleListOrders(w http.ResponseWriter, r *http.Request) error {
	p, err := caller(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	limit, before := 50, int64(0)
	if v := q.Get("limit"); v != "" {
		if limit, err = strconv.Atoi(v); err != nil || limit < 1 || limit > 200 {
			return beian.Errorf(beian.KindBadRequest, "order.page_invalid")
		}
	}
	if v := q.Get("cursor"); v != "" {
		if before, err = strconv.ParseInt(v, 10, 64); err != nil || before < 1 {
			return beian.Errorf(beian.KindBadRequest, "order.page_invalid")
		}
	}
	os, err := s.Store.OrdersPage(r.Context(), p.AccountID, before, limit+1)
	if err != nil {
		return err
	}
	page := OrderPage{Items: []OrderSummary{}}
	for i, o := range os {
		if i == limit {
			page.Next = strconv.FormatInt(os[i-1].ID, 10)
			break
		}
		page.Items = append(page.Items, OrderSummary{ID: o.ID, Number: o.Number, Type: o.Type, Stage: o.Stage,
			Commercial: o.Commercial, Version: o.Version, CreatedAt: o.CreatedAt, StageAt: o.StageAt})
	}
	return web.WriteJSON(w, http.StatusOK, page)
}

func (s *Service) handleGetOrder(w http.ResponseWriter, r *http.Request) error {
	o, _, err := s.orderOf(r)
	if err != nil {
		return err
	}
	return s.writeOrder(w, r, http.StatusOK, o)
}

// writeOrder answers the order as OrderJSON with its ETag.
func (s *Service) writeOrder(w http.ResponseWriter, r *http.Request, status int, o beian.Order) error {
	out, err := s.orderJSON(r.Context(), web.Lang(r), o)
	if err != nil {
		return err
	}
	web.SetETag(w, o.Version)
	w.Header().Set("Cache-Control", "no-store")
	return web.WriteJSON(w, status, out)
}

// orderJSON builds the API view of an order.
func (s *Service) orderJSON(ctx context.Context, lang i18n.Lang, o beian.Order) (OrderJSON, error) {
	data, pwSet := withoutPassword(o.Data)
	out := OrderJSON{ID: o.ID, Number: o.Number, Type: o.Type, Stage: o.Stage, Commercial: o.Commercial, Data: data,
		PasswordSet: pwSet, Flagged: o.Flagged, Version: o.Version, CreatedAt: o.CreatedAt, UpdatedAt: o.UpdatedAt, StageAt: o.StageAt}
	if out.Flagged == nil {
		out.Flagged = []string{}
	}
	if !o.SubmittedAt.IsZero() {
		t := o.SubmittedAt
		out.SubmittedAt = &t
	}
	var err error
	if out.ReviewItems, out.ReviewRound, err = s.Store.ReviewItems(ctx, o.ID, 0); err != nil {
		return out, err
	}
	out.Actions = s.orderActions(o)
	ins, err := s.insight(ctx, o)
	if err != nil {
		return out, err
	}
	out.Changed, out.Effect = ins.changed, ins.effect
	out.ReviewFlags = renderProblems(lang, ins.flags, false)
	out.Warnings = renderProblems(lang, ins.warnings, false)
	docs, err := s.Store.Documents(ctx, o.ID)
	if err != nil {
		return out, err
	}
	out.Documents = make([]DocumentJSON, 0, len(docs))
	for _, d := range docs {
		out.Documents = append(out.Documents, documentJSON(d))
	}
	return out, nil
}

// withoutPassword returns the form without its filing password (Rule
// PWD-2: never in an answer) and whether one is set.
func withoutPassword(data json.RawMessage) (json.RawMessage, bool) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(data, &m); err != nil || m == nil {
		return json.RawMessage(`{}`), false
	}
	pw, ok := m["password"]
	set := ok && !bytes.Equal(bytes.TrimSpace(pw), []byte(`""`)) && !bytes.Equal(bytes.TrimSpace(pw), []byte(`null`))
	delete(m, "password")
	b, _ := json.Marshal(m)
	return b, set
}

// orderActions lists what the customer may do with the order now (Rules
// REV-3, REV-7, CAN-6), asking the state machine.
func (s *Service) orderActions(o beian.Order) []string {
	out := []string{}
	wo := workflow.Order{Type: o.Type}
	if editableStage(o) {
		out = append(out, ActionEdit)
	}
	if documentsEditable(o, "") {
		out = append(out, ActionUpload)
	}
	if _, err := workflow.Next(wo, o.Stage, submitEvent(o.Stage), workflow.Customer); err == nil {
		out = append(out, ActionSubmit)
	} else if o.Stage == beian.StageReturned {
		out = append(out, ActionSubmit) // VER-3: edited or not, the returned order goes on
	}
	for _, ev := range []workflow.Event{workflow.Withdraw, workflow.Abandon} {
		if _, err := workflow.Next(wo, o.Stage, ev, workflow.Customer); err == nil {
			out = append(out, string(ev))
		}
	}
	return out
}

// editableStage reports whether some field of the order may be edited now.
func editableStage(o beian.Order) bool {
	switch o.Stage {
	case beian.StageDraft, beian.StageReturned, beian.StageSupplementRequested:
		return true
	case beian.StageNeedsFix, beian.StageBureauRejected:
		return len(o.Flagged) > 0
	}
	return false
}

// submitEvent is the customer's event that sends the order on from its
// stage (Rule REV-8).
func submitEvent(st beian.Stage) workflow.Event {
	switch st {
	case beian.StageNeedsFix, beian.StageBureauRejected, beian.StageReturned:
		return workflow.Resubmit
	case beian.StageSupplementRequested:
		return workflow.ProvideSupplement
	}
	return workflow.Submit
}

// orderData decodes an order's form.
func orderData(raw json.RawMessage) (beian.OrderData, error) {
	var d beian.OrderData
	if len(bytes.TrimSpace(raw)) == 0 {
		return d, nil
	}
	if err := json.Unmarshal(raw, &d); err != nil {
		return d, &beian.Error{Kind: beian.KindBadRequest, Code: "order.data_invalid", Err: err}
	}
	return d, nil
}
