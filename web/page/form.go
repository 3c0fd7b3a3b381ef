package page

import (
	"errors"
	"strings"

	"github.com/beian/beian"
	"github.com/beian/beian/i18n"
)

// Form is what a form page hands its template: the values to show again
// and the error of the last submission, whose beian.Problems attach to the
// fields by their path ("websites[0].homepage") and whose message heads the
// error summary.
type Form struct {
	Values map[string]string // by field name; a password is never shown again
	Err    error             // the submission's error (nil on a fresh form)
}

// Value returns the submitted value of a field.
func (f *Form) Value(name string) string {
	if f == nil {
		return ""
	}
	return f.Values[name]
}

// problems returns the problems of the form's error.
func (f *Form) problems() beian.Problems {
	var e *beian.Error
	if f == nil || !errors.As(f.Err, &e) {
		return nil
	}
	return e.Problems
}

// Field is one input as the "field" partial renders it: a label bound to
// the input, the hint and the error message referenced by aria-describedby,
// and aria-invalid when the field has an error.
type Field struct {
	ID           string // the input's id, FieldID(Name)
	Name         string // the field path, the input's name
	Type         string // the input type: text, password, email, tel …
	Label        string // the label text in the request's language
	Hint         string // the hint below the label, or ""
	Value        string // the value shown again (never for a password)
	Error        string // the field's problem messages, or ""
	Autocomplete string // the autocomplete token, or ""
	InputMode    string // the inputmode, or ""
	Required     bool   // marks the field required
	Autofocus    bool   // focuses the field when the page opens
}

// DescribedBy lists the ids of the hint and the error, for aria-describedby.
func (f Field) DescribedBy() string {
	var ids []string
	if f.Hint != "" {
		ids = append(ids, f.ID+"-hint")
	}
	if f.Error != "" {
		ids = append(ids, f.ID+"-error")
	}
	return strings.Join(ids, " ")
}

// Summary is the error summary at the top of a form: the error's message
// and every problem, linked to its field when it has one.
type Summary struct {
	Message string        // the error's own message
	Items   []SummaryItem // one per problem
}

// SummaryItem is one problem in the summary; Href is "#<field id>" or "".
type SummaryItem struct {
	Href    string // "#" and the field's id, or "" for a problem of the whole form
	Message string // the problem's message
}

// FieldID maps a field path to its input's id: "f-" and the path with
// "[", "]" and "." replaced by "-" (runs folded): "websites[0].homepage"
// → "f-websites-0-homepage".
func FieldID(path string) string {
	var b strings.Builder
	b.WriteString("f-")
	dash, started := false, false
	for _, c := range path {
		if c == '[' || c == ']' || c == '.' || c == ' ' {
			dash = started
			continue
		}
		started = true
		if dash {
			b.WriteByte('-')
			dash = false
		}
		b.WriteRune(c)
	}
	return b.String()
}

// asForm accepts what a template passes: a *Form, a Form or nil.
func asForm(v any) (*Form, error) {
	switch f := v.(type) {
	case nil:
		return nil, nil
	case *Form:
		return f, nil
	case Form:
		return &f, nil
	}
	return nil, errorf("want a page.Form, got %T", v)
}

// summary renders the form's error in the language; nil without one.
func (f *Form) summary(lang i18n.Lang) *Summary {
	if f == nil || f.Err == nil {
		return nil
	}
	body := i18n.Default().Render(lang, f.Err)
	s := &Summary{Message: body.Message}
	for _, it := range body.Errors {
		href := ""
		if it.Field != "" {
			href = "#" + FieldID(it.Field)
		}
		s.Items = append(s.Items, SummaryItem{Href: href, Message: it.Message})
	}
	return s
}

// field builds a Field. opts are pairs: "hint" LABEL-KEY, "autocomplete" V,
// "inputmode" V, "required" "true", "autofocus" "true".
func (p *Pages) field(lang i18n.Lang, form any, name, typ, label string, opts []string) (Field, error) {
	f, err := asForm(form)
	if err != nil {
		return Field{}, err
	}
	fd := Field{ID: FieldID(name), Name: name, Type: typ, Label: p.labels[lang][label]}
	if fd.Label == "" {
		return Field{}, errorf("field %s: no label %q", name, label)
	}
	if typ != "password" {
		fd.Value = f.Value(name)
	}
	if len(opts)%2 != 0 {
		return Field{}, errorf("field %s: options come in pairs", name)
	}
	for i := 0; i < len(opts); i += 2 {
		switch k, v := opts[i], opts[i+1]; k {
		case "hint":
			if fd.Hint = p.labels[lang][v]; fd.Hint == "" {
				return Field{}, errorf("field %s: no label %q", name, v)
			}
		case "autocomplete":
			fd.Autocomplete = v
		case "inputmode":
			fd.InputMode = v
		case "required":
			fd.Required = v == "true"
		case "autofocus":
			fd.Autofocus = v == "true"
		default:
			return Field{}, errorf("field %s: unknown option %q", name, k)
		}
	}
	var msgs []string
	for _, pr := range f.problems() {
		if pr.Field == name {
			msgs = append(msgs, i18n.Default().Message(lang, pr.Code, pr.Args))
		}
	}
	fd.Error = strings.Join(msgs, " ")
	return fd, nil
}
