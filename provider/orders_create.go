package provider

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/beian/beian"
	"github.com/beian/beian/identity"
	"github.com/beian/beian/sqlstore/providerdb"
	"github.com/beian/beian/web"
)

// OrderInput is the body of POST /api/v1/orders: the order type (API.md
// enumeration, Rule TYPE-1), whether it is a commercial filing (Rule
// TYPE-2), and the form (beian.OrderData). A change order created with an
// empty form starts from the filed data.
type OrderInput struct {
	Type       beian.OrderType `json:"type"`
	Commercial bool            `json:"commercial"`
	Data       json.RawMessage `json:"data"`
}

func (s *Service) handleCreateOrder(w http.ResponseWriter, r *http.Request) error {
	p, err := caller(r)
	if err != nil {
		return err
	}
	var in OrderInput
	if err := web.DecodeJSON(r, &in); err != nil {
		return err
	}
	o, err := s.CreateOrder(r.Context(), p, in, r.Header.Get("Idempotency-Key"))
	if err != nil {
		return err
	}
	return s.writeOrder(w, r, http.StatusCreated, o)
}

// CreateOrder creates a draft order of any type for the customer p (Rule
// TYPE-1). It refuses: an unknown type; a form over Options.MaxWebsites
// websites (Rule WEB-0); a first filing or transfer-in without the
// subject's certificate; a first filing for a subject already filed here
// (use new_website); a new website, change or cancellation while the
// account has no subject filed here (order.subject_not_filed) or for
// another subject (Rule ACC-1); a transfer-in whose number and password
// the registry does not confirm (Rules OTH-1, PWD-2). The store refuses a
// second subject for the account (Rule ACC-1) and a second order in
// flight for the subject (Rule ACC-4). key makes the create idempotent.
func (s *Service) CreateOrder(ctx context.Context, p identity.Principal, in OrderInput, key string) (beian.Order, error) {
	if !slices.Contains(beian.OrderTypes, in.Type) {
		return beian.Order{}, problem("order.type_unknown", "TYPE-1", "type")
	}
	data, err := strictData(in.Data)
	if err != nil {
		return beian.Order{}, err
	}
	if err := s.checkWebsiteCount(data); err != nil {
		return beian.Order{}, err
	}
	sub, err := s.Store.AccountSubject(ctx, p.AccountID)
	hasSub := err == nil
	if err != nil && !beian.IsKind(err, beian.KindNotFound) {
		return beian.Order{}, err
	}
	filed := hasSub && sub.Status == beian.SubjectActive && sub.Number != ""
	no := providerdb.NewOrder{AccountID: p.AccountID, Type: in.Type, Commercial: in.Commercial, Key: strings.TrimSpace(key), Actor: p.Actor()}
	switch {
	case onFiledSubject(in.Type):
		if !filed {
			return beian.Order{}, problem("order.subject_not_filed", "TYPE-1", "type")
		}
		if c := data.Subject.CertNumber; c != "" && beian.SubjectKey(data.Subject.CertType, c) != sub.Key() {
			return beian.Order{}, &beian.Error{Kind: beian.KindConflict, Code: "acc.one_subject",
				Problems: beian.Problems{beian.NewProblem("acc.one_subject", "ACC-1", "subject.cert_number")}}
		}
		no.Nature, no.Name, no.Province, no.CertType, no.CertNumber = sub.Nature, sub.Name, sub.Province, sub.CertType, sub.CertNumber
		if isChangeType(in.Type) {
			base, err := s.lastApprovedData(ctx, beian.Order{SubjectID: sub.ID})
			if err != nil {
				return beian.Order{}, err
			}
			if base != nil && data.Subject.Name == "" && len(data.Websites) == 0 {
				filedForm, err := strictData(base) // the change starts from the filed data (Rule OTH-2)
				if err == nil {
					filedForm.Password, filedForm.Cancel, filedForm.Confirm, filedForm.Transfer = data.Password, data.Cancel, data.Confirm, data.Transfer
					data = filedForm
				}
			}
			// The baseline is the filed data (Rule OTH-2); without an
			// approved order here, the form as the change starts.
			if no.Baseline = base; base == nil {
				if no.Baseline, err = json.Marshal(data); err != nil {
					return beian.Order{}, err
				}
			}
		}
		if data.Subject.Number == "" {
			data.Subject.Number = sub.Number
		}
	default: // first_filing, transfer_in: the subject comes from the form
		if in.Type == beian.FirstFiling && filed {
			return beian.Order{}, problem("order.subject_filed", "TYPE-1", "type")
		}
		var ps beian.Problems
		if strings.TrimSpace(data.Subject.CertType) == "" {
			ps.Add("order.subject_required", "TYPE-1", "subject.cert_type")
		}
		if strings.TrimSpace(data.Subject.CertNumber) == "" {
			ps.Add("order.subject_required", "TYPE-1", "subject.cert_number")
		}
		if err := ps.Err(); err != nil {
			return beian.Order{}, err
		}
		sd := data.Subject
		no.Nature, no.Name, no.Province, no.CertType, no.CertNumber = sd.Nature, sd.Name, sd.Province, sd.CertType, sd.CertNumber
		if in.Type == beian.TransferIn && data.Transfer != "" && data.Password != "" {
			if _, err := s.Connector.CheckTransferIn(ctx, data.Transfer, data.Password); err != nil { // Rules OTH-1, PWD-2
				return beian.Order{}, err
			}
		}
	}
	if no.Data, err = json.Marshal(data); err != nil {
		return beian.Order{}, err
	}
	return s.Store.CreateOrder(ctx, no)
}

// strictData decodes a form, refusing unknown fields (bad_request).
func strictData(raw json.RawMessage) (beian.OrderData, error) {
	var d beian.OrderData
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return d, nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&d); err != nil {
		return d, &beian.Error{Kind: beian.KindBadRequest, Code: "order.data_invalid", Err: err}
	}
	return d, nil
}

// checkWebsiteCount refuses a form over the websites an order may carry
// (Rule WEB-0); the lower bound is checked at submit.
func (s *Service) checkWebsiteCount(d beian.OrderData) error {
	if max := s.Options.MaxWebsites; max > 0 && len(d.Websites) > max {
		return problem("check.websites_too_many", "WEB-0", "websites", "max", strconv.Itoa(max))
	}
	return nil
}

// problem is an invalid error with one problem.
func problem(code, rule, field string, args ...string) error {
	return &beian.Error{Kind: beian.KindInvalid, Problems: beian.Problems{beian.NewProblem(code, rule, field, args...)}}
}
