package page

import (
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/beian/beian"
	"github.com/beian/beian/i18n"
	"github.com/beian/beian/provider"
	"github.com/beian/beian/web"
)

// ReviewReasons are the reasons the provider's reject form lists (Rule
// REV-3's typical reasons and Rule REV-4's photo reasons), as label keys
// review.reason.<code>; a reason from the list is recorded in zh-CN, the
// language the registry and the console's items use, and free text as typed.
var ReviewReasons = []string{"incomplete_subject", "incomplete_website", "reachable_before_number", "documents",
	"inconsistent", "photo_blurry", "photo_curtain", "photo_person"}

// rDecisionForm is the decision form's state.
type rDecisionForm struct {
	*Form
	Decision string     // "approve", "reject" or ""
	Paths    []bSubRow  // the order's fields an item may name
	Items    []bItemRow // the rows shown
	Reasons  []string   // ReviewReasons
	Actions  []string   // the actions of Rule REV-3
	Error    string     // the decision field's own message
	ItemsErr string     // a problem of the whole list
}

// fill completes the form (at least bItemRowsMin rows, the lists) and
// places err's problems beside their inputs in the language.
func (f *rDecisionForm) fill(lang *i18n.Lang) {
	if f.Form == nil {
		f.Form = &Form{}
	}
	for len(f.Items) < bItemRowsMin {
		f.Items = append(f.Items, bItemRow{})
	}
	for i := range f.Items {
		f.Items[i].Index, f.Items[i].N, f.Items[i].ID = i, i+1, FieldID("items["+strconv.Itoa(i)+"]")
	}
	f.Reasons = ReviewReasons
	f.Actions = nil
	for _, a := range bItemActions {
		f.Actions = append(f.Actions, string(a))
	}
	if lang == nil {
		return
	}
	cat := i18n.Default()
	for _, pr := range f.problems() {
		msg := cat.Message(*lang, pr.Code, pr.Args)
		switch pr.Field {
		case "decision":
			f.Error = msg
		case "items":
			f.ItemsErr = msg
		}
		for i := range f.Items {
			switch pre := "items[" + strconv.Itoa(i) + "]"; pr.Field {
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

// rReadDecision reads the posted decision: the rows as typed and the items
// of the rows in use, checked against the order's fields and the lists
// (problems by row: items[i].field, .reason, .action; Rule REV-3).
func rReadDecision(r *http.Request, paths []bSubRow, zh map[string]string) (f rDecisionForm, items []beian.ReviewItem, err error) {
	f = rDecisionForm{Form: &Form{}, Decision: r.PostFormValue("decision"), Paths: paths}
	n, _ := strconv.Atoi(r.PostFormValue("rows"))
	n = min(max(n, bItemRowsMin), bItemRowsMax)
	var ps beian.Problems
	if f.Decision != "approve" && f.Decision != "reject" {
		ps.Add("page.review_decision_required", "REV-3", "decision")
	}
	for i := range n {
		pre := "items[" + strconv.Itoa(i) + "]"
		row := bItemRow{Field: r.PostFormValue(pre + ".field"), Reason: r.PostFormValue(pre + ".reason"),
			ReasonText: strings.TrimSpace(r.PostFormValue(pre + ".reason_text")), Suggestion: strings.TrimSpace(r.PostFormValue(pre + ".suggestion")),
			Action: r.PostFormValue(pre + ".action")}
		f.Items = append(f.Items, row)
		if row.Field == "" && row.Reason == "" && row.ReasonText == "" && row.Suggestion == "" {
			continue // an unused row; its action select always has a value
		}
		if f.Decision != "reject" {
			continue
		}
		it := beian.ReviewItem{Field: row.Field, Reason: row.ReasonText, Suggestion: row.Suggestion, Action: beian.ReviewAction(row.Action)}
		if !slices.ContainsFunc(paths, func(s bSubRow) bool { return s.Path == row.Field }) {
			ps.Add("page.review_item_field", "REV-3", pre+".field")
		}
		if it.Reason == "" && slices.Contains(ReviewReasons, row.Reason) {
			it.Reason = zh["review.reason."+row.Reason]
		}
		if it.Reason == "" {
			ps.Add("page.review_item_reason", "REV-3", pre+".reason")
		}
		if !slices.Contains(bItemActions, it.Action) {
			ps.Add("page.review_item_action", "REV-3", pre+".action")
		}
		items = append(items, it)
	}
	if f.Decision == "reject" && len(items) == 0 && len(ps) == 0 {
		ps.Add("page.review_items_required", "REV-3", "items")
	}
	if r.PostFormValue("add_row") != "" && len(f.Items) < bItemRowsMax {
		f.Items = append(f.Items, bItemRow{})
	}
	return f, items, ps.Err()
}

// reviewDecide answers POST /review/orders/{id}/decision: approve, or
// reject with the items built in the form, through provider
// Service.Decide (the reviewer's live claim required; Rules REV-3, REV-4).
// "Add an item" shows the form again with one more row; a problem shows
// it again beside its input; success returns to the order's queue.
func (p *Pages) reviewDecide(w http.ResponseWriter, r *http.Request, st reviewStaff) error {
	lang := web.Lang(r)
	base, err := p.rOrderPage(r, st)
	if err != nil {
		return err
	}
	f, items, ferr := rReadDecision(r, base.Decision.Paths, p.labels[i18n.ZH])
	status := http.StatusOK
	if r.PostFormValue("add_row") == "" {
		if ferr == nil {
			id, _ := strconv.ParseInt(base.ID, 10, 64)
			before, _ := p.opts.Provider.Store.Order(r.Context(), id)
			_, derr := p.opts.Provider.Decide(r.Context(), st.ID, id, provider.Decision{Approve: f.Decision == "approve", Items: items})
			if derr == nil {
				notice := "rejected"
				if f.Decision == "approve" {
					notice = "approved"
				}
				rRedirect(w, r, "/review?stage="+string(before.Stage), notice, base.Number)
				return nil
			}
			if web.Status(derr) >= 500 {
				return derr
			}
			ferr = derr
		}
		f.Err, status = ferr, web.Status(ferr)
	}
	f.fill(&lang)
	base.Decision = f
	base.Supply.Note = base.MinorSupplement
	return p.Render(w, r, status, "review_order", base)
}

// rSupplyForm is the supplementary-material request form's state.
type rSupplyForm struct {
	*Form
	Note    string
	NoteErr string
}

// reviewSupplement answers POST /review/orders/{id}/supplement: the
// reviewer asks for supplementary material (Rule SUBJ-2; the province's
// requirement for an under-age person is the note's default) through
// provider Service.RequestSupplement; the order waits until the due date
// shown, SupplementDays business days ahead, then goes to needs_fix (Rule
// REV-8). A problem shows the form again beside the note.
func (p *Pages) reviewSupplement(w http.ResponseWriter, r *http.Request, st reviewStaff) error {
	lang := web.Lang(r)
	base, err := p.rOrderPage(r, st)
	if err != nil {
		return err
	}
	id, _ := strconv.ParseInt(base.ID, 10, 64)
	note := strings.TrimSpace(r.PostFormValue("note"))
	_, serr := p.opts.Provider.RequestSupplement(r.Context(), st.ID, id, provider.SupplementRequest{Note: note})
	if serr == nil {
		rRedirect(w, r, "/review?stage=initial_review", "supplement", base.Number)
		return nil
	}
	if web.Status(serr) >= 500 {
		return serr
	}
	f := rSupplyForm{Form: &Form{Err: serr}, Note: note}
	for _, pr := range f.problems() {
		if pr.Field == "note" {
			f.NoteErr = i18n.Default().Message(lang, pr.Code, pr.Args)
		}
	}
	base.Supply = f
	base.Decision.fill(nil)
	return p.Render(w, r, web.Status(serr), "review_order", base)
}
