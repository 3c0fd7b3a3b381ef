package regulator

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/beian/beian/i18n"
)

// checkAreaCodes checks one area's codes: each has a message in every
// language, and every registry.* code written by the area's source files
// (patterns, tests excluded) is listed by Codes, which merges every area.
func checkAreaCodes(t *testing.T, codes map[string]string, patterns []string) {
	t.Helper()
	cat := i18n.Default()
	for code := range codes {
		for _, lang := range i18n.Langs {
			if !cat.Has(lang, code) {
				t.Errorf("%s: no message for %s", lang, code)
			}
		}
	}
	lit := regexp.MustCompile(`"(registry\.[a-z_]+)"`)
	all := Codes()
	for _, pattern := range patterns {
		files, err := filepath.Glob(pattern)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range files {
			if strings.HasSuffix(f, "_test.go") {
				continue
			}
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range lit.FindAllStringSubmatch(string(b), -1) {
				if _, ok := all[m[1]]; !ok {
					t.Errorf("%s uses %s, which Codes does not list", f, m[1])
				}
			}
		}
	}
}
