package calendar

import (
	"fmt"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/6tail/lunar-go/calendar"
)

// Rule CAL-1: the estimate holds the statutory holidays of the regulation as
// revised in 2025, with lunar dates and the Qingming term computed.
func TestEstimateDates(t *testing.T) {
	tests := []struct {
		name string
		year int
		want []string // days the estimate must have off
	}{
		// 除夕 2025 is 腊月廿九: the 12th month has 29 days.
		{"OK2025", 2025, []string{"2025-01-01", "2025-01-28", "2025-01-29", "2025-01-30", "2025-01-31",
			"2025-04-04", "2025-05-01", "2025-05-02", "2025-05-31", "2025-10-01", "2025-10-02", "2025-10-03", "2025-10-06"}},
		{"OK2026", 2026, []string{"2026-01-01", "2026-02-16", "2026-02-17", "2026-02-18", "2026-02-19",
			"2026-04-05", "2026-05-01", "2026-05-02", "2026-06-19", "2026-09-25", "2026-10-01", "2026-10-02", "2026-10-03"}},
		{"OK2028", 2028, []string{"2028-01-01", "2028-01-25", "2028-01-26", "2028-01-27", "2028-01-28",
			"2028-04-04", "2028-05-01", "2028-05-02", "2028-05-28", "2028-10-01", "2028-10-02", "2028-10-03"}},
		// 中秋 2020 fell on October 1st: twelve days, not thirteen.
		{"OKMidAutumnOnNationalDay", 2020, []string{"2020-01-01", "2020-01-24", "2020-01-25", "2020-01-26", "2020-01-27",
			"2020-04-04", "2020-05-01", "2020-05-02", "2020-06-25", "2020-10-01", "2020-10-02", "2020-10-03"}},
		{"OKWeekendsOnlyBefore1901", 1900, []string{}},
		{"OKWeekendsOnlyAfter2099", 2100, []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			y := Estimate(tt.year)
			if !slices.Equal(y.Off, tt.want) || len(y.Workdays) != 0 {
				t.Errorf("Estimate(%d) = off %v, workdays %v\nwant off %v", tt.year, y.Off, y.Workdays, tt.want)
			}
			if y.Source == "" {
				t.Error("no source")
			}
		})
	}
}

// Rule CAL-1: the statutory days are a subset of the real notices' days off
// (the notices add bridging days and make-up workdays, never remove a
// statutory day); 2027 is checked against lunar-go's table.
func TestEstimateWithinNotices(t *testing.T) {
	c := Default()
	for _, year := range []int{2025, 2026, 2027} {
		t.Run(fmt.Sprintf("OK%d", year), func(t *testing.T) {
			real, est := c.Holidays(year)
			if est {
				t.Fatalf("%d has no file", year)
			}
			for _, d := range Estimate(year).Off {
				if _, found := slices.BinarySearch(real.Off, d); !found {
					t.Errorf("statutory holiday %s is not off in the %d file", d, year)
				}
			}
		})
	}
}

// Every estimate of 1901–2099 is a valid Year, with New Year's Eve on the
// last day of the 12th lunar month and Qingming on April 3rd–6th.
func TestEstimateEveryYear(t *testing.T) {
	for year := FirstLunarYear; year <= LastLunarYear; year++ {
		y := Estimate(year)
		if err := y.validate(); err != nil {
			t.Fatalf("Estimate(%d): %v", year, err)
		}
		if n := len(y.Off); n < 12 || n > 13 {
			t.Errorf("Estimate(%d) has %d days off, want 12 or 13", year, n)
		}
		eve := date(t, y.Off[1]) // after January 1st, 除夕 is the earliest
		l := calendar.NewLunarFromDate(eve)
		next := calendar.NewLunarFromDate(eve.AddDate(0, 0, 1))
		if l.GetMonth() != 12 || next.GetMonth() != 1 || next.GetDay() != 1 {
			t.Errorf("%d: 除夕 %s is lunar %d/%d, followed by %d/%d", year, y.Off[1], l.GetMonth(), l.GetDay(), next.GetMonth(), next.GetDay())
		}
		q := qingming(year)
		if q.Year() != year || q.Month() != time.April || q.Day() < 3 || q.Day() > 6 {
			t.Errorf("%d: Qingming on %s", year, q.Format(time.DateOnly))
		}
	}
}

// Rule CAL-1: a Calendar answers for a year without a file from the estimate,
// and says so.
func TestCalendarUsesEstimate(t *testing.T) {
	c := Default()
	if !c.Estimated(2028) || c.Estimated(2027) {
		t.Errorf("Estimated(2028) = %v, Estimated(2027) = %v; want true, false", c.Estimated(2028), c.Estimated(2027))
	}
	y, est := c.Holidays(2028)
	if !est || !reflect.DeepEqual(y, Estimate(2028)) {
		t.Errorf("Holidays(2028) = %v, %v; want the estimate, true", y, est)
	}
	y, est = c.Holidays(1800)
	if !est || y.Source != WeekendsOnlySource {
		t.Errorf("Holidays(1800) = %v, %v; want weekends only, true", y, est)
	}
}
