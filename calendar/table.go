package calendar

import (
	"math/bits"
	"time"

	"github.com/beian/beian"
)

// table is one year's working days, precomputed so that counting needs no
// date arithmetic and no allocation: bit i of work is set when day i of the
// year (0 = January 1st) is a business day.
type table struct {
	year      int
	days      int // 365 or 366
	estimated bool
	work      [6]uint64
	data      Year
}

// newTable builds the table of a validated Year (Rule CAL-1: weekends off,
// off dates off, make-up workdays on).
func newTable(y Year, estimated bool) *table {
	jan1 := time.Date(y.Year, time.January, 1, 0, 0, 0, 0, beian.CST)
	t := &table{year: y.Year, estimated: estimated, data: y}
	t.days = 365
	if jan1.AddDate(0, 0, 365).Year() == y.Year {
		t.days = 366
	}
	wd := int(jan1.Weekday())
	for i := 0; i < t.days; i++ {
		if d := (wd + i) % 7; d != int(time.Saturday) && d != int(time.Sunday) {
			t.set(i, true)
		}
	}
	for _, s := range y.Off {
		t.set(yearDay(s), false)
	}
	for _, s := range y.Workdays {
		t.set(yearDay(s), true)
	}
	return t
}

// yearDay is the 0-based day of the year of a date already validated.
func yearDay(s string) int {
	d, err := beian.ParseDate(s)
	if err != nil {
		panic("calendar: unvalidated date " + s)
	}
	return d.YearDay() - 1
}

func (t *table) set(i int, on bool) {
	if on {
		t.work[i>>6] |= 1 << (i & 63)
	} else {
		t.work[i>>6] &^= 1 << (i & 63)
	}
}

// business reports whether day i of the year is a business day.
func (t *table) business(i int) bool { return t.work[i>>6]&(1<<(i&63)) != 0 }

// count returns the number of business days i with lo <= i <= hi.
func (t *table) count(lo, hi int) int {
	n := 0
	for lo <= hi {
		w := lo >> 6
		end := min(hi, w<<6+63)
		word := t.work[w] >> (lo & 63)
		if width := end - lo + 1; width < 64 {
			word &= 1<<width - 1
		}
		n += bits.OnesCount64(word)
		lo = end + 1
	}
	return n
}

// nth returns the day of the n-th business day (n >= 1) counting from day i
// in direction step (+1 or -1), day i included. The caller has checked with
// count that it exists.
func (t *table) nth(i, step, n int) int {
	for ; ; i += step {
		if t.business(i) {
			if n--; n == 0 {
				return i
			}
		}
	}
}

// date returns day i of the year as midnight CST.
func (t *table) date(i int) time.Time {
	return time.Date(t.year, time.January, 1+i, 0, 0, 0, 0, beian.CST)
}
