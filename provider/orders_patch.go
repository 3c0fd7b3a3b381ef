package provider

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"

	"github.com/beian/beian"
	"github.com/beian/beian/identity"
	"github.com/beian/beian/sqlstore"
	"github.com/beian/beian/web"
)

// OrderPatch is the body of PATCH /api/v1/orders/{id}: a JSON merge patch
// (RFC 7386) of the form — objects merge key by key, null removes a key,
// anything else (arrays included) replaces.
type OrderPatch struct {
	Data json.RawMessage `json:"data"`
}

func (s *Service) handlePatchOrder(w http.ResponseWriter, r *http.Request) error {
	o, p, err := s.orderOf(r)
	if err != nil {
		return err
	}
	version, err := web.IfMatch(r) // 428 without, 412 when stale (the store)
	if err != nil {
		return err
	}
	var in OrderPatch
	if err := web.DecodeJSON(r, &in); err != nil {
		return err
	}
	o, err = s.EditOrder(r.Context(), p, o, version, in.Data)
	if err != nil {
		return err
	}
	return s.writeOrder(w, r, http.StatusOK, o)
}

// EditOrder merges patch into the order's form at the version the customer
// read. Only the fields editable in the order's stage may change (Rule
// REV-3: after a rejection exactly the flagged ones; each other changed
// field is an order.field_locked problem). A form over the websites an
// order carries is refused (Rule WEB-0); so is a new subject certificate on
// an order other than a subject change (the order is bound to its subject,
// Rule ACC-1), and an organisation becoming a person (Rule OTH-2).
func (s *Service) EditOrder(ctx context.Context, p identity.Principal, o beian.Order, version int64, patch json.RawMessage) (beian.Order, error) {
	merged, err := mergePatch(o.Data, patch)
	if err != nil {
		return o, err
	}
	data, err := strictData(merged)
	if err != nil {
		return o, err
	}
	if err := s.checkWebsiteCount(data); err != nil {
		return o, err
	}
	var ps beian.Problems
	if isChangeType(o.Type) {
		ps = append(ps, s.natureProblems(ctx, o, data)...)
	}
	if err := ps.Err(); err != nil {
		return o, err
	}
	stored, err := json.Marshal(data)
	if err != nil {
		return o, err
	}
	// The order is bound to its subject (Rule ACC-1): a corrected
	// certificate rebinds a subject not filed yet; a change_subject order
	// changes the filed certificate instead (flagged, Rule OTH-2).
	var rebind func(ctx context.Context, tx *sqlstore.Tx, before, after beian.Order) error
	sd := data.Subject
	if o.Type != beian.ChangeSubject && sd.CertNumber != "" && beian.SubjectKey(sd.CertType, sd.CertNumber) != o.SubjectKey {
		rebind = func(ctx context.Context, tx *sqlstore.Tx, before, after beian.Order) error {
			return s.Store.RebindSubject(ctx, tx, o.ID, sd.Nature, sd.Name, sd.CertType, sd.CertNumber)
		}
	}
	return s.Store.UpdateOrderWith(ctx, o.ID, version, stored, p.Actor(), rebind)
}

// natureProblems refuses a change that turns an organisation into a person
// (Rule OTH-2).
func (s *Service) natureProblems(ctx context.Context, o beian.Order, data beian.OrderData) beian.Problems {
	f, err := s.Store.OrderFactsOf(ctx, o.ID)
	if err != nil || len(f.Baseline) == 0 {
		return nil
	}
	var base beian.OrderData
	if json.Unmarshal(f.Baseline, &base) != nil {
		return nil
	}
	if base.Subject.Nature != "" && base.Subject.Nature != "individual" && data.Subject.Nature == "individual" {
		return beian.Problems{beian.NewProblem("order.nature_to_person", "OTH-2", "subject.nature")}
	}
	return nil
}

// mergePatch applies a JSON merge patch (RFC 7386) to doc.
func mergePatch(doc, patch json.RawMessage) (json.RawMessage, error) {
	bad := func(err error) error {
		return &beian.Error{Kind: beian.KindBadRequest, Code: "order.data_invalid", Err: err}
	}
	var d, p any
	if len(bytes.TrimSpace(doc)) > 0 {
		if err := decodeNumbers(doc, &d); err != nil {
			return nil, bad(err)
		}
	}
	if len(bytes.TrimSpace(patch)) == 0 {
		return doc, nil
	}
	if err := decodeNumbers(patch, &p); err != nil {
		return nil, bad(err)
	}
	out, err := json.Marshal(merge(d, p))
	if err != nil {
		return nil, bad(err)
	}
	return out, nil
}

func decodeNumbers(b []byte, v *any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	return dec.Decode(v)
}

func merge(doc, patch any) any {
	pm, ok := patch.(map[string]any)
	if !ok {
		return patch
	}
	dm, ok := doc.(map[string]any)
	if !ok {
		dm = map[string]any{}
	}
	for k, v := range pm {
		if v == nil {
			delete(dm, k)
			continue
		}
		dm[k] = merge(dm[k], v)
	}
	return dm
}
