package regulator

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/beian/beian/i18n"
)

// pipelineFiles are the pipeline's source files.
var pipelineFiles = []string{"submissions*.go", "sms*.go", "bureau*.go", "events*.go", "connector*.go", "passwords*.go"}

// Every code of the pipeline has a message in every language, and every
// registry.* code its source writes is listed by PipelineCodes or Codes.
func TestPipelineCodesHaveMessages(t *testing.T) {
	cat := i18n.Default()
	codes := PipelineCodes()
	for code := range codes {
		for _, lang := range i18n.Langs {
			if !cat.Has(lang, code) {
				t.Errorf("%s: no message for %s", lang, code)
			}
		}
	}
	lit := regexp.MustCompile(`"(registry\.[a-z_]+)"`)
	for _, pattern := range pipelineFiles {
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
				_, core := Codes()[m[1]]
				if !mine && !core {
					t.Errorf("%s uses %s, which neither PipelineCodes nor Codes lists", f, m[1])
				}
			}
		}
	}
}
