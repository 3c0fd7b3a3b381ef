package regulator

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/beian/beian/i18n"
)

// deskFiles are the source files of the bureau desk and the password retrieval.
var deskFiles = []string{"password_retrieval*.go", "password_requests*.go", "desk_*.go"}

// Every code of the desk has a message in every language, and every
// registry.* code its source writes is listed by DeskCodes, PipelineCodes
// or Codes.
func TestDeskCodesHaveMessages(t *testing.T) {
	cat := i18n.Default()
	codes := DeskCodes()
	for code := range codes {
		for _, lang := range i18n.Langs {
			if !cat.Has(lang, code) {
				t.Errorf("%s: no message for %s", lang, code)
			}
		}
	}
	lit := regexp.MustCompile(`"(registry\.[a-z_]+)"`)
	for _, pattern := range deskFiles {
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
				_, mine := codes[m[1]]
				_, pipeline := PipelineCodes()[m[1]]
				_, core := Codes()[m[1]]
				if !mine && !pipeline && !core {
					t.Errorf("%s uses %s, which neither DeskCodes, PipelineCodes nor Codes lists", f, m[1])
				}
			}
		}
	}
}
