package provider

import (
	"bytes"
	"context"
	"encoding/json"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/beian/beian"
	"github.com/beian/beian/sqlstore"
	"github.com/beian/beian/sqlstore/providerdb"
	"github.com/beian/beian/web"
	"github.com/beian/beian/workflow"
)

// MailingAddress is where the provider mails its curtain (Rule VER-1).
// It is personal data: kept in the verification's detail, never logged.
type MailingAddress struct {
	Recipient string `json:"recipient"`
	Phone     string `json:"phone"`
	Address   string `json:"address"`
}

// VerificationRequest is the customer's choice of verification (Rules
// VER-1, VER-2; API.md methods): "point" (a verification point takes the
// photo), "curtain" (with the mailing address), "upload" (the photo, as
// base64 in JSON or as the request's image body), or "app" (the picture
// code).
type VerificationRequest struct {
	Method  string          `json:"method"`
	Address *MailingAddress `json:"address,omitempty"`
	Photo   []byte          `json:"photo,omitempty"`
	Code    string          `json:"code,omitempty"`
}

// VerificationAnswer is the answer of the verification routes.
type VerificationAnswer struct {
	Order        orderJSON `json:"order"`
	Method       string    `json:"method"`
	Status       string    `json:"status"`              // requested (waiting for the point or the mail) or submitted
	Shipping     string    `json:"shipping,omitempty"`  // curtain: requested
	Sharpness    float64   `json:"sharpness,omitempty"` // a photo's measured sharpness
	Verification int64     `json:"verification_id"`
}

func (s *Service) photoLimits() PhotoLimits { return s.Options.Photo.orDefault() }

// imageBody reports whether the request carries an image body.
func imageBody(r *http.Request) bool {
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return strings.HasPrefix(mt, "image/")
}

func (s *Service) handleVerification(w http.ResponseWriter, r *http.Request) error {
	p, err := caller(r)
	if err != nil {
		return err
	}
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var in VerificationRequest
	if imageBody(r) {
		in.Method = providerdb.VerifyUpload
		if in.Photo, err = readPhoto(r.Body, s.photoLimits().MaxBytes); err != nil {
			return err
		}
	} else if err := web.DecodeJSON(r, &in); err != nil {
		return err
	}
	a, err := s.Verify(r.Context(), p.AccountID, id, in)
	if err != nil {
		return err
	}
	status := http.StatusOK
	if a.Status == providerdb.VerificationRequested {
		status = http.StatusAccepted
	}
	return web.WriteJSON(w, status, a)
}

func (s *Service) handleVerifierPhoto(w http.ResponseWriter, r *http.Request) error {
	p, err := caller(r)
	if err != nil {
		return err
	}
	id, err := pathID(r)
	if err != nil {
		return err
	}
	photo, err := readPhoto(r.Body, s.photoLimits().MaxBytes)
	if err != nil {
		return err
	}
	o, err := s.Store.Order(r.Context(), id)
	if err != nil {
		return err
	}
	a, err := s.acceptPhoto(r.Context(), o, workflow.Verifier, "account:"+strconv.FormatInt(p.AccountID, 10), providerdb.VerifyPoint, photo)
	if err != nil {
		return err
	}
	return web.WriteJSON(w, http.StatusOK, a)
}

// errNotInVerification is the answer outside the verification stage.
func errNotInVerification(o beian.Order) error {
	return beian.Errorf(beian.KindInvalidState, "verification.not_in_stage", "stage", string(o.Stage))
}

// Verify records the customer's verification of an own order in the
// verification stage (another account's order is not found): a point
// visit or a mailed curtain is requested (the order waits); a photo is
// checked at once (Rule VER-1: a blurry one is refused with the reason)
// and an app code redeemed (Rule VER-2), and either moves the order to
// photo review.
func (s *Service) Verify(ctx context.Context, accountID, orderID int64, in VerificationRequest) (VerificationAnswer, error) {
	o, err := s.Store.OrderOf(ctx, accountID, orderID)
	if err != nil {
		return VerificationAnswer{}, err
	}
	if o.Stage != beian.StageVerification {
		return VerificationAnswer{}, errNotInVerification(o)
	}
	actor := "account:" + strconv.FormatInt(accountID, 10)
	switch in.Method {
	case providerdb.VerifyPoint:
		return s.requestVerification(ctx, o, providerdb.Verification{OrderID: o.ID, Method: providerdb.VerifyPoint})
	case providerdb.VerifyCurtain:
		var ps beian.Problems
		a := in.Address
		if a == nil {
			a = &MailingAddress{}
		}
		for _, f := range [][2]string{{"address.recipient", a.Recipient}, {"address.phone", a.Phone}, {"address.address", a.Address}} {
			if strings.TrimSpace(f[1]) == "" {
				ps.Add("verification.address_required", "VER-1", f[0])
			}
		}
		if err := ps.Err(); err != nil {
			return VerificationAnswer{}, err
		}
		detail, _ := json.Marshal(map[string]any{"address": a, "shipping": "requested"})
		ans, err := s.requestVerification(ctx, o, providerdb.Verification{OrderID: o.ID, Method: providerdb.VerifyCurtain, Detail: detail})
		ans.Shipping = "requested"
		return ans, err
	case providerdb.VerifyUpload:
		if len(in.Photo) == 0 {
			return VerificationAnswer{}, photoProblem("verification.photo_required")
		}
		method := providerdb.VerifyUpload
		if v, err := s.Store.LatestVerification(ctx, o.ID); err == nil && v.Method == providerdb.VerifyCurtain && v.Status == providerdb.VerificationRequested {
			method = providerdb.VerifyCurtain // the mailed curtain's photo
		}
		return s.acceptPhoto(ctx, o, workflow.Customer, actor, method, in.Photo)
	case providerdb.VerifyApp:
		return s.redeemApp(ctx, o, actor, in.Code)
	}
	return VerificationAnswer{}, beian.Problems{beian.NewProblem("verification.method_unknown", "VER-1", "method")}.Err()
}

// requestVerification records a point visit or a curtain to mail: the
// order stays in verification until the photo comes.
func (s *Service) requestVerification(ctx context.Context, o beian.Order, v providerdb.Verification) (VerificationAnswer, error) {
	err := s.DB.InTx(ctx, func(tx *sqlstore.Tx) error {
		var err error
		v, err = s.Store.AddVerification(ctx, tx, v)
		return err
	})
	return VerificationAnswer{Order: toOrderJSON(o), Method: v.Method, Status: v.Status, Verification: v.ID}, err
}

// acceptPhoto checks a verification photo (Rule VER-1), stores it and
// moves the order to photo review in one transaction with the
// verification record (by the customer, or by a verifier for a point visit).
func (s *Service) acceptPhoto(ctx context.Context, o beian.Order, by workflow.Actor, actor, method string, data []byte) (VerificationAnswer, error) {
	if o.Stage != beian.StageVerification {
		return VerificationAnswer{}, errNotInVerification(o)
	}
	p, err := CheckPhoto(data, s.photoLimits())
	if err != nil {
		return VerificationAnswer{}, err
	}
	ref, err := s.Blobs.Put(ctx, bytes.NewReader(p.Data))
	if err != nil {
		return VerificationAnswer{}, err
	}
	v := providerdb.Verification{OrderID: o.ID, Method: method, Status: providerdb.VerificationSubmitted, PhotoSHA256: ref.SHA256, Sharpness: p.Sharpness}
	return s.submitVerification(ctx, o, by, actor, v)
}

// submitVerification records v and moves the order to photo review (Rules
// VER-1, VER-2).
func (s *Service) submitVerification(ctx context.Context, o beian.Order, by workflow.Actor, actor string, v providerdb.Verification) (VerificationAnswer, error) {
	after, err := s.Store.Transition(ctx, providerdb.Move{OrderID: o.ID, Version: o.Version, Event: workflow.SubmitVerification,
		By: by, Actor: actor, NewResponsiblePerson: true,
		Effect: func(ctx context.Context, tx *sqlstore.Tx, _, _ beian.Order) error {
			var err error
			v, err = s.Store.AddVerification(ctx, tx, v)
			return err
		}})
	if err != nil {
		return VerificationAnswer{}, err
	}
	return VerificationAnswer{Order: toOrderJSON(after), Method: v.Method, Status: v.Status, Sharpness: v.Sharpness, Verification: v.ID}, nil
}
