package calendar

import (
	"time"

	"github.com/beian/beian"
)

// Every method takes the calendar date of its time.Time arguments in China
// Standard Time, whatever their location, and returns midnight CST (Rule
// CAL-0). The estimated results are true when any date the answer depended
// on lies in a year with no holiday file (Rule CAL-1).

// IsBusinessDay reports whether d's date is a business day: a weekday that is
// not a public holiday, or a make-up workday (Rule CAL-1).
func (c *Calendar) IsBusinessDay(d time.Time) (ok bool, estimated bool) {
	d = beian.DateOf(d)
	t := c.table(d.Year())
	return t.business(d.YearDay() - 1), t.estimated
}

// AddBusinessDays returns the date n business days after from's date (Rule
// CAL-1). from is day 0 whatever kind of day it is, and counting starts on
// the first business day after it (HOLIDAYS.md), so the result is always a
// business day: AddBusinessDays(2025-09-30, 1) is 2025-10-09. A negative n
// counts backwards the same way, starting on the first business day before
// from. n == 0 returns from's date, which depends on no holiday data.
func (c *Calendar) AddBusinessDays(from time.Time, n int) (time.Time, bool) {
	d := beian.DateOf(from)
	if n == 0 {
		return d, false
	}
	t, i, est := c.table(d.Year()), d.YearDay()-1, false
	if n > 0 {
		for {
			if i+1 < t.days {
				est = est || t.estimated
				left := t.count(i+1, t.days-1)
				if n <= left {
					return t.date(t.nth(i+1, 1, n)), est
				}
				n -= left
			}
			t, i = c.table(t.year+1), -1
		}
	}
	n = -n
	for {
		if i > 0 {
			est = est || t.estimated
			left := t.count(0, i-1)
			if n <= left {
				return t.date(t.nth(i-1, -1, n)), est
			}
			n -= left
		}
		t = c.table(t.year - 1)
		i = t.days
	}
}

// BusinessDaysBetween counts the business days d with a < d <= b (Rule
// CAL-1). When b is before a it counts backwards from a, as AddBusinessDays
// does with a negative n, and returns minus the number of business days d
// with b <= d < a. So BusinessDaysBetween(from, AddBusinessDays(from, n)) == n
// for every n, and AddBusinessDays(a, BusinessDaysBetween(a, b)) == b for
// every business day b other than a.
func (c *Calendar) BusinessDaysBetween(a, b time.Time) (int, bool) {
	da, db := beian.DateOf(a), beian.DateOf(b)
	switch {
	case da.Equal(db):
		return 0, false
	case da.Before(db):
		return c.count(da.AddDate(0, 0, 1), db)
	default:
		n, est := c.count(db, da.AddDate(0, 0, -1))
		return -n, est
	}
}

// count returns the business days d with lo <= d <= hi, both CST dates.
func (c *Calendar) count(lo, hi time.Time) (n int, estimated bool) {
	y1, y2 := lo.Year(), hi.Year()
	for y := y1; y <= y2; y++ {
		t := c.table(y)
		first, last := 0, t.days-1
		if y == y1 {
			first = lo.YearDay() - 1
		}
		if y == y2 {
			last = hi.YearDay() - 1
		}
		n += t.count(first, last)
		estimated = estimated || t.estimated
	}
	return n, estimated
}

// AddDays returns from's date plus n calendar days (Rule CAL-0).
func (c *Calendar) AddDays(from time.Time, n int) time.Time {
	return beian.DateOf(from).AddDate(0, 0, n)
}

// AddMonths returns from's date plus n calendar months, clamped to the end of
// the month (Rule CAL-0): January 31st plus one month is February 28th or 29th.
func (c *Calendar) AddMonths(from time.Time, n int) time.Time {
	y, m, d := beian.DateOf(from).Date()
	first := time.Date(y, m+time.Month(n), 1, 0, 0, 0, 0, beian.CST)
	last := first.AddDate(0, 1, -1).Day()
	return time.Date(first.Year(), first.Month(), min(d, last), 0, 0, 0, 0, beian.CST)
}
