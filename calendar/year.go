package calendar

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/beian/beian"
)

// ErrInvalidYear is wrapped by every error ParseYear returns, so that callers
// can tell a bad holiday file from an I/O failure.
var ErrInvalidYear = errors.New("invalid holiday file")

// Year is one holiday file (Rule CAL-1):
//
//	{"year":2026,"source":"…","off":["2026-01-01",…],"workdays":["2026-01-04",…]}
//
// Off lists the public holidays (non-working days, whatever their weekday);
// Workdays lists the make-up workdays (调休上班), each on a Saturday or Sunday.
// Every other Saturday and Sunday is a non-working day. Dates are YYYY-MM-DD
// in China Standard Time (Rule CAL-0).
type Year struct {
	Year     int      `json:"year"`
	Source   string   `json:"source"`
	Off      []string `json:"off"`
	Workdays []string `json:"workdays"`
}

// ParseYear decodes and validates one holiday file. It is strict: unknown
// fields and trailing data are refused; year must be 1–9999; source must say
// where the data comes from; every date must be a valid YYYY-MM-DD of that
// year, listed once; off and workdays must be disjoint; and every make-up
// workday must fall on a Saturday or Sunday. The result has its dates sorted
// and its lists non-nil. Every error wraps ErrInvalidYear.
func ParseYear(b []byte) (y Year, err error) {
	defer func() {
		if err != nil {
			y, err = Year{}, fmt.Errorf("%w: %w", ErrInvalidYear, err)
		}
	}()
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&y); err != nil {
		return y, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return y, errors.New("trailing data after the JSON object")
	}
	y.Off = sortedCopy(y.Off)
	y.Workdays = sortedCopy(y.Workdays)
	return y, y.validate()
}

// validate checks the invariants ParseYear promises, on a Year whose lists
// are sorted.
func (y Year) validate() error {
	if y.Year < 1 || y.Year > 9999 {
		return fmt.Errorf("year %d out of range 1–9999", y.Year)
	}
	if strings.TrimSpace(y.Source) == "" {
		return errors.New("source is required")
	}
	for _, list := range []struct {
		name  string
		dates []string
	}{{"off", y.Off}, {"workdays", y.Workdays}} {
		for i, s := range list.dates {
			d, err := beian.ParseDate(s)
			if err != nil || d.Format(time.DateOnly) != s {
				return fmt.Errorf("%s: %q is not a YYYY-MM-DD date", list.name, s)
			}
			if d.Year() != y.Year {
				return fmt.Errorf("%s: %s is not in year %d", list.name, s, y.Year)
			}
			if i > 0 && list.dates[i-1] == s {
				return fmt.Errorf("%s: %s is listed twice", list.name, s)
			}
			if list.name == "workdays" {
				if wd := d.Weekday(); wd != time.Saturday && wd != time.Sunday {
					return fmt.Errorf("workdays: %s is a %s; a make-up workday falls on a Saturday or Sunday (Rule CAL-1)", s, wd)
				}
				if _, found := slices.BinarySearch(y.Off, s); found {
					return fmt.Errorf("%s is both off and a workday", s)
				}
			}
		}
	}
	return nil
}

// sortedCopy returns the strings sorted, as a new non-nil slice.
func sortedCopy(s []string) []string {
	c := append([]string{}, s...)
	slices.Sort(c)
	return c
}

// clone returns a deep copy, so that callers cannot change a loaded Calendar.
func (y Year) clone() Year {
	y.Off = slices.Clone(y.Off)
	y.Workdays = slices.Clone(y.Workdays)
	return y
}
