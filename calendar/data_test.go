package calendar

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/6tail/lunar-go/HolidayUtil"
	"github.com/beian/beian"
)

// date parses a YYYY-MM-DD date as midnight CST.
func date(tb testing.TB, s string) time.Time {
	tb.Helper()
	d, err := beian.ParseDate(s)
	if err != nil {
		tb.Fatal(err)
	}
	return d
}

// notice is one festival row of a State Council notice, as HOLIDAYS.md
// prints it: a range of days off and the make-up workdays.
type notice struct {
	festival string
	from, to string
	workdays []string
}

// The tables of HOLIDAYS.md, copied by hand (Rule CAL-1).
var notices = map[int][]notice{
	2025: {
		{"元旦", "2025-01-01", "2025-01-01", nil},
		{"春节", "2025-01-28", "2025-02-04", []string{"2025-01-26", "2025-02-08"}},
		{"清明节", "2025-04-04", "2025-04-06", nil},
		{"劳动节", "2025-05-01", "2025-05-05", []string{"2025-04-27"}},
		{"端午节", "2025-05-31", "2025-06-02", nil},
		{"国庆节·中秋节", "2025-10-01", "2025-10-08", []string{"2025-09-28", "2025-10-11"}},
	},
	2026: {
		{"元旦", "2026-01-01", "2026-01-03", []string{"2026-01-04"}},
		{"春节", "2026-02-15", "2026-02-23", []string{"2026-02-14", "2026-02-28"}},
		{"清明节", "2026-04-04", "2026-04-06", nil},
		{"劳动节", "2026-05-01", "2026-05-05", []string{"2026-05-09"}},
		{"端午节", "2026-06-19", "2026-06-21", nil},
		{"中秋节", "2026-09-25", "2026-09-27", nil},
		{"国庆节", "2026-10-01", "2026-10-07", []string{"2026-09-20", "2026-10-10"}},
	},
}

// expand returns the sorted days off and workdays of a year's notice rows.
func expand(tb testing.TB, rows []notice) (off, work []string) {
	tb.Helper()
	for _, r := range rows {
		for d := date(tb, r.from); !d.After(date(tb, r.to)); d = d.AddDate(0, 0, 1) {
			off = append(off, d.Format(time.DateOnly))
		}
		work = append(work, r.workdays...)
	}
	slices.Sort(off)
	slices.Sort(work)
	return off, work
}

// Rule CAL-1: the shipped 2025 and 2026 files are exactly the notices of
// HOLIDAYS.md.
func TestFilesMatchNotices(t *testing.T) {
	c := Default()
	for year, rows := range notices {
		t.Run(fmt.Sprintf("OK%d", year), func(t *testing.T) {
			off, work := expand(t, rows)
			y, est := c.Holidays(year)
			if est {
				t.Fatalf("%d is estimated, want the embedded file", year)
			}
			if !slices.Equal(y.Off, off) {
				t.Errorf("off = %v\nwant %v", y.Off, off)
			}
			if !slices.Equal(y.Workdays, work) {
				t.Errorf("workdays = %v\nwant %v", y.Workdays, work)
			}
		})
	}
}

// moduleYear decodes one year of lunar-go's HolidayUtil table through its own
// API, day by day.
func moduleYear(tb testing.TB, year int) (off, work []string) {
	tb.Helper()
	for d := time.Date(year, 1, 1, 0, 0, 0, 0, beian.CST); d.Year() == year; d = d.AddDate(0, 0, 1) {
		s := d.Format(time.DateOnly)
		h := HolidayUtil.GetHoliday(s)
		switch {
		case h == nil:
		case h.GetDay() != s:
			tb.Fatalf("lunar-go: GetHoliday(%s) returned %s", s, h)
		case h.IsWork():
			work = append(work, s)
		default:
			off = append(off, s)
		}
	}
	return off, work
}

// Rule CAL-1: 2027.json is lunar-go v1.4.7's 2027 table, date for date, so
// that the file and the module cannot silently disagree.
func TestFile2027MatchesLunarGo(t *testing.T) {
	off, work := moduleYear(t, 2027)
	y, est := Default().Holidays(2027)
	if est {
		t.Fatal("2027 is estimated, want the embedded file")
	}
	if !slices.Equal(y.Off, off) {
		t.Errorf("off = %v\nlunar-go %v", y.Off, off)
	}
	if !slices.Equal(y.Workdays, work) {
		t.Errorf("workdays = %v\nlunar-go %v", y.Workdays, work)
	}
	if len(off) == 0 {
		t.Error("lunar-go has no 2027 holidays: wrong module version?")
	}
}

// Rule CAL-1: before trusting lunar-go for 2027, its 2025 and 2026 entries
// agree with the State Council's notices in HOLIDAYS.md.
func TestLunarGoMatchesNotices(t *testing.T) {
	for year, rows := range notices {
		t.Run(fmt.Sprintf("OK%d", year), func(t *testing.T) {
			wantOff, wantWork := expand(t, rows)
			off, work := moduleYear(t, year)
			if !slices.Equal(off, wantOff) {
				t.Errorf("lunar-go off = %v\nnotice %v", off, wantOff)
			}
			if !slices.Equal(work, wantWork) {
				t.Errorf("lunar-go workdays = %v\nnotice %v", work, wantWork)
			}
		})
	}
}

// Rule CAL-1: the embedded files load, cover 2025–2027, and name a source.
func TestEmbeddedYears(t *testing.T) {
	ys := Default().Years()
	var got []int
	for _, y := range ys {
		got = append(got, y.Year)
		if y.Source == "" {
			t.Errorf("%d: no source", y.Year)
		}
	}
	if want := []int{2025, 2026, 2027}; !slices.Equal(got, want) {
		t.Errorf("years = %v, want %v", got, want)
	}
	ys[0].Off[0] = "2025-12-25"
	if y, _ := Default().Holidays(2025); y.Off[0] != "2025-01-01" {
		t.Error("Years returned the calendar's own slices")
	}
}
