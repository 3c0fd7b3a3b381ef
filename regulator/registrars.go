package regulator

import (
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"strings"
	"time"
	"unicode"
)

//go:embed data/registrars.json
var dataFS embed.FS

// Registrars is the list of approved domain registrars (Rule WEB-6, the
// second of the registry's five checks), kept as data with its source and
// effective date (Rule SUBJ-4: lists drift; never code).
type Registrars struct {
	Source    string   `json:"source"`
	Effective string   `json:"effective"`
	Names     []string `json:"registrars"`
	index     map[string]bool
}

// DefaultRegistrars returns the embedded list (data/registrars.json).
func DefaultRegistrars() (*Registrars, error) { return LoadRegistrars(dataFS, "data/registrars.json") }

// LoadRegistrars reads a registrar list file from fsys: {"source",
// "effective" (YYYY-MM-DD), "registrars": [names]}. A name that ends in a
// parenthesised alias, "阿里云计算有限公司(万网)", is also known by the name
// before the parentheses and by the alias alone.
func LoadRegistrars(fsys fs.FS, name string) (*Registrars, error) {
	b, err := fs.ReadFile(fsys, name)
	if err != nil {
		return nil, fmt.Errorf("registrars: %w", err)
	}
	var r Registrars
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&r); err != nil {
		return nil, fmt.Errorf("registrars: %s: %w", name, err)
	}
	if r.Source == "" || len(r.Names) == 0 {
		return nil, fmt.Errorf("registrars: %s: source and a non-empty list are required", name)
	}
	if _, err := time.Parse(time.DateOnly, r.Effective); err != nil {
		return nil, fmt.Errorf("registrars: %s: effective: %w", name, err)
	}
	r.index = map[string]bool{}
	for _, n := range r.Names {
		k := registrarKey(n)
		if k == "" || r.index[k] {
			return nil, fmt.Errorf("registrars: %s: empty or duplicate name %q", name, n)
		}
		r.index[k] = true
		if base, alias, ok := splitAlias(k); ok {
			r.index[base], r.index[alias] = true, true
		}
	}
	return &r, nil
}

// Approved reports whether a registrar name, as a registration record gives
// it, is on the list. Full-width forms, spaces and letter case are ignored.
// A nil list approves no registrar (the check then fails, never passes).
func (r *Registrars) Approved(name string) bool {
	k := registrarKey(name)
	return r != nil && k != "" && r.index[k]
}

// registrarKey folds a registrar name for comparison: full-width ASCII and
// parentheses to ASCII, spaces dropped, Latin letters lower-cased.
func registrarKey(s string) string {
	var b strings.Builder
	for _, c := range s {
		switch {
		case c >= 0xFF01 && c <= 0xFF5E:
			c -= 0xFF01 - 0x21
		case unicode.IsSpace(c):
			continue
		}
		b.WriteRune(unicode.ToLower(c))
	}
	return b.String()
}

// splitAlias splits "name(alias)" into its two parts.
func splitAlias(k string) (base, alias string, ok bool) {
	if !strings.HasSuffix(k, ")") {
		return "", "", false
	}
	i := strings.LastIndexByte(k, '(')
	if i <= 0 || i+1 >= len(k)-1 {
		return "", "", false
	}
	return k[:i], k[i+1 : len(k)-1], true
}
