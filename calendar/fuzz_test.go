package calendar

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/beian/beian"
)

// ParseYear never panics, and what it accepts survives a round trip.
func FuzzParseYear(f *testing.F) {
	for _, name := range []string{"holidays/2025.json", "holidays/2026.json", "holidays/2027.json"} {
		b, err := embedded.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	for _, s := range []string{
		`{"year":2026,"source":"s","off":["2026-01-01"],"workdays":["2026-01-04"]}`,
		`{"year":2026,"source":"s","off":[],"workdays":["2026-01-05"]}`,
		`{"year":2026,"source":"s","off":["2026-01-04"],"workdays":["2026-01-04"]}`,
		`{"year":2026,"source":"s","extra":1}`,
		`{"year":9999,"source":"\u0000<&>","off":["9999-12-31"],"workdays":null}`,
		`{"year":1,"source":"s","off":["0001-01-01"]}`,
		`{}`, `null`, `[]`, ``,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		y, err := ParseYear(b)
		if err != nil {
			return
		}
		out, err := json.Marshal(y)
		if err != nil {
			t.Fatalf("Marshal(%#v): %v", y, err)
		}
		again, err := ParseYear(out)
		if err != nil {
			t.Fatalf("ParseYear(%s) accepted, its re-marshalled form %s rejected: %v", b, out, err)
		}
		if !reflect.DeepEqual(y, again) {
			t.Fatalf("round trip changed %#v into %#v", y, again)
		}
	})
}

// Rule CAL-1: for a date in 2020–2035 (estimated and file years) and n in
// [-400, 400], AddBusinessDays lands on a business day and BusinessDaysBetween
// counts n back.
func FuzzAddBusinessDays(f *testing.F) {
	f.Add(uint16(0), int16(1), int32(0))
	f.Add(uint16(2099), int16(1), int32(61200))  // 2025-09-30 + 17h UTC: already 10-01 CST
	f.Add(uint16(2091), int16(-3), int32(0))     // around 2025 National Day
	f.Add(uint16(2922), int16(400), int32(-1))   // 2028-01-01
	f.Add(uint16(5843), int16(-400), int32(100)) // end of 2035
	start := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	span := int(time.Date(2036, 1, 1, 0, 0, 0, 0, time.UTC).Sub(start).Hours() / 24)
	c := Default()
	f.Fuzz(func(t *testing.T, day uint16, n16 int16, sec int32) {
		from := start.AddDate(0, 0, int(day)%span).Add(time.Duration(sec%86400) * time.Second)
		n := int(n16) % 401
		got, est := c.AddBusinessDays(from, n)
		if got.Location() != beian.CST || got.Hour() != 0 || got.Minute() != 0 {
			t.Fatalf("AddBusinessDays(%s, %d) = %s, not midnight CST", from, n, got)
		}
		if n == 0 && !got.Equal(beian.DateOf(from)) {
			t.Fatalf("AddBusinessDays(%s, 0) = %s, want its CST date", from, got)
		}
		if ok, _ := c.IsBusinessDay(got); n != 0 && !ok {
			t.Fatalf("AddBusinessDays(%s, %d) = %s, not a business day", from, n, got)
		}
		back, est2 := c.BusinessDaysBetween(from, got)
		if back != n || est2 != est {
			t.Fatalf("AddBusinessDays(%s, %d) = %s, %v; BusinessDaysBetween = %d, %v", from, n, got, est, back, est2)
		}
	})
}
