package providerdb

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/beian/beian"
	"github.com/beian/beian/calendar"
	"github.com/beian/beian/sqlstore"
	"github.com/beian/beian/sqlstore/sqltest"
)

// Rule CAL-1: the SQL business-day ordinal agrees with the calendar's
// BusinessDaysBetween across weekends, the National Day week with its
// make-up workdays (2025) and the Spring Festival, on both engines.
func TestOrdExprMatchesCalendar(t *testing.T) {
	cal := calendar.Default()
	from := dayNumber(time.Date(2025, 9, 1, 0, 0, 0, 0, beian.CST))
	to := dayNumber(time.Date(2026, 3, 31, 0, 0, 0, 0, beian.CST))
	ord := ordExpr(cal, from, to)
	sqltest.Each(t, beian.NewManualClock(dayTime(to)), func(t *testing.T, db *sqlstore.DB) {
		for a := from; a < to; a += 5 {
			for _, n := range []int64{1, 2, 3, 7, 12, 31} {
				b := min(a+n, to)
				var got int
				q := `SELECT ` + ord(strconv.FormatInt(b, 10)) + ` - ` + ord(strconv.FormatInt(a, 10))
				if err := db.SQL.QueryRowContext(context.Background(), q).Scan(&got); err != nil {
					t.Fatal(err)
				}
				want, _ := cal.BusinessDaysBetween(dayTime(a), dayTime(b))
				if got != want {
					t.Fatalf("%s → %s: %d business days, want %d", dayTime(a).Format(time.DateOnly), dayTime(b).Format(time.DateOnly), got, want)
				}
			}
		}
	})
}
