package regulator

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/beian/beian/i18n"
)

// Every code of this package has a message in every language, and the
// catalogues hold no registry.* code the package does not produce.
func TestCodesHaveMessages(t *testing.T) {
	cat := i18n.Default()
	codes := Codes()
	for code := range codes {
		for _, lang := range i18n.Langs {
			if !cat.Has(lang, code) {
				t.Errorf("%s: no message for %s", lang, code)
			}
		}
	}
	for _, lang := range i18n.Langs {
		for _, code := range cat.Codes(lang) {
			if _, ok := codes[code]; strings.HasPrefix(code, "registry.") && !ok {
				t.Errorf("%s: message for %s, which Codes does not list", lang, code)
			}
		}
	}
}

// Every registry.* code written in this package's source is listed by Codes.
func TestCodesListEverySourceCode(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	lit := regexp.MustCompile(`"(registry\.[a-z_]+)"`)
	codes := Codes()
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range lit.FindAllStringSubmatch(string(b), -1) {
			if _, ok := codes[m[1]]; !ok {
				t.Errorf("%s uses %s, which Codes does not list", f, m[1])
			}
		}
	}
}

// The embedded registrar list loads, names its source and holds dozens of
// registrars; aliases and full-width forms match (Rule WEB-6).
func TestRegistrars(t *testing.T) {
	r, err := DefaultRegistrars()
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Names) < 24 || !strings.Contains(r.Source, "replace with the current list") {
		t.Fatalf("%d registrars, source %q", len(r.Names), r.Source)
	}
	for name, want := range map[string]bool{
		"阿里云计算有限公司(万网)": true, "阿里云计算有限公司": true, "万网": true, "阿里云计算有限公司（万网）": true,
		"腾讯云计算（北京）有限责任公司": true, "腾讯云计算(北京)有限责任公司": true, "腾讯云计算": false,
		"西部数码": true, "zdns": true, "": false, "GoDaddy.com, LLC": false,
	} {
		if got := r.Approved(name); got != want {
			t.Errorf("Approved(%q) = %v, want %v", name, got, want)
		}
	}
}
