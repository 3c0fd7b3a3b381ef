package page

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/beian/beian"
	"github.com/beian/beian/regulator"
)

// bqRow is one order of the queue as the page shows it.
type bqRow struct {
	ID, OrderNumber, Provider, Type, Subject, SubjectNumber string
	Websites                                                string
	Commercial, Overdue                                     bool
	SubmittedAt, DueDate                                    string
}

// bqData is the queue page's .Data.
type bqData struct {
	bureauPage
	Rows     []bqRow
	Total    int    // orders in the province's queue
	From, To int    // the positions of the page's first and last rows, from 1
	Next     string // the next page's URL, "" on the last
	First    string // the first page's URL, "" on the first
}

// bqPageSize is the rows of a queue page: the queue is read page by page
// (regulator.Registry.BureauQueuePage), so a page costs the same however
// many orders wait (issue 7: under 50 ms at p99 with 100,000 orders).
const bqPageSize = 50

// bureauQueue answers GET /bureau[?after=…&from=…]: a page of the
// province's orders in bureau review, oldest due date first, with their
// business-day due dates (Rule REV-2) and the overdue ones marked, and the
// link to the next page. after is the previous page's last order
// (regulator.BureauCursor); a malformed one is 404.
func (p *Pages) bureauQueue(w http.ResponseWriter, r *http.Request, rv regulator.Reviewer) error {
	v := r.URL.Query()
	after, ok := regulator.ParseBureauCursor(v.Get("after"))
	if !ok {
		return beian.Errorf(beian.KindNotFound, "")
	}
	from := 1
	if f, err := strconv.Atoi(v.Get("from")); err == nil && f > 1 && after.ID != "" {
		from = f
	}
	items, next, total, err := p.opts.Registry.BureauQueuePage(r.Context(), rv.Province, after, bqPageSize)
	if err != nil {
		return err
	}
	d := bqData{bureauPage: p.bureauBase(r, rv, "/bureau"), Total: total, From: from, To: from + len(items) - 1}
	if after.ID != "" {
		d.First = "/bureau"
	}
	if c := next.String(); c != "" {
		d.Next = "/bureau?" + url.Values{"after": {c}, "from": {strconv.Itoa(from + bqPageSize)}}.Encode()
	}
	for _, it := range items {
		d.Rows = append(d.Rows, bqRow{ID: it.SubmissionID, OrderNumber: it.OrderNumber, Provider: it.Provider,
			Type: "bureau.type." + string(it.Type), Subject: it.SubjectName, SubjectNumber: it.SubjectNumber,
			Websites: strings.Join(it.Websites, "、"), Commercial: it.Commercial, Overdue: it.Overdue,
			SubmittedAt: bTime(it.SubmittedAt), DueDate: bDate(it.DueDate)})
	}
	return p.Render(w, r, http.StatusOK, "bureau_queue", d)
}
