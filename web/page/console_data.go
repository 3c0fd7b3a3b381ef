package page

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// The filing form as a tree of JSON values (the order's Data document),
// read and written by field path ("subject.person.name",
// "websites[0].domains"): the paths of review items and of the error
// shape (Rule REV-3) are the form's input names.

// cTree is a decoded form document.
type cTree map[string]any

// cDecode decodes the order's form (an empty form for nothing).
func cDecode(raw []byte) cTree {
	t := cTree{}
	if len(raw) > 0 {
		_ = json.Unmarshal(raw, &t) // the provider stored it: valid JSON
	}
	return t
}

// cSeg is one step of a path: a key and, for "key[n]", the index n.
type cSeg struct {
	key   string
	index int // -1 without an index
}

// cSplit splits a path into its steps.
func cSplit(path string) []cSeg {
	var out []cSeg
	for _, part := range strings.Split(path, ".") {
		s := cSeg{key: part, index: -1}
		if i := strings.IndexByte(part, '['); i > 0 && strings.HasSuffix(part, "]") {
			if n, err := strconv.Atoi(part[i+1 : len(part)-1]); err == nil && n >= 0 {
				s.key, s.index = part[:i], n
			}
		}
		out = append(out, s)
	}
	return out
}

// get returns the value at path, nil when absent.
func (t cTree) get(path string) any {
	var cur any = map[string]any(t)
	for _, s := range cSplit(path) {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = m[s.key]
		if s.index >= 0 {
			l, ok := cur.([]any)
			if !ok || s.index >= len(l) {
				return nil
			}
			cur = l[s.index]
		}
	}
	return cur
}

// text returns the value at path as the input shows it: a list joined by
// ", ", a number in decimal.
func (t cTree) text(path string) string {
	switch v := t.get(path).(type) {
	case string:
		return v
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(v)
	case []any:
		parts := make([]string, 0, len(v))
		for _, x := range v {
			parts = append(parts, fmt.Sprint(x))
		}
		return strings.Join(parts, ", ")
	}
	return ""
}

// set puts v at path, creating the objects and list entries on the way.
func (t cTree) set(path string, v any) {
	segs := cSplit(path)
	m := map[string]any(t)
	for i, s := range segs {
		last := i == len(segs)-1
		if s.index < 0 {
			if last {
				m[s.key] = v
				return
			}
			next, ok := m[s.key].(map[string]any)
			if !ok {
				next = map[string]any{}
				m[s.key] = next
			}
			m = next
			continue
		}
		l, _ := m[s.key].([]any)
		for len(l) <= s.index {
			l = append(l, map[string]any{})
		}
		m[s.key] = l
		if last {
			l[s.index] = v
			return
		}
		next, ok := l[s.index].(map[string]any)
		if !ok {
			next = map[string]any{}
			l[s.index] = next
		}
		m = next
	}
}

// count is the length of the list at path.
func (t cTree) count(path string) int {
	l, _ := t.get(path).([]any)
	return len(l)
}

// cList splits a list input (commas, the ideographic comma, spaces or
// lines) into its entries.
func cList(s string) []any {
	out := []any{}
	for _, f := range strings.FieldsFunc(s, func(r rune) bool {
		return r == ',' || r == '，' || r == '、' || r == ' ' || r == '\n' || r == '\r' || r == '\t'
	}) {
		out = append(out, f)
	}
	return out
}

// cSpec is one input of the form: its path relative to its group, its
// label key, its kind (text, email, tel, select, list) and, for a select,
// the list it offers (nature, cert_type, province, service_content).
type cSpec struct {
	Path, Label, Kind, List string
}

// cPersonSpecs are a responsible person's inputs under prefix.
func cPersonSpecs(prefix string) []cSpec {
	return []cSpec{
		{prefix + "person.name", "bureau.f.person_name", "text", ""},
		{prefix + "person.cert_type", "bureau.f.person_cert_type", "select", "cert_type"},
		{prefix + "person.cert_number", "bureau.f.person_cert_number", "text", ""},
		{prefix + "person.mobile", "bureau.f.person_mobile", "tel", ""},
		{prefix + "person.email", "bureau.f.person_email", "email", ""},
		{prefix + "person.landline", "bureau.f.person_landline", "tel", ""},
	}
}

// cSubjectSpecs are the 主体信息 step's inputs.
var cSubjectSpecs = append([]cSpec{
	{"subject.nature", "bureau.f.nature", "select", "nature"},
	{"subject.name", "bureau.f.name", "text", ""},
	{"subject.cert_type", "bureau.f.cert_type", "select", "cert_type"},
	{"subject.cert_number", "bureau.f.cert_number", "text", ""},
	{"subject.province", "console.f.province", "select", "province"},
	{"subject.city", "console.f.city", "text", ""},
	{"subject.district", "console.f.district", "text", ""},
	{"subject.address", "bureau.f.address", "text", ""},
}, cPersonSpecs("subject.")...)

// cWebsiteSpecs are the 网站信息 step's inputs of one website under
// prefix ("websites[0]."); the resource is its own pair of inputs.
func cWebsiteSpecs(prefix string) []cSpec {
	return append([]cSpec{
		{prefix + "name", "bureau.f.website_name", "text", ""},
		{prefix + "domains", "bureau.f.domains", "list", ""},
		{prefix + "homepage", "bureau.f.homepage", "text", ""},
		{prefix + "service_content", "bureau.f.service_content", "select", "service_content"},
		{prefix + "remark", "bureau.f.remark", "text", ""},
	}, cPersonSpecs(prefix)...)
}
