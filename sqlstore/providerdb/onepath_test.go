package providerdb_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// Rule GATE-1: a website's number, domains and access change only through
// SaveWebsite, which writes the servable-domain table in the same
// transaction. No other file of the store may write those tables.
func TestOneWritePathForWebsiteState(t *testing.T) {
	writes := regexp.MustCompile(`(?i)(INSERT INTO|UPDATE|DELETE FROM)\s+(websites|website_domains|servable_domains|servable_changes)\b`)
	files, _ := filepath.Glob("*.go")
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") || f == "websites.go" {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if m := writes.FindString(string(b)); m != "" {
			t.Errorf("%s writes website state outside SaveWebsite: %q", f, m)
		}
	}
}
