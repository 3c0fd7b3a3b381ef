package calendar

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// writeFiles writes name → content files into a new temporary directory.
func writeFiles(tb testing.TB, files map[string]string) string {
	tb.Helper()
	dir := tb.TempDir()
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			tb.Fatal(err)
		}
	}
	return dir
}

// Rule CAL-1: a directory replaces embedded years and adds new ones, without
// a rebuild.
func TestLoadOverlay(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"2026.json": `{"year":2026,"source":"test replacement","off":["2026-01-01"],"workdays":["2026-01-03"]}`,
		"2030.json": `{"year":2030,"source":"test 2030","off":["2030-10-01"],"workdays":["2030-09-29"]}`,
		"README.md": "not a holiday file",
		"2031.txt":  "ignored too",
	})
	c, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Run("OKReplaced2026", func(t *testing.T) {
		y, est := c.Holidays(2026)
		want := Year{Year: 2026, Source: "test replacement", Off: []string{"2026-01-01"}, Workdays: []string{"2026-01-03"}}
		if est || !reflect.DeepEqual(y, want) {
			t.Errorf("Holidays(2026) = %#v, %v; want %#v, false", y, est, want)
		}
		if ok, _ := c.IsBusinessDay(date(t, "2026-10-05")); !ok {
			t.Error("2026-10-05 is a holiday of the embedded file, not of the replacement")
		}
		if ok, _ := c.IsBusinessDay(date(t, "2026-01-03")); !ok {
			t.Error("2026-01-03 is a make-up workday of the replacement")
		}
		if ok, _ := Default().IsBusinessDay(date(t, "2026-10-05")); ok {
			t.Error("the overlay changed Default()")
		}
	})
	t.Run("OKAdded2030", func(t *testing.T) {
		if c.Estimated(2030) {
			t.Error("2030 is estimated despite its file")
		}
		got, est := c.AddBusinessDays(date(t, "2030-09-27"), 1) // Friday → Sunday make-up day
		if !got.Equal(date(t, "2030-09-29")) || est {
			t.Errorf("AddBusinessDays(2030-09-27, 1) = %s, %v; want 2030-09-29, false", got, est)
		}
	})
	t.Run("OKKeptEmbedded", func(t *testing.T) {
		var got []int
		for _, y := range c.Years() {
			got = append(got, y.Year)
		}
		if want := []int{2025, 2026, 2027, 2030}; !slices.Equal(got, want) {
			t.Errorf("Years = %v, want %v", got, want)
		}
	})
}

// Rule CAL-1: a bad file stops the load, and the error names it.
func TestLoadRejects(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
		bad   string // file the error must name
	}{
		{"ErrMakeUpOnWeekday", map[string]string{
			"2030.json": `{"year":2030,"source":"s","off":[],"workdays":[]}`,
			"2026.json": `{"year":2026,"source":"s","off":[],"workdays":["2026-01-05"]}`,
		}, "2026.json"},
		{"ErrYearDiffersFromName", map[string]string{
			"2031.json": `{"year":2030,"source":"s","off":[],"workdays":[]}`,
		}, "2031.json"},
		{"ErrNotJSON", map[string]string{"2029.json": `{`}, "2029.json"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := writeFiles(t, tt.files)
			c, err := Load(dir)
			if err == nil {
				t.Fatalf("Load accepted %v", tt.files)
			}
			if c != nil {
				t.Error("Load returned a calendar with its error")
			}
			if want := filepath.Join(dir, tt.bad); !strings.Contains(err.Error(), want) {
				t.Errorf("error %q does not name %s", err, want)
			}
			if !errors.Is(err, ErrInvalidYear) {
				t.Errorf("error %v does not wrap ErrInvalidYear", err)
			}
		})
	}
	t.Run("ErrMissingDir", func(t *testing.T) {
		if _, err := Load(filepath.Join(t.TempDir(), "none")); err == nil {
			t.Error("Load accepted a missing directory")
		}
	})
}

// FromEnv reads BEIAN_HOLIDAYS_DIR; unset, it is the embedded data.
func TestFromEnv(t *testing.T) {
	t.Run("OKUnset", func(t *testing.T) {
		t.Setenv(EnvDir, "")
		c, err := FromEnv()
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(c.Years(), Default().Years()) {
			t.Error("FromEnv without a directory differs from Default")
		}
	})
	t.Run("OKOverlay", func(t *testing.T) {
		t.Setenv(EnvDir, writeFiles(t, map[string]string{
			"2030.json": `{"year":2030,"source":"s","off":[],"workdays":[]}`,
		}))
		c, err := FromEnv()
		if err != nil {
			t.Fatal(err)
		}
		if c.Estimated(2030) {
			t.Error("2030 from BEIAN_HOLIDAYS_DIR is estimated")
		}
	})
}

// The zero Calendar estimates everything.
func TestZeroCalendar(t *testing.T) {
	var c Calendar
	if ok, est := c.IsBusinessDay(date(t, "2025-10-01")); ok || !est {
		t.Errorf("zero Calendar: IsBusinessDay(2025-10-01) = %v, %v; want false, true", ok, est)
	}
	if len(c.Years()) != 0 {
		t.Error("zero Calendar has years")
	}
}
