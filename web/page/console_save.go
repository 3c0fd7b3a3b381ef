package page

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"

	"github.com/beian/beian"
	"github.com/beian/beian/identity"
	"github.com/beian/beian/web"
	"github.com/beian/beian/workflow"
)

// consoleSave answers POST /console/orders/{id}/edit: the step's editable
// inputs are merged into the form at the version shown (provider
// EditOrder: a locked field is refused, Rule REV-3; a stale version is
// 412), then the form is checked (provider CheckData) and the step's
// problems stand beside their inputs, each with its rule's own message.
// "Next" goes on to the next step when the step has no problem; "add a
// website" adds an empty website (Rule WEB-0).
func (p *Pages) consoleSave(w http.ResponseWriter, r *http.Request, pr identity.Principal) error {
	ctx, svc := r.Context(), p.opts.Provider
	o, err := svc.CustomerOrder(ctx, pr.AccountID, r.PathValue("id"))
	if err != nil {
		return err
	}
	step := cStepOf(r.PostFormValue("step"))
	version, _ := strconv.ParseInt(r.PostFormValue("version"), 10, 64)
	tree := cDecode(o.Data)
	root := "subject"
	if step == "website" {
		root = "websites"
		n := max(tree.count("websites"), 1)
		for i := range n {
			p.cReadWebsite(r, o, tree, "websites["+strconv.Itoa(i)+"]")
		}
		if r.PostFormValue("add_site") != "" && n < svc.Options.MaxWebsites {
			tree.set("websites["+strconv.Itoa(n)+"]", map[string]any{})
		}
	} else if step == "subject" {
		cReadInputs(r, o, tree, cSubjectSpecs)
	} else {
		http.Redirect(w, r, "/console/orders/"+strconv.FormatInt(o.ID, 10)+"/edit?step="+step, http.StatusSeeOther)
		return nil
	}
	patch, err := json.Marshal(map[string]any{root: tree[root]})
	if err != nil {
		return err
	}
	saved, err := svc.EditOrder(ctx, pr, o, version, patch)
	status := http.StatusOK
	if err != nil {
		if web.Status(err) >= 500 {
			return err
		}
		d, derr := p.cFormPage(r, pr, o, step, tree, err)
		if derr != nil {
			return derr
		}
		return p.Render(w, r, web.Status(err), "console_form", d)
	}
	var data beian.OrderData
	if err := json.Unmarshal(saved.Data, &data); err != nil {
		return err
	}
	ps, err := svc.CheckData(ctx, pr.AccountID, saved.Type, saved.Commercial, data)
	if err != nil {
		return err
	}
	var mine beian.Problems
	for _, pb := range ps {
		if cStepOfField(pb.Field) == step {
			mine = append(mine, pb)
		}
	}
	id := strconv.FormatInt(saved.ID, 10)
	if r.PostFormValue("next") != "" && len(mine) == 0 {
		next := cSteps[min(indexOf(cSteps, step)+1, len(cSteps)-1)]
		cRedirect(w, r, "/console/orders/"+id+"/edit?step="+next, "saved", saved.Number)
		return nil
	}
	ferr := mine.Err()
	if ferr != nil {
		status = http.StatusUnprocessableEntity
	}
	d, err := p.cFormPage(r, pr, saved, step, cDecode(saved.Data), ferr)
	if err != nil {
		return err
	}
	if ferr == nil {
		d.Notice, d.NoticeOf = "console.notice.saved", saved.Number
	}
	return p.Render(w, r, status, "console_form", d)
}

// indexOf is the index of s in list, -1 when absent.
func indexOf(list []string, s string) int {
	for i, x := range list {
		if x == s {
			return i
		}
	}
	return -1
}

// cReadInputs sets the posted values of the editable inputs into tree; a
// locked input is left as it is (Rule REV-3).
func cReadInputs(r *http.Request, o beian.Order, tree cTree, specs []cSpec) {
	for _, s := range specs {
		if !workflow.Editable(o.Stage, o.Flagged, s.Path) {
			continue
		}
		if _, sent := r.PostForm[s.Path]; !sent {
			continue
		}
		v := strings.TrimSpace(r.PostFormValue(s.Path))
		if s.Kind == "list" {
			tree.set(s.Path, cList(v))
			continue
		}
		tree.set(s.Path, v)
	}
}

// cReadWebsite reads one website's inputs and its resource: an own server
// by ID or an authorization code (Rules ACC-2, ACC-3).
func (p *Pages) cReadWebsite(r *http.Request, o beian.Order, tree cTree, pre string) {
	cReadInputs(r, o, tree, cWebsiteSpecs(pre+"."))
	if !workflow.Editable(o.Stage, o.Flagged, pre+".resources") {
		return
	}
	code := strings.TrimSpace(r.PostFormValue(pre + ".auth_code"))
	rid, _ := strconv.ParseInt(r.PostFormValue(pre+".resources"), 10, 64)
	switch {
	case code != "":
		tree.set(pre+".resources", []any{map[string]any{"auth_code": code}})
	case rid > 0:
		tree.set(pre+".resources", []any{map[string]any{"resource_id": rid}})
	default:
		tree.set(pre+".resources", []any{})
	}
}
