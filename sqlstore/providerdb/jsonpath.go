package providerdb

import (
	"bytes"
	"encoding/json"
	"sort"
	"strconv"
)

// ChangedPaths compares two JSON documents and returns the paths of the
// leaves that differ, added or removed, in the notation of review items
// (Rule REV-3): "subject.name", "websites[0].homepage", "websites[1]" for a
// whole website added. Objects are compared key by key and arrays index by
// index; any other change is reported at the value's own path.
func ChangedPaths(a, b json.RawMessage) ([]string, error) {
	var va, vb any
	if err := decode(a, &va); err != nil {
		return nil, err
	}
	if err := decode(b, &vb); err != nil {
		return nil, err
	}
	var out []string
	diff("", va, vb, &out)
	sort.Strings(out)
	return out, nil
}

func decode(b json.RawMessage, v *any) error {
	if len(bytes.TrimSpace(b)) == 0 {
		*v = map[string]any{}
		return nil
	}
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	return d.Decode(v)
}

func diff(path string, a, b any, out *[]string) {
	switch x := a.(type) {
	case map[string]any:
		if y, ok := b.(map[string]any); ok {
			keys := map[string]bool{}
			for k := range x {
				keys[k] = true
			}
			for k := range y {
				keys[k] = true
			}
			for k := range keys {
				p := k
				if path != "" {
					p = path + "." + k
				}
				va, ina := x[k]
				vb, inb := y[k]
				if ina != inb {
					*out = append(*out, p)
					continue
				}
				diff(p, va, vb, out)
			}
			return
		}
	case []any:
		if y, ok := b.([]any); ok {
			for i := 0; i < max(len(x), len(y)); i++ {
				p := path + "[" + strconv.Itoa(i) + "]"
				if i >= len(x) || i >= len(y) {
					*out = append(*out, p)
					continue
				}
				diff(p, x[i], y[i], out)
			}
			return
		}
	default:
		ja, _ := json.Marshal(a)
		jb, _ := json.Marshal(b)
		if bytes.Equal(ja, jb) {
			return
		}
	}
	if path == "" {
		path = "."
	}
	*out = append(*out, path)
}
