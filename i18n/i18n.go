// Package i18n holds the message catalogues (zh-CN first, en) and renders
// problem codes and error kinds into the caller's language. Validators return
// codes; only the edge (API answers, pages, the CLI) turns them into text
// through this package, so one catalogue serves every surface.
//
// Catalogues are flat JSON files, messages/<lang>/<area>.json, mapping a code
// to a message with {name} placeholders filled from the problem's args.
package i18n

import (
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
	"sync"
)

// Lang is a supported language tag.
type Lang string

// The supported languages; ZH is the default.
const (
	ZH Lang = "zh-CN"
	EN Lang = "en"
)

// Langs lists the supported languages, default first.
var Langs = []Lang{ZH, EN}

//go:embed messages
var embedded embed.FS

// Catalog maps message codes to text per language.
type Catalog struct {
	msgs map[Lang]map[string]string
}

var (
	defaultOnce sync.Once
	defaultCat  *Catalog
	defaultErr  error
)

// Default returns the embedded catalogue; it panics when the embedded files
// are broken, which this package's tests rule out.
func Default() *Catalog {
	defaultOnce.Do(func() {
		sub, _ := fs.Sub(embedded, "messages")
		defaultCat, defaultErr = Load(sub)
	})
	if defaultErr != nil {
		panic("i18n: embedded catalogue: " + defaultErr.Error())
	}
	return defaultCat
}

// Load reads <lang>/*.json for every supported language from fsys. A code
// defined twice in one language is an error.
func Load(fsys fs.FS) (*Catalog, error) {
	c := &Catalog{msgs: map[Lang]map[string]string{}}
	for _, lang := range Langs {
		m := map[string]string{}
		files, err := fs.Glob(fsys, string(lang)+"/*.json")
		if err != nil {
			return nil, err
		}
		for _, f := range files {
			b, err := fs.ReadFile(fsys, f)
			if err != nil {
				return nil, err
			}
			var part map[string]string
			if err := json.Unmarshal(b, &part); err != nil {
				return nil, fmt.Errorf("i18n: %s: %w", f, err)
			}
			for k, v := range part {
				if _, dup := m[k]; dup {
					return nil, fmt.Errorf("i18n: %s: code %q defined twice", path.Base(f), k)
				}
				m[k] = v
			}
		}
		c.msgs[lang] = m
	}
	return c, nil
}

// Has reports whether the language's catalogue holds the code.
func (c *Catalog) Has(lang Lang, code string) bool {
	_, ok := c.msgs[lang][code]
	return ok
}

// Codes lists the codes of one language, sorted.
func (c *Catalog) Codes(lang Lang) []string {
	out := make([]string, 0, len(c.msgs[lang]))
	for k := range c.msgs[lang] {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Message renders the code in the language, filling {name} placeholders from
// args. A code missing in the language falls back to zh-CN, then to the code
// itself, so a gap never hides the problem.
func (c *Catalog) Message(lang Lang, code string, args map[string]string) string {
	msg, ok := c.msgs[lang][code]
	if !ok {
		if msg, ok = c.msgs[ZH][code]; !ok {
			return code
		}
	}
	if len(args) == 0 || !strings.Contains(msg, "{") {
		return msg
	}
	pairs := make([]string, 0, 2*len(args))
	for k, v := range args {
		pairs = append(pairs, "{"+k+"}", v)
	}
	return strings.NewReplacer(pairs...).Replace(msg)
}

// Parse returns the supported language a tag names, and false for others.
// "zh", "zh-CN", "zh-Hans", "zh_CN" mean zh-CN; "en", "en-US" … mean en.
func Parse(tag string) (Lang, bool) {
	t := strings.ToLower(strings.TrimSpace(tag))
	t = strings.ReplaceAll(t, "_", "-")
	switch {
	case t == "zh" || strings.HasPrefix(t, "zh-"):
		return ZH, true
	case t == "en" || strings.HasPrefix(t, "en-"):
		return EN, true
	}
	return "", false
}

// Negotiate picks the language for an Accept-Language header: the supported
// language with the highest q value, zh-CN when none matches.
func Negotiate(acceptLanguage string) Lang {
	best, bestQ := ZH, -1.0
	for _, part := range strings.Split(acceptLanguage, ",") {
		tag, params, _ := strings.Cut(part, ";")
		q := 1.0
		if v, ok := strings.CutPrefix(strings.TrimSpace(params), "q="); ok {
			f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			if err != nil || f < 0 || f > 1 {
				continue
			}
			q = f
		}
		if lang, ok := Parse(tag); ok && q > 0 && q > bestQ {
			best, bestQ = lang, q
		}
	}
	return best
}
