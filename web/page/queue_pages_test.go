package page

import (
	"fmt"
	"html"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"
)

// nextLink returns the page's "next page" link, "" when there is none.
func nextLink(body string) string {
	m := regexp.MustCompile(`<a href="([^"]*)" rel="next">`).FindStringSubmatch(body)
	if m == nil {
		return ""
	}
	return html.UnescapeString(m[1])
}

// Rule REV-1: the review queue is read page by page, oldest first, with
// the position and the size of the queue; the orders that entered the
// stage at the same time are split between pages by id, none twice and
// none lost (issue 7: a page costs the same however long the queue).
func TestReviewQueuePages(t *testing.T) {
	reviewEach(t, func(t *testing.T, e *rEnv) {
		var numbers []string
		for i := range rqPageSize + 2 {
			d := rForm(fmt.Sprintf("queue%d.com", i), "330106199001011234")
			d.Subject.CertNumber = fmt.Sprintf("91330100MA%07dX", i)
			numbers = append(numbers, e.submitted(t, d).Number)
		}
		w := e.get(t, rAs(e.reviewer), "/review?stage=initial_review&lang=en")
		first := w.Body.String()
		if w.Code != http.StatusOK || !strings.Contains(first, "Showing 1–50 of 52 orders") {
			t.Fatalf("first page: %d %s", w.Code, first)
		}
		next := nextLink(first)
		if next == "" {
			t.Fatal("no link to the next page")
		}
		w = e.get(t, rAs(e.reviewer), next+"&lang=en")
		second := w.Body.String()
		if w.Code != http.StatusOK || !strings.Contains(second, "Showing 51–52 of 52 orders") || nextLink(second) != "" ||
			!strings.Contains(second, `href="/review?stage=initial_review"`) {
			t.Fatalf("second page (%s): %d %s", next, w.Code, second)
		}
		for i, n := range numbers {
			in1, in2 := strings.Count(first, ">"+n+"</a>"), strings.Count(second, ">"+n+"</a>")
			if want1 := i < rqPageSize; in1+in2 != 1 || (in1 == 1) != want1 {
				t.Errorf("order %d (%s): %d times on the first page, %d on the second", i, n, in1, in2)
			}
		}
		if w := e.get(t, rAs(e.reviewer), "/review?stage=initial_review&after=x"); w.Code != http.StatusNotFound {
			t.Errorf("malformed cursor: %d, want 404", w.Code)
		}
	})
}

// Rule REV-2: the bureau's queue is read page by page, earliest due date
// first; submissions due the same day and made at the same time are split
// between pages by their ID, none twice and none lost.
func TestBureauQueuePages(t *testing.T) {
	bureauEach(t, func(t *testing.T, e *bEnv) {
		var numbers []string
		for i := range bqPageSize + 2 {
			if i%10 == 9 { // the registry takes 30 SMS entries an hour from one client
				e.clock.Set(e.clock.Now().Add(61 * time.Minute))
			}
			n := fmt.Sprintf("BAQUEUE-%04d", i)
			e.toBureau(t, n, "330000", fmt.Sprintf("杭州队列%d科技有限公司", i), fmt.Sprintf("91330100MA%07dX", i), fmt.Sprintf("queue%d.com", i))
			numbers = append(numbers, n)
		}
		w := e.get(t, zjReviewer, "/bureau?lang=en")
		first := w.Body.String()
		if w.Code != http.StatusOK || !strings.Contains(first, "Showing 1–50 of 52 orders") {
			t.Fatalf("first page: %d %s", w.Code, first)
		}
		next := nextLink(first)
		if next == "" {
			t.Fatal("no link to the next page")
		}
		w = e.get(t, zjReviewer, next+"&lang=en")
		second := w.Body.String()
		if w.Code != http.StatusOK || !strings.Contains(second, "Showing 51–52 of 52 orders") || nextLink(second) != "" {
			t.Fatalf("second page (%s): %d %s", next, w.Code, second)
		}
		for _, n := range numbers {
			if c := strings.Count(first, ">"+n+"</a>") + strings.Count(second, ">"+n+"</a>"); c != 1 {
				t.Errorf("%s shown %d times on the two pages", n, c)
			}
		}
		if w := e.get(t, bjReviewer, "/bureau?lang=en"); strings.Contains(w.Body.String(), "BAQUEUE-") {
			t.Error("Beijing's queue shows Zhejiang's orders")
		}
		if w := e.get(t, zjReviewer, "/bureau?after=1.2"); w.Code != http.StatusNotFound {
			t.Errorf("malformed cursor: %d, want 404", w.Code)
		}
	})
}
