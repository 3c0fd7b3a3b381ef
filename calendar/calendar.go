// Package calendar counts business days (Rules CAL-0, CAL-1): dates are
// reckoned in China Standard Time, and business days skip weekends and the
// State Council's public holidays while counting the weekend make-up workdays
// (调休上班). The holiday table is data, one JSON file per year, embedded and
// replaceable or extendable from a directory without a rebuild. A year with no
// file is estimated from the statutory holidays of the national regulation,
// and every answer that depends on such a year says so.
package calendar

import (
	"embed"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"sync"
)

//go:embed holidays/*.json
var embedded embed.FS

// EnvDir names the environment variable FromEnv reads: a directory of
// YYYY.json holiday files overlaying the embedded ones.
const EnvDir = "BEIAN_HOLIDAYS_DIR"

// fileName matches the name of a holiday file; other files in a directory
// are ignored.
var fileName = regexp.MustCompile(`^[0-9]{4}\.json$`)

// Calendar answers business-day questions from the loaded holiday files and,
// for years without a file, from estimates (Rule CAL-1). It is immutable
// after Load and safe for concurrent use. The zero Calendar has no files, so
// every answer is an estimate.
type Calendar struct {
	files map[int]*table
	years []Year // the files, sorted by year
}

// Load returns a Calendar of the embedded holiday files (2025, 2026, 2027),
// overlaid by every YYYY.json file in dir when dir is not empty: a file for a
// year replaces the embedded one, a file for a new year extends the table.
// Other files in dir are ignored. A file that fails ParseYear, or whose year
// differs from its name, is an error naming the file; so is a missing dir.
func Load(dir string) (*Calendar, error) {
	years := map[int]Year{}
	if err := loadDir(embedded, "holidays", "holidays", years); err != nil {
		return nil, err
	}
	if dir != "" {
		if err := loadDir(os.DirFS(dir), ".", dir, years); err != nil {
			return nil, err
		}
	}
	c := &Calendar{files: make(map[int]*table, len(years))}
	for _, y := range years {
		c.files[y.Year] = newTable(y, false)
		c.years = append(c.years, y)
	}
	slices.SortFunc(c.years, func(a, b Year) int { return a.Year - b.Year })
	return c, nil
}

// loadDir parses every YYYY.json in fsys's directory dir into years;
// display is the directory's name in errors.
func loadDir(fsys fs.FS, dir, display string, years map[int]Year) error {
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return fmt.Errorf("calendar: holiday directory: %w", err)
	}
	for _, e := range entries {
		if !fileName.MatchString(e.Name()) {
			continue
		}
		name := filepath.Join(display, e.Name())
		b, err := fs.ReadFile(fsys, path.Join(dir, e.Name()))
		if err != nil {
			return fmt.Errorf("calendar: %s: %w", name, err)
		}
		y, err := ParseYear(b)
		if err != nil {
			return fmt.Errorf("calendar: %s: %w", name, err)
		}
		if want, _ := strconv.Atoi(e.Name()[:4]); y.Year != want {
			return fmt.Errorf("calendar: %s: %w: holds year %d", name, ErrInvalidYear, y.Year)
		}
		years[y.Year] = y
	}
	return nil
}

// FromEnv loads the embedded files overlaid by the directory named in the
// BEIAN_HOLIDAYS_DIR environment variable, if set (see Load).
func FromEnv() (*Calendar, error) {
	return Load(os.Getenv(EnvDir))
}

// Default returns the Calendar of the embedded files only, loaded once.
func Default() *Calendar { return defaultCalendar() }

var defaultCalendar = sync.OnceValue(func() *Calendar {
	c, err := Load("")
	if err != nil {
		panic(err) // the embedded files are tested
	}
	return c
})

// Estimated reports whether no file covers the year, so that its dates are
// estimates (Rule CAL-1).
func (c *Calendar) Estimated(year int) bool {
	_, ok := c.files[year]
	return !ok
}

// Years returns the loaded holiday files (not the estimates), sorted by year.
func (c *Calendar) Years() []Year {
	out := make([]Year, len(c.years))
	for i, y := range c.years {
		out[i] = y.clone()
	}
	return out
}

// Holidays returns the year's file, or when there is none the estimate built
// for it with estimated true (Rule CAL-1).
func (c *Calendar) Holidays(year int) (y Year, estimated bool) {
	t := c.table(year)
	return t.data.clone(), t.estimated
}

// table returns the year's table: its file's, or the estimate's.
func (c *Calendar) table(year int) *table {
	if t, ok := c.files[year]; ok {
		return t
	}
	return estimate(year)
}
