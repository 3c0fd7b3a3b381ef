package calendar

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/beian/beian"
)

// Rules CAL-1 and HOLIDAYS.md's counting convention: from is day 0, counting
// starts on the first business day after (or, for n < 0, before) it.
func TestAddBusinessDays(t *testing.T) {
	tests := []struct {
		name      string
		from      string
		n         int
		want      string
		estimated bool
	}{
		{"OKNationalDay2025", "2025-09-30", 1, "2025-10-09", false},
		{"OKToSundayMakeUp", "2025-09-26", 1, "2025-09-28", false},
		{"OKPastMakeUp", "2025-09-26", 2, "2025-09-29", false},
		{"OKFromHoliday", "2025-10-01", 1, "2025-10-09", false},
		{"OKFromLastHoliday", "2025-10-08", 3, "2025-10-11", false},
		{"OKFromMakeUpDay", "2025-09-28", 1, "2025-09-29", false},
		{"OKFromSaturday", "2025-09-27", 1, "2025-09-28", false},
		{"OKZero", "2025-10-03", 0, "2025-10-03", false},
		{"OKZeroEstimatedYear", "2030-10-03", 0, "2030-10-03", false},
		{"OKBackAcrossHoliday", "2025-10-09", -1, "2025-09-30", false},
		{"OKBackToMakeUp", "2025-10-09", -3, "2025-09-28", false},
		{"OKBackPastMakeUp", "2025-10-09", -4, "2025-09-26", false},
		{"OKBackFromHoliday", "2025-10-05", -1, "2025-09-30", false},
		{"OKSpringFestival2025", "2025-01-27", 1, "2025-02-05", false},
		{"OKSpringMakeUp2025", "2025-01-24", 1, "2025-01-26", false},
		{"OKSpringMakeUp2026", "2026-02-13", 1, "2026-02-14", false},
		{"OKSpringFestival2026", "2026-02-14", 1, "2026-02-24", false},
		{"OKBackSpringFestival2026", "2026-02-24", -1, "2026-02-14", false},
		{"OKNationalDay2026", "2026-09-30", 1, "2026-10-08", false},
		{"OKNationalDayMakeUp2026", "2026-09-18", 1, "2026-09-20", false},
		{"OKTenDays2026", "2026-09-24", 10, "2026-10-15", false},
		{"OKInto2026", "2025-12-31", 1, "2026-01-04", false},
		{"OKInto2027", "2026-12-31", 1, "2027-01-04", false},
		{"OKBackInto2026", "2027-01-04", -1, "2026-12-31", false},
		{"OKEndOf2027", "2027-12-30", 1, "2027-12-31", false},
		{"EstimatedInto2028", "2027-12-31", 1, "2028-01-03", true},
		{"EstimatedBackInto2024", "2025-01-02", -1, "2024-12-31", true},
		{"OKFromEstimatedYear", "2024-12-31", 3, "2025-01-06", false},
		{"EstimatedSpring2028", "2028-01-24", 1, "2028-01-31", true},
	}
	c := Default()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, est := c.AddBusinessDays(date(t, tt.from), tt.n)
			if !got.Equal(date(t, tt.want)) || got.Location() != beian.CST || est != tt.estimated {
				t.Errorf("AddBusinessDays(%s, %d) = %s, %v; want %s CST, %v",
					tt.from, tt.n, got, est, tt.want, tt.estimated)
			}
		})
	}
}

// Rule CAL-1: the counts of whole years (both have 248 working days).
func TestBusinessDaysBetween(t *testing.T) {
	tests := []struct {
		name      string
		a, b      string
		want      int
		estimated bool
	}{
		{"OKYear2025", "2024-12-31", "2025-12-31", 248, false},
		{"OKYear2026", "2025-12-31", "2026-12-31", 248, false},
		{"OKSameDay", "2025-10-01", "2025-10-01", 0, false},
		{"OKOverHoliday", "2025-09-30", "2025-10-09", 1, false},
		{"OKBackOverHoliday", "2025-10-09", "2025-09-30", -1, false},
		{"OKToMakeUp", "2025-09-27", "2025-09-28", 1, false},
		{"OKBackFromWeekend", "2025-10-12", "2025-10-11", -1, false},
		{"OKBackToWeekend", "2025-10-13", "2025-10-12", 0, false},
		{"EstimatedInto2028", "2027-12-31", "2028-01-03", 1, true},
		{"EstimatedBackFrom2024", "2025-01-02", "2024-12-31", -1, true},
	}
	c := Default()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, est := c.BusinessDaysBetween(date(t, tt.a), date(t, tt.b))
			if got != tt.want || est != tt.estimated {
				t.Errorf("BusinessDaysBetween(%s, %s) = %d, %v; want %d, %v", tt.a, tt.b, got, est, tt.want, tt.estimated)
			}
		})
	}
}

// Rule CAL-1: BusinessDaysBetween inverts AddBusinessDays, both ways, and the
// two agree on whether the answer is estimated.
func TestBusinessDaysInverse(t *testing.T) {
	c := Default()
	for from := date(t, "2024-12-01"); from.Before(date(t, "2028-02-01")); from = from.AddDate(0, 0, 1) {
		for n := -30; n <= 30; n++ {
			to, est := c.AddBusinessDays(from, n)
			back, est2 := c.BusinessDaysBetween(from, to)
			if back != n || est != est2 {
				t.Fatalf("AddBusinessDays(%s, %d) = %s, %v; BusinessDaysBetween back = %d, %v",
					from.Format(time.DateOnly), n, to.Format(time.DateOnly), est, back, est2)
			}
			if ok, _ := c.IsBusinessDay(to); n != 0 && !ok {
				t.Fatalf("AddBusinessDays(%s, %d) = %s, not a business day", from.Format(time.DateOnly), n, to.Format(time.DateOnly))
			}
			if ok, _ := c.IsBusinessDay(to); ok && n != 0 {
				if again, _ := c.AddBusinessDays(from, back); !again.Equal(to) {
					t.Fatalf("AddBusinessDays(%s, BusinessDaysBetween) = %s, want %s", from.Format(time.DateOnly), again, to)
				}
			}
		}
	}
}

// AddBusinessDays agrees with a day-by-day count over spans of several years,
// where it skips whole years.
func TestAddBusinessDaysLongSpans(t *testing.T) {
	c := Default()
	naive := func(from time.Time, n int) time.Time {
		step := 1
		if n < 0 {
			step, n = -1, -n
		}
		d := from
		for n > 0 {
			d = d.AddDate(0, 0, step)
			if ok, _ := c.IsBusinessDay(d); ok {
				n--
			}
		}
		return d
	}
	for _, from := range []string{"2024-02-29", "2025-01-01", "2025-12-31", "2026-06-15", "2027-12-31", "2028-12-31"} {
		for _, n := range []int{-800, -500, -250, 247, 248, 249, 500, 900} {
			t.Run(fmt.Sprintf("OK%s%+d", from, n), func(t *testing.T) {
				got, _ := c.AddBusinessDays(date(t, from), n)
				if want := naive(date(t, from), n); !got.Equal(want) {
					t.Errorf("AddBusinessDays = %s, want %s", got, want)
				}
			})
		}
	}
}

// Rule CAL-1: weekends, holidays and make-up workdays.
func TestIsBusinessDay(t *testing.T) {
	tests := []struct {
		name          string
		day           string
		ok, estimated bool
	}{
		{"OKWeekday", "2025-09-30", true, false},
		{"OKSundayMakeUp", "2025-09-28", true, false},
		{"OKSaturdayMakeUp", "2026-02-28", true, false},
		{"OffHoliday", "2025-10-01", false, false},
		{"OffHolidayOnMonday", "2026-02-23", false, false},
		{"OffSunday", "2025-10-12", false, false},
		{"Off2027FromLunarGo", "2027-06-09", false, false},
		{"OK2027MakeUp", "2027-01-31", true, false},
		{"EstimatedOffNewYear", "2028-01-01", false, true},
		{"EstimatedOffSpringFestival", "2028-01-26", false, true},
		{"EstimatedWeekday", "2028-01-03", true, true},
		{"EstimatedOutsideLunarRange", "1800-01-01", true, true},
		{"EstimatedWeekendOutsideLunarRange", "2100-01-02", false, true},
	}
	c := Default()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ok, est := c.IsBusinessDay(date(t, tt.day))
			if ok != tt.ok || est != tt.estimated {
				t.Errorf("IsBusinessDay(%s) = %v, %v; want %v, %v", tt.day, ok, est, tt.ok, tt.estimated)
			}
		})
	}
}

// Rule CAL-0: a time is taken at its date in China Standard Time, whatever
// its location, and results are midnight CST.
func TestChinaStandardTime(t *testing.T) {
	c := Default()
	lateUTC := time.Date(2025, 9, 30, 17, 0, 0, 0, time.UTC) // 2025-10-01 01:00 CST
	earlyUTC := time.Date(2025, 9, 30, 15, 59, 0, 0, time.UTC)
	newYork := time.Date(2025, 9, 30, 13, 30, 0, 0, time.FixedZone("EDT", -4*3600)) // 10-01 01:30 CST
	t.Run("OffAlreadyHolidayInCST", func(t *testing.T) {
		if ok, _ := c.IsBusinessDay(lateUTC); ok {
			t.Error("2025-09-30 17:00 UTC is 2025-10-01 in CST, a holiday")
		}
		if ok, _ := c.IsBusinessDay(newYork); ok {
			t.Error("2025-09-30 13:30 EDT is 2025-10-01 in CST, a holiday")
		}
	})
	t.Run("OKStillWorkdayInCST", func(t *testing.T) {
		if ok, _ := c.IsBusinessDay(earlyUTC); !ok {
			t.Error("2025-09-30 15:59 UTC is 23:59 CST on 2025-09-30, a workday")
		}
	})
	t.Run("OKResultsAtMidnightCST", func(t *testing.T) {
		checks := []struct {
			name      string
			got, want time.Time
		}{
			{"AddBusinessDays", first(c.AddBusinessDays(lateUTC, 1)), date(t, "2025-10-09")},
			{"AddBusinessDaysZero", first(c.AddBusinessDays(lateUTC, 0)), date(t, "2025-10-01")},
			{"AddDays", c.AddDays(lateUTC, 1), date(t, "2025-10-02")},
			{"AddMonths", c.AddMonths(lateUTC, 1), date(t, "2025-11-01")},
		}
		for _, ch := range checks {
			if !ch.got.Equal(ch.want) || ch.got.Location() != beian.CST {
				t.Errorf("%s = %s, want %s", ch.name, ch.got, ch.want)
			}
		}
		if n, _ := c.BusinessDaysBetween(earlyUTC, lateUTC); n != 0 {
			t.Errorf("BusinessDaysBetween(09-30 CST, 10-01 CST) = %d, want 0", n)
		}
	})
}

func first(t time.Time, _ bool) time.Time { return t }

// Rule CAL-0: "N days" and "one month" are calendar days and months, a month
// clamped to the end of the shorter month.
func TestAddDaysAndMonths(t *testing.T) {
	c := Default()
	tests := []struct {
		name         string
		from         string
		days, months int
		want         string
	}{
		{"OKDayAcrossMonth", "2025-01-31", 1, 0, "2025-02-01"},
		{"OKDaysBack", "2025-03-01", -1, 0, "2025-02-28"},
		{"OKDaysAcrossYear", "2026-12-25", 10, 0, "2027-01-04"},
		{"OKMonthClampedFeb", "2025-01-31", 0, 1, "2025-02-28"},
		{"OKMonthClampedLeapFeb", "2024-01-31", 0, 1, "2024-02-29"},
		{"OKMonthClampedApril", "2025-03-31", 0, 1, "2025-04-30"},
		{"OKMonthBackClamped", "2025-03-31", 0, -1, "2025-02-28"},
		{"OKMonthAcrossYear", "2025-12-15", 0, 1, "2026-01-15"},
		{"OKTwelveMonthsFromLeapDay", "2024-02-29", 0, 12, "2025-02-28"},
		{"OKThreeMonths", "2025-11-30", 0, 3, "2026-02-28"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got time.Time
			if tt.months != 0 {
				got = c.AddMonths(date(t, tt.from), tt.months)
			} else {
				got = c.AddDays(date(t, tt.from), tt.days)
			}
			if !got.Equal(date(t, tt.want)) {
				t.Errorf("got %s, want %s", got.Format(time.DateOnly), tt.want)
			}
		})
	}
}

// Counting uses the precomputed tables: no allocation per call, in a year
// with a file or an estimated one.
func TestAddBusinessDaysDoesNotAllocate(t *testing.T) {
	c := Default()
	for _, from := range []string{"2026-03-02", "2027-12-01", "2029-06-01"} {
		d := date(t, from)
		c.AddBusinessDays(d, 30) // warm the estimate cache
		if allocs := testing.AllocsPerRun(100, func() { c.AddBusinessDays(d, 30); c.AddBusinessDays(d, -30) }); allocs != 0 {
			t.Errorf("AddBusinessDays from %s: %v allocations per call", from, allocs)
		}
	}
}

// The Calendar and the shared estimate cache are safe for concurrent use
// (run with -race).
func TestConcurrentUse(t *testing.T) {
	c := Default()
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for y := 2040; y < 2050; y++ {
				d := time.Date(y, 3, 1, 0, 0, 0, 0, beian.CST)
				c.AddBusinessDays(d, 20)
				c.Holidays(y)
			}
		}()
	}
	wg.Wait()
}

func BenchmarkAddBusinessDays(b *testing.B) {
	c := Default()
	d := date(b, "2026-09-15")
	b.ReportAllocs()
	for b.Loop() {
		c.AddBusinessDays(d, 20)
	}
}
