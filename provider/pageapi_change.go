package provider

import (
	"context"
	"encoding/json"
	"strings"

	"github.com/beian/beian"
	"github.com/beian/beian/identity"
	"github.com/beian/beian/sqlstore"
)

// The Go API of the console's change, transfer-in and cancellation pages
// (web/page console_change*.go), for a caller that already knows the
// customer.

// CustomerWebsite returns the website with the number of the account's
// subject (Rule ACC-1); a website of another account, like a missing one,
// is not_found (the tenant rule).
func (s *Service) CustomerWebsite(ctx context.Context, accountID int64, number string) (w beian.Website, err error) {
	defer beian.Wrap(&err, "website of account")
	number = strings.TrimSpace(number)
	sub, ok, err := s.accountSubject(ctx, accountID)
	if err != nil {
		return w, err
	}
	if !ok || number == "" {
		return w, beian.Errorf(beian.KindNotFound, "")
	}
	err = s.DB.ReadTx(ctx, func(tx *sqlstore.Tx) error {
		w, err = s.Store.WebsiteByNumber(ctx, tx, sub.ID, number)
		return err
	})
	return w, err
}

// CustomerWebsites returns the websites of the account's subject, oldest
// first (none without a subject).
func (s *Service) CustomerWebsites(ctx context.Context, accountID int64) ([]beian.Website, error) {
	sub, ok, err := s.accountSubject(ctx, accountID)
	if err != nil || !ok {
		return nil, err
	}
	return s.subjectWebsites(ctx, sub.ID)
}

// CustomerSubject returns the account's subject that is not cancelled
// (Rule ACC-1), not_found when it has none.
func (s *Service) CustomerSubject(ctx context.Context, accountID int64) (beian.Subject, error) {
	sub, ok, err := s.accountSubject(ctx, accountID)
	if err == nil && !ok {
		err = beian.Errorf(beian.KindNotFound, "")
	}
	return sub, err
}

// CancelEffect tells what cancelling the websites with the numbers of the
// account's subject does: EffectCancelsSubject when they are every active
// website of the subject, so that the cancellation is a subject
// cancellation (Rule CAN-4), "" otherwise. The registry's record decides,
// as at submit.
func (s *Service) CancelEffect(ctx context.Context, accountID int64, numbers []string) (string, error) {
	sub, ok, err := s.accountSubject(ctx, accountID)
	if err != nil || !ok {
		return "", err
	}
	return s.cancelEffect(ctx, beian.Order{AccountID: accountID, SubjectID: sub.ID},
		beian.OrderData{Cancel: numbers, Subject: beian.SubjectForm{Number: sub.Number}})
}

// CheckFilingPassword asks the registry whether the password is the
// filing password of the subject the number names (Rule PWD-2), before an
// irreversible step is created on it. Any mismatch is the registry's one
// invalid answer (registry.transfer_check_failed at "password"); attempts
// count against the number's limit (rate_limited over it).
func (s *Service) CheckFilingPassword(ctx context.Context, number, password string) error {
	_, err := s.Connector.CheckTransferIn(ctx, number, password)
	return err
}

// SetTransfer puts the filed number a transfer-in moves here and the
// subject's filing password into the customer's transfer_in order at the
// version read (Rules OTH-1, PWD-2), after the registry confirmed them
// (CheckTransferIn: a mismatch is registry.transfer_check_failed, attempts
// rate-limited). An empty number or password is an invalid problem at its
// field; an order of another type is not_found; a stage where they are
// locked is order.field_locked (Rule REV-3). The password stays in the
// form only until submission and is never returned.
func (s *Service) SetTransfer(ctx context.Context, p identity.Principal, o beian.Order, version int64, number, password string) (beian.Order, error) {
	if o.Type != beian.TransferIn {
		return o, beian.Errorf(beian.KindNotFound, "")
	}
	number = strings.TrimSpace(number)
	var ps beian.Problems
	if number == "" {
		ps.Add("order.transfer_required", "OTH-1", "transfer")
	}
	if password == "" {
		ps.Add("order.password_required", "PWD-2", "password")
	}
	if err := ps.Err(); err != nil {
		return o, err
	}
	if _, err := s.Connector.CheckTransferIn(ctx, number, password); err != nil {
		return o, err
	}
	patch, err := json.Marshal(map[string]string{"transfer": number, "password": password})
	if err != nil {
		return o, err
	}
	return s.EditOrder(ctx, p, o, version, patch)
}

// TransferState reports what a transfer_in order holds of what the
// transfer needs (Rules OTH-1, PWD-2): its filed number ("" when not set)
// and whether a password is set (the password itself is never returned).
func TransferState(o beian.Order) (number string, hasPassword bool) {
	d, err := orderData(o.Data)
	if err != nil {
		return "", false
	}
	return d.Transfer, d.Password != ""
}
