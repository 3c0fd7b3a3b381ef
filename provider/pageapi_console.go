package provider

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/beian/beian"
	"github.com/beian/beian/i18n"
	"github.com/beian/beian/identity"
	"github.com/beian/beian/sqlstore"
	"github.com/beian/beian/sqlstore/providerdb"
	"github.com/beian/beian/workflow"
)

// The Go API of the customer console's pages (web/page console_*.go): the
// same operations as the order routes of OrderRoutes, for a caller that
// already knows the customer.

// CustomerOrder returns the account's order named by ref, its ID or its
// number; another account's order, like a missing one, is not_found (the
// tenant rule).
func (s *Service) CustomerOrder(ctx context.Context, accountID int64, ref string) (beian.Order, error) {
	ref = strings.TrimSpace(ref)
	var o beian.Order
	var err error
	if id, perr := strconv.ParseInt(ref, 10, 64); perr == nil && id > 0 {
		o, err = s.Store.Order(ctx, id)
	} else if strings.HasPrefix(ref, "BA") {
		o, err = s.Store.OrderByNumber(ctx, ref)
	} else {
		err = beian.Errorf(beian.KindNotFound, "")
	}
	if err != nil {
		return beian.Order{}, err
	}
	if o.AccountID != accountID {
		return beian.Order{}, beian.Errorf(beian.KindNotFound, "")
	}
	return o, nil
}

// OrderView is the order as GET /api/v1/orders/{id} shows it, in lang:
// the form without the password, the flagged fields with the last round's
// review items (Rules REV-3, REV-5), the customer's actions (Rule REV-7),
// the derived effect and warnings, and the documents.
func (s *Service) OrderView(ctx context.Context, lang i18n.Lang, o beian.Order) (OrderJSON, error) {
	return s.orderJSON(ctx, lang, o)
}

// OrderProblems returns every problem a submit of the order would report
// now (the preview's problems, Rule REV-7), nothing when its stage is not
// editable; and the stages its path passes.
func (s *Service) OrderProblems(ctx context.Context, o beian.Order) (beian.Problems, []beian.Stage, error) {
	in, err := s.insight(ctx, o)
	if err != nil {
		return nil, nil, err
	}
	path := workflow.Path(workflow.Order{Type: o.Type, NewResponsiblePerson: in.newPerson})
	if o.Stage != beian.StageDraft && !editableStage(o) {
		return nil, path, nil
	}
	data, err := orderData(o.Data)
	if err != nil {
		return nil, path, err
	}
	ps, _, err := s.submitProblems(ctx, o, data, in)
	if err != nil {
		return nil, path, err
	}
	more, err := s.CheckData(ctx, o.AccountID, o.Type, o.Commercial, data)
	if err != nil {
		return nil, path, err
	}
	return append(ps, more...), path, nil
}

// WithdrawOrder takes the customer's order in initial review back to
// draft (Rule REV-7) at the version read; the state machine refuses it in
// any other stage and for a submitted cancel_* order (Rule CAN-6).
func (s *Service) WithdrawOrder(ctx context.Context, p identity.Principal, o beian.Order, version int64) (beian.Order, error) {
	return s.Store.Transition(ctx, providerdb.Move{OrderID: o.ID, Version: version, Event: workflow.Withdraw,
		By: workflow.Customer, Actor: p.Actor()})
}

// AbandonOrder ends the customer's order for good (放弃备案, Rule REV-7) in
// a stage the provider holds, arming the retention of its documents (Rule
// PRIV-1); refused at the registry and for a submitted cancel_* order
// (Rule CAN-6).
func (s *Service) AbandonOrder(ctx context.Context, p identity.Principal, o beian.Order, version int64) (beian.Order, error) {
	return s.Store.Transition(ctx, providerdb.Move{OrderID: o.ID, Version: version, Event: workflow.Abandon,
		By: workflow.Customer, Actor: p.Actor(),
		Effect: func(ctx context.Context, tx *sqlstore.Tx, before, after beian.Order) error {
			return s.armRetention(ctx, tx, after)
		}})
}

// UploadDocument stores a document of the kind for the customer's order,
// as POST /api/v1/orders/{id}/documents does: a kind of lower-case letters,
// digits and _; only while documents are editable (Rule REV-3); JPEG, PNG,
// WebP or PDF by content; at most the document limit (too_large).
func (s *Service) UploadDocument(ctx context.Context, p identity.Principal, o beian.Order, kind string, body io.Reader) (DocumentJSON, error) {
	if !documentKind.MatchString(kind) {
		return DocumentJSON{}, problem("order.document_kind_invalid", "PRIV-1", "kind")
	}
	if !documentsEditable(o, kind) {
		return DocumentJSON{}, beian.Errorf(beian.KindInvalidState, "order.documents_locked", "stage", string(o.Stage))
	}
	br := bufio.NewReaderSize(&capped{r: body, left: s.documentLimit()}, 512)
	head, _ := br.Peek(512)
	if len(head) == 0 {
		return DocumentJSON{}, problem("order.document_empty", "PRIV-1", "file")
	}
	ct, _, _ := strings.Cut(http.DetectContentType(head), ";")
	if !contains(documentTypes, ct) {
		return DocumentJSON{}, problem("order.document_type_invalid", "PRIV-1", "file")
	}
	ref, err := s.Blobs.Put(ctx, br)
	if err != nil {
		return DocumentJSON{}, tooLargeOr(err, err)
	}
	d, err := s.Store.AddDocument(ctx, providerdb.Document{OrderID: o.ID, Kind: kind, SHA256: ref.SHA256,
		ContentType: ct, Bytes: ref.Size, UploadedBy: p.AccountID}, p.Actor())
	if err != nil {
		return DocumentJSON{}, err
	}
	return documentJSON(d), nil
}

// PrecheckReasonArgs are the values the precheck's reason message names
// (its number, the providers holding the subject, the type).
func PrecheckReasonArgs(out PrecheckJSON) map[string]string { return reasonArgs(out) }
