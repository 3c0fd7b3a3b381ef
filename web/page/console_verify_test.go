package page

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/beian/beian"
	"github.com/beian/beian/provider"
	"github.com/beian/beian/sandbox"
	"github.com/beian/beian/sqlstore/providerdb"
)

// Rule VER-1: the photo upload answers with its verdict at once — a
// blurry, too small or missing photo shows the reason beside the file
// input and the form again, the order still in verification; a sharp one
// goes to photo review and the order page names its sharpness. Outside the
// verification stage the page says so; another account's order is 404; a
// POST without the session's token is refused.
func TestConsoleVerifyUpload(t *testing.T) {
	consoleEach(t, func(t *testing.T, e *cEnv) {
		dc := e.customer(t, true)
		draft := e.create(t, dc)
		dpath := "/console/orders/" + strconv.FormatInt(draft.ID, 10) + "/verification"
		w := e.get(t, dc.as, dpath)
		if b := bodyOf(t, w.Code, http.StatusOK, w.Body.String()); !strings.Contains(b, "“草稿”阶段，不需要身份核验") || strings.Contains(b, `name="method"`) {
			t.Errorf("verification page of a draft: %s", b)
		}
		w = e.post(t, dc.as, dpath, url.Values{"method": {"point"}})
		if b := bodyOf(t, w.Code, http.StatusConflict, w.Body.String()); !strings.Contains(b, "不需要身份核验") {
			t.Errorf("point for a draft: %s", b)
		}
		if w := e.get(t, dc.as, dpath+"?lang=en"); !strings.Contains(w.Body.String(), "needs no identity verification") {
			t.Errorf("English wrong-stage message: %s", w.Body.String())
		}

		c := e.customer(t, true)
		o, rv := e.cvToVerification(t, c, nil)
		id := strconv.FormatInt(o.ID, 10)
		path := "/console/orders/" + id + "/verification"
		w = e.get(t, c.as, "/console/orders/"+id)
		b := bodyOf(t, w.Code, http.StatusOK, w.Body.String())
		if !strings.Contains(b, `href="/console/orders/`+id+`/verification"`) || !strings.Contains(b, "幕布邮寄") {
			t.Errorf("order page in verification: no way to the choices: %s", cvSection(b, "verification"))
		}
		w = e.get(t, c.as, path)
		b = bodyOf(t, w.Code, http.StatusOK, w.Body.String())
		for _, want := range []string{`id="choice-point"`, `id="choice-curtain"`, `id="choice-upload"`, `id="choice-app"`, o.Number,
			`enctype="multipart/form-data"`, "该省份暂不支持 App 核验"} {
			if !strings.Contains(b, want) {
				t.Errorf("verification page lacks %q", want)
			}
		}
		if strings.Contains(cvSection(b, "choice-app"), `name="code"`) {
			t.Error("app code form offered in a province without app verification (Rule VER-2)")
		}

		other := e.customer(t, true)
		if w := e.get(t, other.as, path); w.Code != http.StatusNotFound {
			t.Errorf("another account's verification page: %d", w.Code)
		}
		if w := e.cvUpload(t, other.as, o, rPNG(t, true), true); w.Code != http.StatusNotFound {
			t.Errorf("another account's upload: %d", w.Code)
		}
		if w := e.cvUpload(t, c.as, o, rPNG(t, true), false); w.Code != http.StatusForbidden || e.order(t, c).Stage != beian.StageVerification {
			t.Errorf("upload without the CSRF token: %d, stage %s", w.Code, e.order(t, c).Stage)
		}

		cases := []struct {
			name  string
			photo []byte
			code  int
			want  string
		}{
			{"ErrBlurry", rPNG(t, false), http.StatusUnprocessableEntity, "不够清晰"},
			{"ErrTooSmall", cvSmallPNG(t), http.StatusUnprocessableEntity, "300×400，低于要求的 600×800"},
			{"ErrNoPhoto", nil, http.StatusUnprocessableEntity, "请上传核验照片"},
			{"ErrNotAnImage", []byte("not an image at all"), http.StatusUnprocessableEntity, "JPEG 或 PNG"},
		}
		for _, tc := range cases {
			w := e.cvUpload(t, c.as, o, tc.photo, true)
			b := bodyOf(t, w.Code, tc.code, w.Body.String())
			errAt := strings.Index(b, `id="f-photo-error"`)
			if errAt < 0 || !strings.Contains(b[errAt:], tc.want) || !strings.Contains(b, `id="f-photo"`) || !strings.Contains(b, `href="#f-photo"`) {
				t.Errorf("%s: no verdict %q beside the file input: %s", tc.name, tc.want, b)
			}
			if st := e.order(t, c).Stage; st != beian.StageVerification {
				t.Fatalf("%s: stage %s", tc.name, st)
			}
		}

		w = e.cvUpload(t, c.as, o, rPNG(t, true), true)
		loc := w.Header().Get("Location")
		if w.Code != http.StatusSeeOther || !strings.HasPrefix(loc, "/console/orders/"+id+"?") || !strings.Contains(loc, "notice=verify_photo") {
			t.Fatalf("sharp photo: %d %q %s", w.Code, loc, w.Body.String())
		}
		if st := e.order(t, c).Stage; st != beian.StagePhotoReview {
			t.Fatalf("after a sharp photo: stage %s", st)
		}
		v, ok, err := e.svc.LatestVerification(e.ctx, o.ID)
		if err != nil || !ok {
			t.Fatal(ok, err)
		}
		sharp := strconv.FormatFloat(v.Sharpness, 'f', 1, 64)
		b = bodyOf(t, http.StatusOK, http.StatusOK, e.get(t, c.as, loc).Body.String())
		if !strings.Contains(b, "照片清晰度合格") || !strings.Contains(b, "清晰度 "+sharp+" (最低 40.0)") || !strings.Contains(b, "服务商复审") {
			t.Errorf("order page after the upload: no verdict with the sharpness %s: %s", sharp, b)
		}
		// Rule REV-4: photo review rejects it; the page shows why and the choices again.
		e.cvDecide(t, rv, e.order(t, c), provider.Decision{Items: []beian.ReviewItem{{Field: "verification", Reason: "照片模糊，请重新拍摄",
			Action: beian.ActionFixMaterials}}})
		b = bodyOf(t, http.StatusOK, http.StatusOK, e.get(t, c.as, path).Body.String())
		if !strings.Contains(b, "未通过复审") || !strings.Contains(b, "照片模糊，请重新拍摄") || !strings.Contains(b, `id="f-photo"`) {
			t.Errorf("after a photo-review rejection: %s", b)
		}
	})
}

// Rule VER-1: a verification point visit says what to bring; a mailed
// curtain needs an address (the recipient and phone default to the
// subject's responsible person, shown masked), and the photo uploaded
// afterwards is the curtain's.
func TestConsoleVerifyPointAndCurtain(t *testing.T) {
	consoleEach(t, func(t *testing.T, e *cEnv) {
		c := e.customer(t, true)
		o, _ := e.cvToVerification(t, c, nil)
		id := strconv.FormatInt(o.ID, 10)
		path := "/console/orders/" + id + "/verification"
		w := e.post(t, c.as, path, url.Values{"method": {"curtain"}, "recipient": {"王芳"}})
		b := bodyOf(t, w.Code, http.StatusUnprocessableEntity, w.Body.String())
		if !strings.Contains(b, `id="f-address-error"`) || !strings.Contains(b, `value="王芳"`) || strings.Contains(b, `id="f-recipient-error"`) {
			t.Errorf("curtain without address: %s", cvSection(b, "choice-curtain"))
		}
		if !strings.Contains(b, "张伟，138****8000") || strings.Contains(b, "13800138000") {
			t.Errorf("curtain's default recipient not shown masked: %s", cvSection(b, "choice-curtain"))
		}
		w = e.post(t, c.as, path, url.Values{"method": {"curtain"}, "address": {"北京市朝阳区建国路 2 号 8 层"}})
		if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/console/orders/"+id+"?notice=verify_curtain&of="+o.Number {
			t.Fatalf("curtain: %d %q %s", w.Code, w.Header().Get("Location"), w.Body.String())
		}
		b = bodyOf(t, http.StatusOK, http.StatusOK, e.get(t, c.as, path).Body.String())
		if !strings.Contains(b, "幕布将寄往：北京市朝阳区建国路 2 号 8 层（收件人 张伟，138****8000）") {
			t.Errorf("curtain requested: %s", cvSection(b, "current-title"))
		}
		w = e.post(t, c.as, path, url.Values{"method": {"point"}})
		if w.Code != http.StatusSeeOther || !strings.Contains(w.Header().Get("Location"), "notice=verify_point") {
			t.Fatalf("point: %d %s", w.Code, w.Body.String())
		}
		b = bodyOf(t, http.StatusOK, http.StatusOK, e.get(t, c.as, w.Header().Get("Location")).Body.String())
		if !strings.Contains(b, "已预约核验点拍照") || !strings.Contains(b, "核验点拍照 · 等待拍照") {
			t.Errorf("order page after the point booking: %s", cvSection(b, "verification"))
		}
		b = bodyOf(t, http.StatusOK, http.StatusOK, e.get(t, c.as, path).Body.String())
		if !strings.Contains(b, "身份证件原件和订单号 "+o.Number) {
			t.Errorf("point booked: what to bring: %s", b)
		}
		if w := e.post(t, c.as, path, url.Values{"method": {"fax"}}); w.Code != http.StatusUnprocessableEntity || !strings.Contains(w.Body.String(), "核验方式不正确") {
			t.Errorf("unknown method: %d", w.Code)
		}
		if w := e.cvUpload(t, c.as, o, rPNG(t, true), true); w.Code != http.StatusSeeOther {
			t.Fatalf("photo: %d %s", w.Code, w.Body.String())
		}
		if v, _, _ := e.svc.LatestVerification(e.ctx, o.ID); v.Method != providerdb.VerifyUpload || e.order(t, c).Stage != beian.StagePhotoReview {
			t.Errorf("after the point booking the photo is an upload: %+v", v)
		}
	})
}

// Rule VER-2: the app's picture code only where eligible (Shanghai, one
// responsible person with a resident ID card), with the reason where not;
// a wrong or empty code stands beside its input; the right one moves the
// order to photo review.
func TestConsoleVerifyApp(t *testing.T) {
	consoleEach(t, func(t *testing.T, e *cEnv) {
		c := e.customer(t, true)
		o, _ := e.cvToVerification(t, c, nil)
		path := "/console/orders/" + strconv.FormatInt(o.ID, 10) + "/verification"
		w := e.post(t, c.as, path, url.Values{"method": {"app"}, "code": {"ABCD2345"}})
		if b := bodyOf(t, w.Code, http.StatusUnprocessableEntity, w.Body.String()); !strings.Contains(b, "该省份暂不支持 App 核验") {
			t.Errorf("app in Beijing: %s", b)
		}

		shanghai := func(s, _ url.Values) {
			s.Set("subject.province", "310000")
			s.Set("subject.city", "310100")
			s.Set("subject.district", "310104")
			s.Set("subject.address", "上海市徐汇区漕溪北路 1 号")
		}
		sh := e.customer(t, true)
		o2, _ := e.cvToVerification(t, sh, shanghai)
		path = "/console/orders/" + strconv.FormatInt(o2.ID, 10) + "/verification"
		b := bodyOf(t, http.StatusOK, http.StatusOK, e.get(t, sh.as, path).Body.String())
		if !strings.Contains(cvSection(b, "choice-app"), "App 核验服务暂不可用") {
			t.Errorf("no app service: %s", cvSection(b, "choice-app"))
		}
		app := &sandbox.AppVerifier{DB: e.svc.DB}
		e.svc.AppCodes = app
		b = bodyOf(t, http.StatusOK, http.StatusOK, e.get(t, sh.as, path).Body.String())
		if !strings.Contains(cvSection(b, "choice-app"), `name="code"`) {
			t.Fatalf("eligible order: no code form: %s", cvSection(b, "choice-app"))
		}
		w = e.post(t, sh.as, path, url.Values{"method": {"app"}})
		if b := bodyOf(t, w.Code, http.StatusUnprocessableEntity, w.Body.String()); !strings.Contains(b, `id="f-code-error"`) {
			t.Errorf("empty code: %s", b)
		}
		w = e.post(t, sh.as, path, url.Values{"method": {"app"}, "code": {"WRONG234"}})
		b = bodyOf(t, w.Code, http.StatusUnprocessableEntity, w.Body.String())
		if !strings.Contains(b, `id="f-code-error"`) || !strings.Contains(b, "图片验证码对此订单无效") || !strings.Contains(b, `value="WRONG234"`) {
			t.Errorf("wrong code: %s", cvSection(b, "choice-app"))
		}
		code, _, err := app.Issue(e.ctx, o2.Number, sandbox.AppPerson{Name: "张伟", CertType: "resident_id", CertNumber: cPerson(t), Mobile: "13800138000"})
		if err != nil {
			t.Fatal(err)
		}
		w = e.post(t, sh.as, path, url.Values{"method": {"app"}, "code": {code}})
		if w.Code != http.StatusSeeOther || !strings.Contains(w.Header().Get("Location"), "notice=verify_app") || e.order(t, sh).Stage != beian.StagePhotoReview {
			t.Fatalf("right code: %d, stage %s: %s", w.Code, e.order(t, sh).Stage, w.Body.String())
		}

		// An organisation whose websites' person differs from... only one
		// website here, with another person than the subject's: still one
		// person per website, so eligible; a passport holder is not.
		pp := e.customer(t, true)
		o3, _ := e.cvToVerification(t, pp, func(s, w url.Values) {
			shanghai(s, w)
			w.Set("websites[0].person.cert_type", "passport")
			w.Set("websites[0].person.cert_number", "E12345678")
		})
		path = "/console/orders/" + strconv.FormatInt(o3.ID, 10) + "/verification"
		b = bodyOf(t, http.StatusOK, http.StatusOK, e.get(t, pp.as, path).Body.String())
		if !strings.Contains(cvSection(b, "choice-app"), "不符合 App 核验条件") || strings.Contains(cvSection(b, "choice-app"), `name="code"`) {
			t.Errorf("passport holder: %s", cvSection(b, "choice-app"))
		}
	})
}
