package provider

import (
	"reflect"
	"regexp"
	"strconv"
	"strings"

	"github.com/beian/beian"
)

// segmentRe is one step of a field path: a JSON field name with optional
// indexes, e.g. "websites[0]" or "domains[1]".
var segmentRe = regexp.MustCompile(`^([a-z_][a-z0-9_]*)((?:\[[0-9]+\])*)$`)

// materialRoots are paths outside the form that review items may name:
// the order's documents and its verification (Rules REV-3, REV-4, SUBJ-2).
var materialRoots = []string{"documents", "verification"}

// validFieldPath reports whether path names a field of the order's data
// (Rule REV-3): each step a JSON field of beian.OrderData (embedded
// structs included), each index within the order's own list, e.g.
// "websites[0].homepage" for an order with at least one website. The
// material roots and their children are accepted too.
func validFieldPath(d beian.OrderData, path string) bool {
	path = strings.TrimSpace(path)
	if path == "" {
		return false
	}
	for _, r := range materialRoots {
		if path == r || strings.HasPrefix(path, r+".") || strings.HasPrefix(path, r+"[") {
			return true
		}
	}
	v := reflect.ValueOf(d)
	for _, seg := range strings.Split(path, ".") {
		m := segmentRe.FindStringSubmatch(seg)
		if m == nil {
			return false
		}
		f, ok := jsonField(v, m[1])
		if !ok {
			return false
		}
		v = f
		for _, ix := range strings.Split(strings.Trim(m[2], "[]"), "][") {
			if ix == "" {
				continue
			}
			i, err := strconv.Atoi(ix)
			if err != nil || v.Kind() != reflect.Slice || i >= v.Len() {
				return false
			}
			v = v.Index(i)
		}
	}
	return true
}

// jsonField returns the field of the struct v whose JSON name is name,
// looking into embedded structs.
func jsonField(v reflect.Value, name string) (reflect.Value, bool) {
	if v.Kind() != reflect.Struct {
		return reflect.Value{}, false
	}
	t := v.Type()
	for i := range t.NumField() {
		sf := t.Field(i)
		tag, _, _ := strings.Cut(sf.Tag.Get("json"), ",")
		if sf.Anonymous && tag == "" {
			if f, ok := jsonField(v.Field(i), name); ok {
				return f, true
			}
			continue
		}
		if tag == name && sf.IsExported() {
			return v.Field(i), true
		}
	}
	return reflect.Value{}, false
}
