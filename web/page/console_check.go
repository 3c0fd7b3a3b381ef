package page

import (
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/beian/beian"
	"github.com/beian/beian/i18n"
	"github.com/beian/beian/identity"
	"github.com/beian/beian/web"
)

// cCheckJSON is the answer of POST /console/orders/{id}/check.
type cCheckJSON struct {
	Problems []cCheckProblem `json:"problems"`
}

// cCheckProblem is one problem: the input it stands beside and the rule's
// own message in the request's language.
type cCheckProblem struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// consoleCheck answers POST /console/orders/{id}/check (the field check on
// blur of static/console.js): the step's posted inputs are read as the
// save reads them (locked inputs keep the order's values, Rule REV-3) into
// a copy of the order's form, which is checked by provider CheckData — the
// check the save runs — and nothing is written. The answer is JSON,
// {"problems":[{"field","message"}]}: the problems of the step, or with
// "field" (an input's name) only those that input shows, under its name.
// Each message is the rule's own, in the request's language.
func (p *Pages) consoleCheck(w http.ResponseWriter, r *http.Request, pr identity.Principal) error {
	ctx, svc := r.Context(), p.opts.Provider
	o, err := svc.CustomerOrder(ctx, pr.AccountID, r.PathValue("id"))
	if err != nil {
		return err
	}
	step := cStepOf(r.PostFormValue("step"))
	tree := cDecode(o.Data)
	switch step {
	case "subject":
		cReadInputs(r, o, tree, cSubjectSpecs)
	case "website":
		for i := range max(tree.count("websites"), 1) {
			p.cReadWebsite(r, o, tree, "websites["+strconv.Itoa(i)+"]")
		}
	}
	raw, err := json.Marshal(tree)
	if err != nil {
		return err
	}
	var data beian.OrderData
	if err := json.Unmarshal(raw, &data); err != nil {
		return &beian.Error{Kind: beian.KindBadRequest, Code: "order.data_invalid", Err: err}
	}
	ps, err := svc.CheckData(ctx, pr.AccountID, o.Type, o.Commercial, data)
	if err != nil {
		return err
	}
	field := strings.TrimSpace(r.PostFormValue("field"))
	return web.WriteJSON(w, http.StatusOK, cCheckAnswer(web.Lang(r), ps, step, field))
}

// cCheckAnswer keeps the problems of the step, or of the input named field
// (the problems at its path and below it, as the form shows them beside
// the input), in the language.
func cCheckAnswer(lang i18n.Lang, ps beian.Problems, step, field string) cCheckJSON {
	out := cCheckJSON{Problems: []cCheckProblem{}}
	for _, pb := range ps {
		if cStepOfField(pb.Field) != step {
			continue
		}
		at := pb.Field
		if field != "" {
			if !cUnder(pb.Field, field) {
				continue
			}
			at = field
		}
		pr := cCheckProblem{Field: at, Message: i18n.Default().Message(lang, pb.Code, pb.Args)}
		if !slices.Contains(out.Problems, pr) {
			out.Problems = append(out.Problems, pr)
		}
	}
	return out
}

// cUnder reports whether a problem at field stands beside the input path
// (its own path, an entry of its list, or a part of it — as cMsgs.take
// places them).
func cUnder(field, path string) bool {
	return field == path || strings.HasPrefix(field, path+"[") || strings.HasPrefix(field, path+".")
}
