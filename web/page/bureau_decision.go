package page

import (
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/beian/beian"
	"github.com/beian/beian/i18n"
	"github.com/beian/beian/regulator"
	"github.com/beian/beian/web"
)

// Rows of rejection items the decision form offers: three at first, one
// more per "add an item" press, at most bItemRowsMax.
const (
	bItemRowsMin = 3
	bItemRowsMax = 20
)

// BureauReasons are the reasons the decision form lists (Rule REV-3's
// typical reasons), as label keys bureau.reason.<code>; a reason from the
// list is recorded in zh-CN, the registry's language, and free text as
// typed.
var BureauReasons = []string{"incomplete_subject", "incomplete_website", "reachable_before_number", "documents", "photo", "inconsistent"}

// bItemActions are the actions of an item (Rule REV-3: 修改主体 / 修改网站 / 修改资料).
var bItemActions = []beian.ReviewAction{beian.ActionFixSubject, beian.ActionFixWebsite, beian.ActionFixMaterials}

// bItemRow is one row of rejection items in the decision form.
type bItemRow struct {
	Index, N                               int
	ID                                     string // the row's anchor, FieldID("items[i]")
	Field, Reason, ReasonText, Suggestion  string
	Action                                 string
	Photo                                  bool
	FieldErr, ReasonErr, ActionErr, RowErr string
}

// bDecisionForm is the decision form's state.
type bDecisionForm struct {
	*Form
	Decision string     // "approve", "reject" or ""
	Paths    []bSubRow  // the submission's fields an item may name
	Items    []bItemRow // the rows shown
	Reasons  []string   // BureauReasons
	Actions  []string   // bItemActions
	Error    string     // the decision field's own message
	ItemsErr string     // a problem of the whole list (no item)
}

// fill completes the form: at least bItemRowsMin rows, the lists, and
// each problem of the last submission beside its input.
func (f *bDecisionForm) fill() {
	for len(f.Items) < bItemRowsMin {
		f.Items = append(f.Items, bItemRow{})
	}
	for i := range f.Items {
		f.Items[i].Index, f.Items[i].N, f.Items[i].ID = i, i+1, FieldID("items["+strconv.Itoa(i)+"]")
	}
	f.Reasons = BureauReasons
	f.Actions = f.Actions[:0]
	for _, a := range bItemActions {
		f.Actions = append(f.Actions, string(a))
	}
}

// place puts the problems of err beside the inputs they name.
func (f *bDecisionForm) place(lang i18n.Lang) {
	cat := i18n.Default()
	for _, pr := range f.problems() {
		msg := cat.Message(lang, pr.Code, pr.Args)
		switch {
		case pr.Field == "decision":
			f.Error = msg
		case pr.Field == "items":
			f.ItemsErr = msg
		default:
			for i := range f.Items {
				pre := "items[" + strconv.Itoa(i) + "]"
				switch pr.Field {
				case pre:
					f.Items[i].RowErr = msg
				case pre + ".field":
					f.Items[i].FieldErr = msg
				case pre + ".reason":
					f.Items[i].ReasonErr = msg
				case pre + ".action":
					f.Items[i].ActionErr = msg
				}
			}
		}
	}
}

// bReadDecision reads the posted form: the decision, the item rows as
// typed, and the items of the rows in use, checked against the order's
// fields and the lists (problems by row: items[i].field, .reason, .action).
func bReadDecision(r *http.Request, paths []bSubRow, zh map[string]string) (f bDecisionForm, items []beian.ReviewItem, err error) {
	f = bDecisionForm{Form: &Form{}, Decision: r.PostFormValue("decision")}
	n, _ := strconv.Atoi(r.PostFormValue("rows"))
	n = min(max(n, bItemRowsMin), bItemRowsMax)
	var ps beian.Problems
	if f.Decision != "approve" && f.Decision != "reject" {
		ps.Add("page.bureau_decision_required", "REV-5", "decision")
	}
	for i := range n {
		pre := "items[" + strconv.Itoa(i) + "]"
		row := bItemRow{Field: r.PostFormValue(pre + ".field"), Reason: r.PostFormValue(pre + ".reason"),
			ReasonText: strings.TrimSpace(r.PostFormValue(pre + ".reason_text")), Suggestion: strings.TrimSpace(r.PostFormValue(pre + ".suggestion")),
			Action: r.PostFormValue(pre + ".action"), Photo: r.PostFormValue(pre+".photo") != ""}
		f.Items = append(f.Items, row)
		if row.Field == "" && row.Reason == "" && row.ReasonText == "" && row.Suggestion == "" && !row.Photo {
			continue // an unused row; its action select always has a value
		}
		if f.Decision != "reject" {
			continue
		}
		it := beian.ReviewItem{Field: row.Field, Reason: row.ReasonText, Suggestion: row.Suggestion, Action: beian.ReviewAction(row.Action), Photo: row.Photo}
		if !slices.ContainsFunc(paths, func(s bSubRow) bool { return s.Path == row.Field }) {
			ps.Add("page.bureau_item_field", "REV-5", pre+".field")
		}
		if it.Reason == "" && slices.Contains(BureauReasons, row.Reason) {
			it.Reason = zh["bureau.reason."+row.Reason]
		}
		if it.Reason == "" {
			ps.Add("page.bureau_item_reason", "REV-5", pre+".reason")
		}
		if !slices.Contains(bItemActions, it.Action) {
			ps.Add("page.bureau_item_action", "REV-3", pre+".action")
		}
		items = append(items, it)
	}
	if r.PostFormValue("add_row") != "" && len(f.Items) < bItemRowsMax {
		f.Items = append(f.Items, bItemRow{})
	}
	return f, items, ps.Err()
}

// bureauDecide answers POST /bureau/orders/{id}/decision: approve, or
// reject with the items built in the form (Rule REV-5: each names a field
// of the submission, a reason from the list or free text, a suggestion, an
// action, and whether it concerns the photo), through regulator Decide.
// "Add an item" shows the form again with one more row. A problem shows
// the form again beside its input; success redirects to the queue.
func (p *Pages) bureauDecide(w http.ResponseWriter, r *http.Request, rv regulator.Reviewer) error {
	lang := web.Lang(r)
	base, err := p.bOrderPage(r, rv, bDecisionForm{Form: &Form{}}) // 404 for another province's order
	if err != nil {
		return err
	}
	f, items, ferr := bReadDecision(r, base.Decision.Paths, p.labels[i18n.ZH])
	status := http.StatusOK
	if r.PostFormValue("add_row") == "" {
		if ferr == nil {
			res, derr := p.opts.Registry.Decide(r.Context(), rv, base.ID, regulator.Decision{Approve: f.Decision == "approve", Items: items})
			if derr == nil {
				notice := "rejected"
				if res.Status == regulator.SubmissionApproved {
					notice = "approved"
				}
				bRedirect(w, r, "/bureau", notice, base.OrderNumber)
				return nil
			}
			if web.Status(derr) >= 500 {
				return derr
			}
			ferr = derr
		}
		f.Err, status = ferr, web.Status(ferr)
	}
	f.Paths = base.Decision.Paths
	f.fill()
	f.place(lang)
	base.Decision = f
	return p.Render(w, r, status, "bureau_order", base)
}
