package page

import (
	"errors"
	"html/template"
	"io"
	"io/fs"
	"path"
	"strings"

	"github.com/beian/beian/i18n"
)

// parse builds one template set per page for the language: the layout and
// partials (templates/*.html) cloned and joined with the page's file, which
// defines "title" and "content". Escaping is forced here with a dry run, so
// an escaping error fails New instead of a request.
func (p *Pages) parse(fsys fs.FS, lang i18n.Lang) (map[string]*template.Template, error) {
	base, err := template.New("").Funcs(p.funcs(lang)).ParseFS(fsys, "templates/*.html")
	if err != nil {
		return nil, errorf("layout: %w", err)
	}
	if base.Lookup("layout") == nil {
		return nil, errorf("templates/*.html define no \"layout\"")
	}
	found, err := fs.Glob(fsys, "templates/pages/*.html")
	if err != nil {
		return nil, errorf("pages: %w", err)
	}
	out := map[string]*template.Template{}
	for _, f := range found {
		name := strings.TrimSuffix(path.Base(f), ".html")
		b, err := fs.ReadFile(fsys, f)
		if err != nil {
			return nil, errorf("page %s: %w", name, err)
		}
		t, err := template.Must(base.Clone()).Parse(string(b))
		if err != nil {
			return nil, errorf("page %s: %w", name, err)
		}
		if t.Lookup("content") == nil || t.Lookup("title") == nil {
			return nil, errorf("page %s: must define \"title\" and \"content\"", name)
		}
		var escErr *template.Error
		if err := t.ExecuteTemplate(io.Discard, "layout", view{}); errors.As(err, &escErr) {
			return nil, errorf("page %s: %w", name, err)
		}
		out[name] = t
	}
	for _, name := range pageNames {
		if out[name] == nil {
			return nil, errorf("page %q is missing: no templates/pages/%s.html", name, name)
		}
	}
	return out, nil
}

// funcs are the template functions, bound to one language:
//
//	t "key"                  the label in the language (labels/*.json)
//	msg "code" [args]        a catalogue message; args a map[string]string or key, value pairs
//	asset "app.css"          the cache-busted URL of a static file
//	lang                     the language tag
//	field FORM "name" "type" "label-key" [opt value ...]   a Field for the "field" partial
//	summary FORM             the form's error summary, nil without errors
func (p *Pages) funcs(lang i18n.Lang) template.FuncMap {
	return template.FuncMap{
		"t": func(key string) (string, error) {
			if s, ok := p.labels[lang][key]; ok {
				return s, nil
			}
			return "", errorf("no label %q", key)
		},
		"msg": func(code string, args ...any) (string, error) {
			m, err := argMap(args)
			if err != nil {
				return "", err
			}
			return i18n.Default().Message(lang, code, m), nil
		},
		"asset": func(name string) (string, error) {
			if u, ok := p.assets.url[name]; ok {
				return u, nil
			}
			return "", errorf("no static file %q", name)
		},
		"lang": func() string { return string(lang) },
		"field": func(form any, name, typ, label string, opts ...string) (Field, error) {
			return p.field(lang, form, name, typ, label, opts)
		},
		"summary": func(form any) (*Summary, error) {
			f, err := asForm(form)
			if err != nil {
				return nil, err
			}
			return f.summary(lang), nil
		},
	}
}

// argMap reads msg's arguments: none, one map, or key, value string pairs.
func argMap(args []any) (map[string]string, error) {
	if len(args) == 1 {
		if m, ok := args[0].(map[string]string); ok {
			return m, nil
		}
	}
	if len(args)%2 != 0 {
		return nil, errorf("msg: odd number of arguments")
	}
	m := map[string]string{}
	for i := 0; i < len(args); i += 2 {
		k, ok1 := args[i].(string)
		v, ok2 := args[i+1].(string)
		if !ok1 || !ok2 {
			return nil, errorf("msg: arguments must be strings")
		}
		m[k] = v
	}
	return m, nil
}
