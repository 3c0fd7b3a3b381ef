package page

import (
	"net/http"
	"strings"

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
	Rows []bqRow
}

// bureauQueue answers GET /bureau: the province's orders in bureau review,
// oldest due date first, with their business-day due dates (Rule REV-2;
// regulator.Registry.BureauQueue) and the overdue ones marked.
func (p *Pages) bureauQueue(w http.ResponseWriter, r *http.Request, rv regulator.Reviewer) error {
	items, err := p.opts.Registry.BureauQueue(r.Context(), rv.Province)
	if err != nil {
		return err
	}
	d := bqData{bureauPage: p.bureauBase(r, rv, "/bureau")}
	for _, it := range items {
		d.Rows = append(d.Rows, bqRow{ID: it.SubmissionID, OrderNumber: it.OrderNumber, Provider: it.Provider,
			Type: "bureau.type." + string(it.Type), Subject: it.SubjectName, SubjectNumber: it.SubjectNumber,
			Websites: strings.Join(it.Websites, "、"), Commercial: it.Commercial, Overdue: it.Overdue,
			SubmittedAt: bTime(it.SubmittedAt), DueDate: bDate(it.DueDate)})
	}
	return p.Render(w, r, http.StatusOK, "bureau_queue", d)
}
