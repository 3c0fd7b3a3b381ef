package calendar

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

// Rule CAL-1: holiday files are parsed strictly.
func TestParseYear(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string // substring of the error; "" for success
	}{
		{"OK", `{"year":2026,"source":"notice","off":["2026-01-02","2026-01-01"],"workdays":["2026-01-04"]}`, ""},
		{"OKEmptyLists", `{"year":2030,"source":"s","off":[],"workdays":[]}`, ""},
		{"OKMissingLists", `{"year":2030,"source":"s"}`, ""},
		{"OKTrailingSpace", "{\"year\":2030,\"source\":\"s\"}\n\t ", ""},
		{"ErrWorkdayOnWeekday", `{"year":2026,"source":"s","off":[],"workdays":["2026-01-05"]}`, "2026-01-05 is a Monday"},
		{"ErrYearMismatchOff", `{"year":2026,"source":"s","off":["2025-10-01"],"workdays":[]}`, "2025-10-01 is not in year 2026"},
		{"ErrYearMismatchWorkday", `{"year":2026,"source":"s","off":[],"workdays":["2027-01-31"]}`, "2027-01-31 is not in year 2026"},
		{"ErrUnknownField", `{"year":2026,"source":"s","off":[],"workdays":[],"note":"x"}`, `unknown field "note"`},
		{"ErrOverlap", `{"year":2026,"source":"s","off":["2026-01-04"],"workdays":["2026-01-04"]}`, "2026-01-04 is both off and a workday"},
		{"ErrDuplicate", `{"year":2026,"source":"s","off":["2026-01-01","2026-01-01"]}`, "listed twice"},
		{"ErrNoSource", `{"year":2026,"source":" ","off":[],"workdays":[]}`, "source is required"},
		{"ErrNoYear", `{"source":"s","off":[],"workdays":[]}`, "year 0 out of range"},
		{"ErrBadDate", `{"year":2026,"source":"s","off":["2026-02-30"]}`, `"2026-02-30" is not a YYYY-MM-DD date`},
		{"ErrShortDate", `{"year":2026,"source":"s","off":["2026-1-01"]}`, "is not a YYYY-MM-DD date"},
		{"ErrDateWithTime", `{"year":2026,"source":"s","off":["2026-01-01T00:00:00Z"]}`, "is not a YYYY-MM-DD date"},
		{"ErrTrailingData", `{"year":2030,"source":"s"} {}`, "trailing data"},
		{"ErrNotJSON", `year: 2026`, "invalid character"},
		{"ErrWrongType", `{"year":"2026","source":"s"}`, "cannot unmarshal"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			y, err := ParseYear([]byte(tt.in))
			if tt.want == "" {
				if err != nil {
					t.Fatalf("ParseYear: %v", err)
				}
				if y.Off == nil || y.Workdays == nil {
					t.Errorf("lists not normalised to non-nil: %#v", y)
				}
				return
			}
			if err == nil {
				t.Fatalf("ParseYear accepted %s", tt.in)
			}
			if !errors.Is(err, ErrInvalidYear) {
				t.Errorf("error %v does not wrap ErrInvalidYear", err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error = %v, want it to mention %q", err, tt.want)
			}
		})
	}
}

// ParseYear sorts the dates, so that a file's order does not matter.
func TestParseYearSorts(t *testing.T) {
	y, err := ParseYear([]byte(`{"year":2026,"source":"s","off":["2026-10-01","2026-01-01"],"workdays":["2026-10-10","2026-01-04"]}`))
	if err != nil {
		t.Fatal(err)
	}
	want := Year{Year: 2026, Source: "s", Off: []string{"2026-01-01", "2026-10-01"}, Workdays: []string{"2026-01-04", "2026-10-10"}}
	if !reflect.DeepEqual(y, want) {
		t.Errorf("ParseYear = %#v, want %#v", y, want)
	}
}
