package page

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/beian/beian"
	"github.com/beian/beian/web/page/browsertest"
	"github.com/chromedp/chromedp"
)

// Rule VER-1 in a real headless Chromium, without JavaScript of ours: the
// customer opens the verification choices from the order page, uploads a
// blurry photo through the real file input and sees the verdict beside it
// with the form again, then uploads a sharp one and lands on the order
// page with the sharpness. SQLite only: the HTTP tests cover both engines.
func TestConsoleVerifyPhotoBrowser(t *testing.T) {
	browsertest.Find(t)
	consoleEach(t, func(t *testing.T, e *cEnv) {
		if !strings.HasSuffix(t.Name(), "/sqlite") {
			t.Skip("the browser flow runs once, on SQLite")
		}
		c := e.customer(t, true)
		o, _ := e.cvToVerification(t, c, nil)
		dir := t.TempDir()
		blurry, sharp := filepath.Join(dir, "blurry.png"), filepath.Join(dir, "sharp.png")
		if err := os.WriteFile(blurry, rPNG(t, false), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(sharp, rPNG(t, true), 0o600); err != nil {
			t.Fatal(err)
		}
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			r.Header.Set("X-Test-As", c.as) // the signed-in customer, as identity.Authenticate would say
			e.h.ServeHTTP(w, r)
		}))
		defer srv.Close()
		tab := browsertest.New(t)
		browsertest.Do(t, tab, chromedp.Navigate(srv.URL+"/console/orders/"+rID(o)+"?lang=zh-CN"))
		if status := browsertest.Submit(t, tab, chromedp.Click(chromedp.CSS(`#verification a.button`))); status != http.StatusOK {
			t.Fatalf("verification page: %d", status)
		}
		browsertest.Do(t, tab, chromedp.SetUploadFiles(chromedp.CSS(`#f-photo`), []string{blurry}))
		if status := browsertest.Submit(t, tab, chromedp.Click(chromedp.CSS(`#choice-upload button`))); status != http.StatusUnprocessableEntity {
			t.Fatalf("blurry photo: %d", status)
		}
		if got := browsertest.Text(t, tab, "#f-photo-error"); !strings.Contains(got, "不够清晰") || !strings.Contains(got, "40.0") {
			t.Errorf("verdict beside the file input: %q", got)
		}
		if st := e.order(t, c).Stage; st != beian.StageVerification {
			t.Fatalf("after the blurry photo: %s", st)
		}
		browsertest.Do(t, tab, chromedp.SetUploadFiles(chromedp.CSS(`#f-photo`), []string{sharp}))
		if status := browsertest.Submit(t, tab, chromedp.Click(chromedp.CSS(`#choice-upload button`))); status != http.StatusOK {
			t.Fatalf("sharp photo: %d", status)
		}
		if got := browsertest.Text(t, tab, ".notice"); !strings.Contains(got, "照片清晰度合格") || !strings.Contains(got, "清晰度") {
			t.Errorf("notice after the sharp photo: %q", got)
		}
		if got := browsertest.Text(t, tab, ".facts"); !strings.Contains(got, "服务商复审") {
			t.Errorf("stage %q", got)
		}
	})
}
