package providerdb

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/beian/beian"
	"github.com/beian/beian/calendar"
	"github.com/beian/beian/outbox"
	"github.com/beian/beian/sqlstore"
)

// The ops dashboard's figures (issue 7, /ops), each an SQL aggregate on
// both engines. Business days (Rules REV-1, REV-2, CAL-1) depend on the
// holiday calendar, which lives in Go, so:
//   - the review SLA groups the finished reviews by their CST entry date and
//     the whole days they took (rounded up); a review is on time when those
//     days are at most the calendar days from its entry date to the
//     deadline's date (AddBusinessDays(date, SLADays); CST has no daylight
//     saving, so the deadline is the entry time plus whole days);
//   - the bureau review's length in business days is ord(decided) -
//     ord(entered) computed in SQL, where ord(day) is the number of
//     weekdays up to the day (closed form) corrected by a CASE over the
//     calendar's special days (weekday holidays -1, make-up workdays +1)
//     of the year before the window.

const (
	dayMicros = int64(24 * time.Hour / time.Microsecond)
	cstMicros = int64(8 * time.Hour / time.Microsecond)
	// maxCalDays is how far before the window the business-day ordinal
	// knows the holidays: a bureau review that began earlier is counted
	// as if those days had none.
	maxCalDays = 366
)

// sqlDay is the CST date of a microsecond column, as days since the epoch.
func sqlDay(col string) string {
	return "((" + col + " + " + strconv.FormatInt(cstMicros, 10) + ") / " + strconv.FormatInt(dayMicros, 10) + ")"
}

// dayNumber is t's CST date as days since 1970-01-01 CST.
func dayNumber(t time.Time) int64 { return (sqlstore.Micro(t) + cstMicros) / dayMicros }

// dayTime is the CST midnight of a day number.
func dayTime(d int64) time.Time { return sqlstore.FromMicro(d*dayMicros - cstMicros).In(beian.CST) }

// OpsQuery says what the ops dashboard's figures cover.
type OpsQuery struct {
	Now        time.Time          // the current time (the clock's)
	Calendar   *calendar.Calendar // business days (Rule CAL-1); nil: calendar.Default()
	SLADays    int                // Rule REV-1: a review is on time within 1 business day (0: 1)
	Days       int                // the window of the review SLA and the approvals per day, in calendar days (0: 30)
	BureauDays int                // the window of the bureau review durations, in calendar days (0: 90)
	// Provinces, when set, lists every province code the stage history
	// can hold ("" is added): the queries then read the index
	// order_stages_finished (from_stage, province, at) as one range per
	// province instead of every entry of a stage. Rows of other provinces
	// are not counted.
	Provinces []string

	provinceIn string // the SQL condition built from Provinces
}

// validProvince reports whether p is six digits (GB/T 2260), safe to
// write into SQL.
func validProvince(p string) bool {
	if len(p) != 6 {
		return false
	}
	for _, c := range p {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// OpsStats are the ops dashboard's figures.
type OpsStats struct {
	Stages    map[beian.Stage]int // orders per current stage, every stage present
	Reviews   []ReviewSLA         // initial_review and photo_review, in that order
	Bureau    []BureauDurations   // per province with finished reviews in the window, by province code
	Approvals []DayCount          // one per day of the window, oldest first, zeros included
	Outboxes  []OutboxBacklog     // provider then registry, per channel
	Timers    []TimerBacklog      // pending timers per context and kind
	// HistoryAt is when the history figures (stages, reviews finished,
	// bureau, approvals) were last computed in full; they have been brought
	// up to date with every move since (opsstats_cache.go).
	HistoryAt time.Time
}

// ReviewSLA is the provider's compliance with a review's SLA (Rules REV-1,
// REV-4: 1 business day): of the reviews finished in the window (a
// decision, not a withdrawal or abandonment), how many were on time; and of
// the orders now waiting for the review, how many are past the deadline.
type ReviewSLA struct {
	Stage                   beian.Stage
	Finished, OnTime        int
	Waiting, WaitingOverdue int
}

// BureauDurations counts a province's bureau reviews finished (approved or
// rejected) in the window by their length in business days (Rule REV-2).
type BureauDurations struct {
	Province string
	Days     map[int]int // business days → reviews
	Count    int
}

// DayCount is a count on one CST date.
type DayCount struct {
	Day time.Time // midnight CST
	N   int
}

// OutboxBacklog is the number of unsent messages of a context's channel.
type OutboxBacklog struct {
	Context, Channel string
	Pending          int
}

// TimerBacklog counts a context's pending timers of a kind, and those due
// already (overdue: the runner has not fired them yet).
type TimerBacklog struct {
	Context, Kind    string
	Pending, Overdue int
}

// OpsStats computes the dashboard's figures from the database. The
// history figures are kept per store and brought up to date from the rows
// the stage history gained since (opsstats_cache.go); the rest is read on
// every call.
func (s *Store) OpsStats(ctx context.Context, q OpsQuery) (st OpsStats, err error) {
	defer beian.Wrap(&err, "ops stats")
	if q.Calendar == nil {
		q.Calendar = calendar.Default()
	}
	q.SLADays, q.Days, q.BureauDays = cmp0(q.SLADays, 1), cmp0(q.Days, 30), cmp0(q.BureauDays, 90)
	today := dayNumber(q.Now)
	slaSince := sqlstore.Micro(dayTime(today - int64(q.Days) + 1))
	bureauSince := sqlstore.Micro(dayTime(today - int64(q.BureauDays) + 1))
	db := s.DB.SQL
	if len(q.Provinces) > 0 {
		var b strings.Builder
		b.WriteString(" AND province IN (''")
		for _, p := range q.Provinces {
			if validProvince(p) {
				b.WriteString(", '" + p + "'")
			}
		}
		b.WriteString(")")
		q.provinceIn = b.String()
	}
	h, err := s.opsHistoryOf(ctx, q, today, slaSince, bureauSince)
	if err != nil {
		return st, err
	}
	h.use(&st)
	if err := waitingSLA(ctx, db, q, st.Reviews); err != nil {
		return st, err
	}
	for _, c := range []string{"provider", "registry"} {
		ob, _ := outbox.New(c) // both contexts are known
		counts, err := ob.Pending(ctx, s.DB)
		if err != nil {
			return st, err
		}
		for _, ch := range outbox.Channels {
			st.Outboxes = append(st.Outboxes, OutboxBacklog{Context: c, Channel: ch, Pending: counts[ch]})
		}
		tb, err := timerBacklog(ctx, db, c, sqlstore.Micro(q.Now))
		if err != nil {
			return st, err
		}
		st.Timers = append(st.Timers, tb...)
	}
	return st, nil
}

// rowsQuerier is a database or a transaction.
type rowsQuerier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

func cmp0(v, def int) int {
	if v <= 0 {
		return def
	}
	return v
}

func stageCounts(ctx context.Context, db rowsQuerier) (map[beian.Stage]int, error) {
	out := make(map[beian.Stage]int, len(beian.Stages))
	for _, s := range beian.Stages {
		out[s] = 0
	}
	rows, err := db.QueryContext(ctx, `SELECT stage, COUNT(*) FROM orders GROUP BY stage`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var stage string
		var n int
		if err := rows.Scan(&stage, &n); err != nil {
			return nil, err
		}
		out[beian.Stage(stage)] = n
	}
	return out, rows.Err()
}

// ordExpr returns an SQL expression of the column "d" (a CST day number):
// the business days up to d, counted from an arbitrary origin, exact for
// the days from first to last (Rule CAL-1). 1970-01-01 was a Thursday, so
// d+3 counts from a Monday.
func ordExpr(cal *calendar.Calendar, first, last int64) func(d string) string {
	type special struct{ day, sum int64 }
	var sp []special
	var sum int64
	for d := first; d <= last; d++ {
		weekday := (d+3)%7 < 5
		if ok, _ := cal.IsBusinessDay(dayTime(d)); ok != weekday {
			if ok {
				sum++
			} else {
				sum--
			}
			sp = append(sp, special{d, sum})
		}
	}
	// The correction is a CASE nested as a binary search over the special
	// days: a handful of comparisons per row instead of one per day.
	var search func(d string, lo, hi int, base int64) string
	search = func(d string, lo, hi int, base int64) string {
		if lo > hi {
			return strconv.FormatInt(base, 10)
		}
		mid := (lo + hi) / 2
		return fmt.Sprintf("CASE WHEN %s >= %d THEN %s ELSE %s END", d, sp[mid].day,
			search(d, mid+1, hi, sp[mid].sum), search(d, lo, mid-1, base))
	}
	return func(d string) string {
		x := "(" + d + " + 3)"
		return "(5 * (" + x + " / 7) + CASE WHEN " + x + " % 7 >= 4 THEN 5 ELSE " + x + " % 7 + 1 END + " +
			search(d, 0, len(sp)-1, 0) + ")"
	}
}

// gapCache memoizes the calendar days from a CST day to its SLA deadline.
type gapCache struct {
	cal  *calendar.Calendar
	days int
	m    map[int64]int64
}

func (g *gapCache) gap(d int64) int64 {
	if v, ok := g.m[d]; ok {
		return v
	}
	deadline, _ := g.cal.AddBusinessDays(dayTime(d), g.days)
	v := dayNumber(deadline) - d
	g.m[d] = v
	return v
}

// reviewStages are the reviews of the SLA figures, in their order.
var reviewStages = []beian.Stage{beian.StageInitialReview, beian.StagePhotoReview}

// finishedSLA: Rules REV-1, REV-4. A review is on time when it was decided
// by the deadline: SLADays business days after it began, at the same time
// of day (provider.Service.Queue's SLA deadline).
func finishedSLA(ctx context.Context, db rowsQuerier, q OpsQuery, since int64) ([]ReviewSLA, error) {
	out := []ReviewSLA{{Stage: reviewStages[0]}, {Stage: reviewStages[1]}}
	g := &gapCache{cal: q.Calendar, days: q.SLADays, m: map[int64]int64{}}
	day := strconv.FormatInt(dayMicros, 10)
	// ceil(elapsed / day) <= gap  <=>  elapsed <= gap days.
	rows, err := db.QueryContext(ctx, `SELECT from_stage, `+sqlDay("entered_at")+`, (at - entered_at + `+day+` - 1) / `+day+`, COUNT(*)
		FROM order_stages WHERE from_stage IN ('initial_review', 'photo_review') AND at >= $1 AND to_stage NOT IN ('draft', 'abandoned')`+q.provinceIn+`
		GROUP BY 1, 2, 3`, since)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var stage string
		var d, k int64
		var n int
		if err := rows.Scan(&stage, &d, &k, &n); err != nil {
			return nil, err
		}
		r := &out[slices.Index(reviewStages, beian.Stage(stage))]
		r.Finished += n
		if k <= g.gap(d) {
			r.OnTime += n
		}
	}
	return out, rows.Err()
}

// waitingSLA: Rules REV-1, REV-4. A waiting order is overdue when now is
// past its deadline; the counts are added to out (finishedSLA's).
func waitingSLA(ctx context.Context, db *sql.DB, q OpsQuery, out []ReviewSLA) error {
	g := &gapCache{cal: q.Calendar, days: q.SLADays, m: map[int64]int64{}}
	day := strconv.FormatInt(dayMicros, 10)
	rows, err := db.QueryContext(ctx, `SELECT stage, `+sqlDay("stage_at")+`, ($1 - stage_at + `+day+` - 1) / `+day+`, COUNT(*)
		FROM orders WHERE stage IN ('initial_review', 'photo_review') GROUP BY 1, 2, 3`, sqlstore.Micro(q.Now))
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var stage string
		var d, k int64
		var n int
		if err := rows.Scan(&stage, &d, &k, &n); err != nil {
			return err
		}
		r := &out[slices.Index(reviewStages, beian.Stage(stage))]
		r.Waiting += n
		if k > g.gap(d) {
			r.WaitingOverdue += n
		}
	}
	return rows.Err()
}

// bureauDurations: Rule REV-2, in business days by the calendar.
func bureauDurations(ctx context.Context, db rowsQuerier, ord func(string) string, provinceIn string, since int64) ([]BureauDurations, error) {
	length := ord(sqlDay("at")) + " - " + ord(sqlDay("entered_at"))
	rows, err := db.QueryContext(ctx, `SELECT province, `+length+`, COUNT(*) FROM order_stages
		WHERE from_stage = 'bureau_review' AND to_stage IN ('approved', 'bureau_rejected') AND at >= $1`+provinceIn+`
		GROUP BY 1, 2 ORDER BY 1`, since)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []BureauDurations
	for rows.Next() {
		var province string
		var days, n int
		if err := rows.Scan(&province, &days, &n); err != nil {
			return nil, err
		}
		if len(out) == 0 || out[len(out)-1].Province != province {
			out = append(out, BureauDurations{Province: province, Days: map[int]int{}})
		}
		b := &out[len(out)-1]
		b.Days[days] += n
		b.Count += n
	}
	return out, rows.Err()
}

// approvals counts the orders approved per CST date of the window (Rule
// REV-2; cancel_access on submit, CAN-5). Approved is terminal, so an
// approved order's stage_at is its approval (index orders_stage).
func approvals(ctx context.Context, db rowsQuerier, today int64, days int, since int64) ([]DayCount, error) {
	out := make([]DayCount, days)
	first := today - int64(days) + 1
	for i := range out {
		out[i].Day = dayTime(first + int64(i))
	}
	rows, err := db.QueryContext(ctx, `SELECT `+sqlDay("stage_at")+`, COUNT(*) FROM orders
		WHERE stage = 'approved' AND stage_at >= $1 GROUP BY 1`, since)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var d int64
		var n int
		if err := rows.Scan(&d, &n); err != nil {
			return nil, err
		}
		if i := d - first; i >= 0 && i < int64(days) {
			out[i].N = n
		}
	}
	return out, rows.Err()
}

// timerBacklog counts the context's pending timers per kind (the table's
// partial index provider_timers_due / registry_timers_due covers them).
func timerBacklog(ctx context.Context, db *sql.DB, context string, now int64) ([]TimerBacklog, error) {
	rows, err := db.QueryContext(ctx, `SELECT kind, COUNT(*), SUM(CASE WHEN due_at <= $1 THEN 1 ELSE 0 END) FROM `+context+
		`_timers WHERE fired_at = 0 AND cancelled_at = 0 GROUP BY kind ORDER BY kind`, now)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []TimerBacklog
	for rows.Next() {
		t := TimerBacklog{Context: context}
		if err := rows.Scan(&t.Kind, &t.Pending, &t.Overdue); err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, rows.Err()
}
