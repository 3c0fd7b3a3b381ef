package workflow

import (
	"fmt"
	"slices"
	"strings"

	"github.com/beian/beian"
)

// DocPath is where Markdown's output is kept, relative to the module root.
const DocPath = "docs/order-states.md"

// family is a group of order types that share one graph (REV-8); the
// documentation draws one diagram per family.
type family struct {
	title string
	rep   Order            // whose table is drawn
	match func(Order) bool // which orders follow this graph
}

var families = []family{
	{
		title: "First filing, new website, transfer-in; a change with a new responsible person",
		rep:   Order{Type: beian.FirstFiling},
		match: func(o Order) bool {
			ok, when := takesPhoto(o.Type)
			return ok && (when == nil || o.NewResponsiblePerson)
		},
	},
	{
		title: "A change without a new responsible person",
		rep:   Order{Type: beian.ChangeSubject},
		match: func(o Order) bool { return isChange(o.Type) && !o.NewResponsiblePerson },
	},
	{
		title: "Cancel subject, cancel website",
		rep:   Order{Type: beian.CancelSubject},
		match: func(o Order) bool { return o.Type == beian.CancelSubject || o.Type == beian.CancelWebsite },
	},
	{
		title: "Cancel access",
		rep:   Order{Type: beian.CancelAccess},
		match: func(o Order) bool { return o.Type == beian.CancelAccess },
	},
}

// familyTable is the order's table with the responsible-person variant
// settled: the transitions whose person condition fails are dropped and the
// person conditions of the others removed, so that the orders of one family
// have equal tables.
func familyTable(o Order) []Transition {
	var out []Transition
	for _, tr := range Transitions(o.Type) {
		person := func(c Condition) bool { return c == IfNewPerson || c == IfNoNewPerson }
		if slices.ContainsFunc(tr.When, func(c Condition) bool { return person(c) && !c.Holds(o) }) {
			continue
		}
		tr.When = slices.DeleteFunc(tr.When, person)
		if len(tr.When) == 0 {
			tr.When = nil
		}
		out = append(out, tr)
	}
	return out
}

var conditionText = map[Condition]string{
	IfNewPerson:   "the change names a new responsible person",
	IfNoNewPerson: "the change names no new responsible person",
	IfEdited:      "the returned order was edited since it came back (VER-3)",
	IfUnchanged:   "the returned order is unchanged (VER-3)",
	IfReusePhoto:  "the approved photo may be reused (REV-6, `PhotoReusable`)",
	IfNewPhoto:    "a new photo is needed (the default)",
}

// Markdown renders docs/order-states.md from the transition tables, the
// display names and the edit rules: one Mermaid diagram and one table per
// family of order types, then the editable fields per stage.
func Markdown() string {
	var b strings.Builder
	w := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	w("_Generated from `workflow.Transitions()` by `workflow.Markdown()`; do not edit. " +
		"Regenerate with `go test ./workflow -run TestOrderStatesDoc -update`._\n\n")
	w("# Order states\n\n")
	w("The order state machine of package `workflow` (Rules REV-3 to REV-8, VER-1 to VER-3, CAN-5, CAN-6). " +
		"Each diagram shows one family of order types. An edge is labelled with the event, the actors who " +
		"may cause it and, where the same event leads elsewhere for other orders, the condition. " +
		"`approved` and `abandoned` are terminal; at `sms_confirmation` and `bureau_review` the order is " +
		"at the registry and the customer cannot abandon it (REV-7). A submitted cancellation can be neither " +
		"withdrawn nor abandoned (CAN-6).\n\n")

	w("## Stages\n\n| stage | 中文 | English | notes |\n| --- | --- | --- | --- |\n")
	for _, s := range beian.Stages {
		var tags []string
		if Terminal(s) {
			tags = append(tags, "terminal")
		}
		if AtRegistry(s) {
			tags = append(tags, "at the registry")
		}
		w("| `%s` | %s | %s | %s |\n", s, StageName(s, "zh-CN"), StageName(s, "en"), strings.Join(tags, ", "))
	}
	w("\n## Events\n\n| event | 中文 | English | actors |\n| --- | --- | --- | --- |\n")
	for _, e := range Events {
		w("| `%s` | %s | %s | %s |\n", e, EventName(e, "zh-CN"), EventName(e, "en"), actorList(eventActors[e], "`"))
	}
	w("\nActors: ")
	for i, a := range Actors {
		if i > 0 {
			w(", ")
		}
		w("`%s` (%s, %s)", a, ActorName(a, "zh-CN"), ActorName(a, "en"))
	}
	w("; `system` stands for timers and results from the registry.\n\n")
	w("## Conditions\n\n| condition | holds when |\n| --- | --- |\n")
	for _, c := range []Condition{IfNewPerson, IfNoNewPerson, IfEdited, IfUnchanged, IfReusePhoto, IfNewPhoto} {
		w("| `%s` | %s |\n", c, conditionText[c])
	}
	for _, f := range families {
		writeFamily(&b, f)
	}
	writeEditable(&b)
	return b.String()
}

func writeFamily(b *strings.Builder, f family) {
	w := func(format string, args ...any) { fmt.Fprintf(b, format, args...) }
	w("\n## %s\n\n", f.title)
	var members []string
	for _, t := range beian.OrderTypes {
		yes, no := f.match(Order{Type: t, NewResponsiblePerson: true}), f.match(Order{Type: t})
		switch {
		case yes && no:
			members = append(members, fmt.Sprintf("`%s`", t))
		case yes:
			members = append(members, fmt.Sprintf("`%s` with a new responsible person", t))
		case no:
			members = append(members, fmt.Sprintf("`%s` without a new responsible person", t))
		}
	}
	w("Order types: %s.\n\n", strings.Join(members, ", "))
	path := Path(f.rep)
	w("Happy path (REV-8): `%s`.\n\n", joinStages(path, "` → `"))

	ts := familyTable(f.rep)
	w("```mermaid\nstateDiagram-v2\n    [*] --> draft\n")
	for _, tr := range ts {
		label := string(tr.Event) + " · " + actorList(tr.Actors, "")
		for _, c := range tr.When {
			label += " · if " + string(c)
		}
		w("    %s --> %s: %s\n", tr.From, tr.To, label)
	}
	for _, s := range beian.Stages {
		if Terminal(s) && slices.ContainsFunc(ts, func(tr Transition) bool { return tr.To == s }) {
			w("    %s --> [*]\n", s)
		}
	}
	w("```\n\n| from | event | to | actors | when | note |\n| --- | --- | --- | --- | --- | --- |\n")
	for _, tr := range ts {
		when := make([]string, len(tr.When))
		for i, c := range tr.When {
			when[i] = "`" + string(c) + "`"
		}
		w("| `%s` | `%s` | `%s` | %s | %s | %s |\n", tr.From, tr.Event, tr.To,
			actorList(tr.Actors, "`"), strings.Join(when, " and "), tr.Note)
	}
}

func writeEditable(b *strings.Builder) {
	w := func(format string, args ...any) { fmt.Fprintf(b, format, args...) }
	w("\n## Editable fields\n\n")
	w("What the customer may change in each stage (`workflow.Editable`). A path covers itself and the " +
		"paths that continue it with `.` or `[`: `websites[0]` covers `websites[0].homepage`, but " +
		"`websites[0].name` covers neither `websites[0].name_en` nor `websites[0]`.\n\n")
	w("| stage | editable | rule |\n| --- | --- | --- |\n")
	for _, s := range beian.Stages {
		r := editRules[s]
		var what string
		switch r.scope {
		case editAll:
			what = "every field"
		case editFlagged:
			what = "only the fields flagged by the review items, and their children"
		case editUnder:
			what = fmt.Sprintf("only `%s` and its children", r.root)
		default:
			what = "nothing"
		}
		rule := r.rule
		if rule == "" {
			rule = "—"
		}
		w("| `%s` | %s | %s |\n", s, what, rule)
	}
}

func actorList(as []Actor, quote string) string {
	s := make([]string, len(as))
	for i, a := range as {
		s[i] = quote + string(a) + quote
	}
	return strings.Join(s, ", ")
}

func joinStages(ss []beian.Stage, sep string) string {
	s := make([]string, len(ss))
	for i, x := range ss {
		s[i] = string(x)
	}
	return strings.Join(s, sep)
}
