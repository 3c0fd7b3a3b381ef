package provider

import (
	"context"
	"errors"
	"image"
	"image/color"
	"strconv"
	"strings"
	"testing"

	"github.com/beian/beian"
	"github.com/beian/beian/i18n"
	"github.com/beian/beian/sqlstore/providerdb"
)

// Roles and tenants (API.md): only a verifier uploads a verification
// point's photo; only the owning customer verifies an order (another
// account's order is 404); verifiers do not review.
func TestVerificationRolesAndTenants(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		cust, other, rev := e.customer(t), e.customer(t), e.account(t, beian.RoleProviderReviewer, "")
		ver := e.account(t, beian.RoleVerifier, "")
		o := e.hSubmitted(t, cust, beian.FirstFiling, hForm(hDomain))
		p := "/api/v1/review/orders/" + strconv.FormatInt(o.ID, 10)
		ver.call(t, 403, "GET", "/api/v1/review/queue", nil, nil)
		ver.call(t, 403, "POST", p+"/claim", nil, nil)
		cust.call(t, 403, "POST", p+"/decision", Decision{Approve: true}, nil)
		e.anonymous().call(t, 401, "GET", "/api/v1/review/queue", nil, nil)
		rev.hDecide(t, o.ID, Decision{Approve: true})

		other.hUpload(t, 404, o.ID, hSharpPNG(t))
		other.call(t, 404, "POST", "/api/v1/orders/"+strconv.FormatInt(o.ID, 10)+"/verification", map[string]string{"method": "point"}, nil)
		for _, c := range []*client{rev, cust} {
			if code, body, _ := c.do(t, "POST", p+"/verification-photo", hSharpPNG(t), "Content-Type", "image/png"); code != 403 {
				t.Errorf("verification photo by %s: %d %s", c.login, code, body)
			}
		}
		cust.call(t, 202, "POST", "/api/v1/orders/"+strconv.FormatInt(o.ID, 10)+"/verification", map[string]string{"method": "point"}, nil)
		e.hStage(t, o.ID, beian.StageVerification)
		if code, body, _ := ver.do(t, "POST", p+"/verification-photo", hBlurryPNG(t), "Content-Type", "image/png"); code != 422 || !strings.Contains(string(body), "photo.blurry") {
			t.Errorf("blurry photo at the point: %d %s", code, body)
		}
		ver.call(t, 200, "POST", p+"/verification-photo", hSharpPNG(t), nil, "Content-Type", "image/png")
		e.hStage(t, o.ID, beian.StagePhotoReview)
		ver.call(t, 409, "POST", p+"/verification-photo", hSharpPNG(t), nil, "Content-Type", "image/png")
		if v, err := e.svc.Store.LatestVerification(e.ctx, o.ID); err != nil || v.Method != providerdb.VerifyPoint || v.Status != providerdb.VerificationSubmitted {
			t.Errorf("verification %+v %v", v, err)
		}

		// Rule REV-4: a photo rejection sends the order back to verification.
		rev.hDecide(t, o.ID, Decision{Items: []beian.ReviewItem{{Field: "verification", Reason: "照片模糊", Action: beian.ActionFixMaterials}}})
		e.hStage(t, o.ID, beian.StageVerification)
		if v, err := e.svc.Store.LatestVerification(e.ctx, o.ID); err != nil || v.Status != providerdb.VerificationRejected {
			t.Errorf("rejected verification %+v %v", v, err)
		}
	})
}

// Rule VER-1: a mailed curtain needs an address and records the shipping;
// the photo the customer then uploads is the curtain's.
func TestVerificationCurtain(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		cust, rev := e.customer(t), e.account(t, beian.RoleProviderReviewer, "")
		o := e.hSubmitted(t, cust, beian.FirstFiling, hForm(hDomain))
		rev.hDecide(t, o.ID, Decision{Approve: true})
		path := "/api/v1/orders/" + strconv.FormatInt(o.ID, 10) + "/verification"
		code, body, _ := cust.do(t, "POST", path, map[string]string{"method": "curtain"})
		if code != 422 || strings.Count(string(body), "verification.address_required") != 3 {
			t.Errorf("curtain without address: %d %s", code, body)
		}
		var a VerificationAnswer
		cust.call(t, 202, "POST", path, VerificationRequest{Method: "curtain", Address: &MailingAddress{Recipient: "张三", Phone: hSubjPhone, Address: "杭州市西湖区文三路 1 号"}}, &a)
		if a.Shipping != "requested" || a.Status != providerdb.VerificationRequested {
			t.Errorf("curtain: %+v", a)
		}
		cust.call(t, 200, "POST", path, VerificationRequest{Method: "upload", Photo: hSharpPNG(t)}, &a)
		if a.Method != providerdb.VerifyCurtain || a.Order.Stage != beian.StagePhotoReview {
			t.Errorf("curtain photo: %+v", a)
		}
	})
}

// fakeApp is the verification app's code service for tests: one good code.
type fakeApp struct{ order, code, cert string }

func (f *fakeApp) Redeem(ctx context.Context, order, code, cert string) error {
	if order != f.order || code != f.code || cert != f.cert {
		return beian.Problems{beian.NewProblem("verification.code_invalid", "VER-2", "code")}.Err()
	}
	f.code = "" // single use
	return nil
}

// Rule VER-2: app verification only where the province offers it and for
// an eligible subject; a valid picture code moves the order to photo review.
func TestVerificationApp(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		cust, rev := e.customer(t), e.account(t, beian.RoleProviderReviewer, "")
		o := e.hSubmitted(t, cust, beian.FirstFiling, hForm(hDomain))
		rev.hDecide(t, o.ID, Decision{Approve: true})
		path := "/api/v1/orders/" + strconv.FormatInt(o.ID, 10) + "/verification"
		if code, body, _ := cust.do(t, "POST", path, map[string]string{"method": "app", "code": "123456"}); code != 422 || !strings.Contains(string(body), "verification.app_not_offered") {
			t.Errorf("app in Zhejiang: %d %s", code, body)
		}

		sh := e.customer(t)
		d := hForm("bing-three.com")
		d.Subject.SubjectData = beian.SubjectData{Nature: "individual", Name: "王五", CertType: "resident_id", CertNumber: hSubjCert,
			Province: "310000", City: "310100", District: "310104", Address: "上海市徐汇区",
			Person: beian.Person{Name: "王五", CertType: "resident_id", CertNumber: hSubjCert, Mobile: hSubjPhone}}
		o2 := e.hSubmitted(t, sh, beian.FirstFiling, d)
		rev.hDecide(t, o2.ID, Decision{Approve: true})
		path = "/api/v1/orders/" + strconv.FormatInt(o2.ID, 10) + "/verification"
		sh.call(t, 503, "POST", path, map[string]string{"method": "app", "code": "123456"}, nil) // no app service wired
		e.svc.AppCodes = &fakeApp{order: o2.Number, code: "123456", cert: hSubjCert}
		sh.call(t, 422, "POST", path, map[string]string{"method": "app", "code": "654321"}, nil)
		sh.call(t, 422, "POST", path, map[string]string{"method": "app"}, nil)
		sh.call(t, 200, "POST", path, map[string]string{"method": "app", "code": "123456"}, nil)
		e.hStage(t, o2.ID, beian.StagePhotoReview)
	})
}

// Rule VER-1: size, format, resolution and sharpness are checked at once.
func TestCheckPhoto(t *testing.T) {
	small := image.NewGray(image.Rect(0, 0, 300, 400))
	for i := range small.Pix {
		small.Pix[i] = uint8(i * 37)
	}
	for name, tc := range map[string]struct {
		data []byte
		l    PhotoLimits
		kind beian.Kind
		code string
	}{
		"OK":            {hSharpPNG(t), PhotoLimits{}, "", ""},
		"OKLandscape":   {hEncodePNG(t, rotate()), PhotoLimits{}, "", ""},
		"ErrTooLarge":   {hSharpPNG(t), PhotoLimits{MaxBytes: 100}, beian.KindTooLarge, "photo.too_large"},
		"ErrFormat":     {[]byte("GIF89a not really"), PhotoLimits{}, beian.KindInvalid, "photo.format"},
		"ErrResolution": {hEncodePNG(t, small), PhotoLimits{}, beian.KindInvalid, "photo.resolution"},
		"ErrBlurry":     {hBlurryPNG(t), PhotoLimits{}, beian.KindInvalid, "photo.blurry"},
		"ErrPixels":     {hSharpPNG(t), PhotoLimits{MaxPixels: 1000}, beian.KindInvalid, "photo.resolution_too_high"},
	} {
		p, err := CheckPhoto(tc.data, tc.l)
		if tc.code == "" {
			if err != nil || p.Format != "png" || p.Sharpness < DefaultPhotoLimits.MinSharpness {
				t.Errorf("%s: %+v %v", name, p.Sharpness, err)
			}
			continue
		}
		if beian.KindOf(err) != tc.kind || errCode(err) != tc.code {
			t.Errorf("%s: %v (%s), want %s %s", name, err, errCode(err), tc.kind, tc.code)
		}
	}
	flat := image.NewGray(image.Rect(0, 0, 600, 800))
	for i := range flat.Pix {
		flat.Pix[i] = 128
	}
	if s := Sharpness(flat); s != 0 {
		t.Errorf("sharpness of a flat image: %v", s)
	}
}

// errCode is the error's code, or its first problem's.
func errCode(err error) string {
	var e *beian.Error
	if !errors.As(err, &e) {
		return ""
	}
	if e.Code == "" && len(e.Problems) > 0 {
		return e.Problems[0].Code
	}
	return e.Code
}

// rotate is the sharp photo in landscape (800×600).
func rotate() image.Image {
	img := image.NewGray(image.Rect(0, 0, 800, 600))
	for y := range 600 {
		for x := range 800 {
			if (x/8+y/8)%2 == 0 {
				img.SetGray(x, y, color.Gray{Y: 230})
			}
		}
	}
	return img
}

// Every code this area can answer has a message in both languages.
func TestReviewCodesInCatalogue(t *testing.T) {
	c := i18n.Default()
	for code := range ReviewCodes() {
		for _, lang := range i18n.Langs {
			if !c.Has(lang, code) {
				t.Errorf("%s: no message for %s", lang, code)
			}
		}
	}
}
