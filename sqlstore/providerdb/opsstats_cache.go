package providerdb

import (
	"context"
	"database/sql"
	"maps"
	"slices"
	"sync"
	"time"
	"weak"

	"github.com/beian/beian"
	"github.com/beian/beian/calendar"
	"github.com/beian/beian/sqlstore"
)

// The ops dashboard's history figures — orders per stage, the finished
// reviews against their SLA, the bureau review lengths and the approvals
// per day — are a function of the orders' stage history and of the CST
// date only: every move of an order, its creation included, appends a row
// to order_stages in the move's transaction (recordStage), and rows are
// never changed or deleted. So each store keeps the figures with the
// history rows they count, and a later request only reads the rows added
// since (by the primary key) and applies them: a few rows instead of every
// order. The figures are computed in full again when the date or the
// query changes, when the clock went back, and on PostgreSQL when the
// entry is older than opsCacheMaxAge by the store's clock. The reads that depend on the time of day (the orders
// waiting past their deadline), the outboxes and the timers are made on
// every request; they read little.
//
// Exactness: the full computation and each delta read run in one
// read-only snapshot. On PostgreSQL a transaction may take a smaller id
// than one already committed and commit later, so each delta reads the
// rows from opsSlack ids below the largest one counted and skips those
// already counted; only a transaction that stays open while opsSlack other
// moves commit could be missed, until the next full computation (at most
// opsCacheMaxAge later).

const (
	// opsCacheMaxAge bounds the life of an entry on PostgreSQL by the
	// store's clock (see Exactness).
	opsCacheMaxAge = 10 * time.Minute
	// opsSlack is how far below the largest counted id the deltas look on
	// PostgreSQL. SQLite has one writer at a time, so its ids become
	// visible in order and its deltas look above the largest id only.
	opsSlack = 1000
)

// slack is the store's opsSlack.
func (s *Store) slack() int64 {
	if s.DB.Driver == sqlstore.Postgres {
		return opsSlack
	}
	return 0
}

// opsKey says what cached figures were computed for.
type opsKey struct {
	today                     int64
	slaDays, days, bureauDays int
	provinceIn                string // OpsQuery.provinceIn
	cal                       *calendar.Calendar
}

// opsHistory are the cached figures; an entry is never changed once
// stored (a delta makes a new one), so callers may share its maps.
type opsHistory struct {
	key       opsKey
	at        time.Time          // the clock's time of the full computation
	stamp     int64              // the largest history id counted
	slack     int64              // Store.slack
	seen      map[int64]struct{} // the ids counted above stamp - slack
	stages    map[beian.Stage]int
	finished  []ReviewSLA // Finished and OnTime only
	bureau    []BureauDurations
	approvals []DayCount
}

// opsCaches holds one entry per store, without keeping stores alive.
var opsCaches sync.Map // weak.Pointer[Store] → *opsHistory

// opsHistoryOf returns the history figures for q: the cached entry
// brought up to date, or a full computation.
func (s *Store) opsHistoryOf(ctx context.Context, q OpsQuery, today, slaSince, bureauSince int64) (h *opsHistory, err error) {
	key := opsKey{today: today, slaDays: q.SLADays, days: q.Days, bureauDays: q.BureauDays, provinceIn: q.provinceIn, cal: q.Calendar}
	opts := &sql.TxOptions{ReadOnly: true}
	if s.DB.Driver == sqlstore.Postgres {
		opts.Isolation = sql.LevelRepeatableRead // one snapshot for every read
	}
	tx, err := s.DB.SQL.BeginTx(ctx, opts)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	if v, ok := opsCaches.Load(weak.Make(s)); ok {
		old := v.(*opsHistory)
		if old.key == key && !q.Now.Before(old.at) && (old.slack == 0 || q.Now.Sub(old.at) < opsCacheMaxAge) {
			if h, err = old.delta(ctx, tx, q, slaSince, bureauSince); err != nil {
				return nil, err
			}
			return h, s.keepHistory(old, h)
		}
	}
	h = &opsHistory{key: key, at: q.Now, slack: s.slack(), seen: map[int64]struct{}{}}
	if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(id), 0) FROM order_stages`).Scan(&h.stamp); err != nil {
		return nil, err
	}
	ids, err := tx.QueryContext(ctx, `SELECT id FROM order_stages WHERE id > $1`, h.stamp-h.slack)
	if err != nil {
		return nil, err
	}
	for ids.Next() {
		var id int64
		if err := ids.Scan(&id); err != nil {
			ids.Close()
			return nil, err
		}
		h.seen[id] = struct{}{}
	}
	if err := ids.Close(); err != nil {
		return nil, err
	}
	if h.stages, err = stageCounts(ctx, tx); err != nil {
		return nil, err
	}
	if h.finished, err = finishedSLA(ctx, tx, q, slaSince); err != nil {
		return nil, err
	}
	ord := ordExpr(q.Calendar, today-int64(q.BureauDays)-maxCalDays, today)
	if h.bureau, err = bureauDurations(ctx, tx, ord, q.provinceIn, bureauSince); err != nil {
		return nil, err
	}
	if h.approvals, err = approvals(ctx, tx, today, q.Days, slaSince); err != nil {
		return nil, err
	}
	return h, s.keepHistory(nil, h)
}

// keepHistory stores h as the store's entry unless another request
// replaced old meanwhile, and drops the entries of stores that are gone.
func (s *Store) keepHistory(old, h *opsHistory) error {
	k := weak.Make(s)
	if old == nil {
		opsCaches.Store(k, h)
	} else {
		opsCaches.CompareAndSwap(k, old, h)
	}
	opsCaches.Range(func(k, _ any) bool {
		if k.(weak.Pointer[Store]).Value() == nil {
			opsCaches.Delete(k)
		}
		return true
	})
	return nil
}

// delta returns a new entry: h with the history rows it has not counted.
func (h *opsHistory) delta(ctx context.Context, tx *sql.Tx, q OpsQuery, slaSince, bureauSince int64) (*opsHistory, error) {
	rows, err := tx.QueryContext(ctx, `SELECT id, from_stage, to_stage, province, entered_at, at FROM order_stages WHERE id > $1 ORDER BY id`,
		h.stamp-h.slack)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	n := &opsHistory{key: h.key, at: h.at, stamp: h.stamp, slack: h.slack, seen: map[int64]struct{}{}}
	changed := false
	var g *gapCache
	for rows.Next() {
		var id, entered, at int64
		var from, to, province string
		if err := rows.Scan(&id, &from, &to, &province, &entered, &at); err != nil {
			return nil, err
		}
		if _, ok := h.seen[id]; ok || id <= h.stamp-h.slack {
			continue
		}
		if !changed {
			n.copyFigures(h)
			g = &gapCache{cal: q.Calendar, days: q.SLADays, m: map[int64]int64{}}
			changed = true
		}
		n.seen[id] = struct{}{}
		n.stamp = max(n.stamp, id)
		n.apply(q, g, beian.Stage(from), beian.Stage(to), province, entered, at, slaSince, bureauSince)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if !changed {
		return h, nil
	}
	for id := range h.seen {
		n.seen[id] = struct{}{}
	}
	for id := range n.seen {
		if id <= n.stamp-n.slack {
			delete(n.seen, id)
		}
	}
	return n, nil
}

// copyFigures makes n's figures a copy of h's that n may change.
func (n *opsHistory) copyFigures(h *opsHistory) {
	n.stages = maps.Clone(h.stages)
	n.finished = slices.Clone(h.finished)
	n.approvals = slices.Clone(h.approvals)
	n.bureau = make([]BureauDurations, len(h.bureau))
	for i, b := range h.bureau {
		n.bureau[i] = BureauDurations{Province: b.Province, Days: maps.Clone(b.Days), Count: b.Count}
	}
}

// apply counts one history row as the full computation's queries would.
func (n *opsHistory) apply(q OpsQuery, g *gapCache, from, to beian.Stage, province string, entered, at, slaSince, bureauSince int64) {
	if from != "" {
		n.stages[from]--
	}
	n.stages[to]++
	counted := q.provinceIn == "" || province == "" || validProvince(province) && slices.Contains(q.Provinces, province)
	day := func(us int64) int64 { return (us + cstMicros) / dayMicros }
	if i := slices.Index(reviewStages, from); i >= 0 && at >= slaSince && to != beian.StageDraft && to != beian.StageAbandoned && counted {
		n.finished[i].Finished++
		if (at-entered+dayMicros-1)/dayMicros <= g.gap(day(entered)) {
			n.finished[i].OnTime++
		}
	}
	if from == beian.StageBureauReview && (to == beian.StageApproved || to == beian.StageBureauRejected) && at >= bureauSince && counted {
		length, _ := q.Calendar.BusinessDaysBetween(dayTime(day(entered)), dayTime(day(at)))
		i, found := slices.BinarySearchFunc(n.bureau, province, func(b BureauDurations, p string) int {
			switch {
			case b.Province < p:
				return -1
			case b.Province > p:
				return 1
			}
			return 0
		})
		if !found {
			n.bureau = slices.Insert(n.bureau, i, BureauDurations{Province: province, Days: map[int]int{}})
		}
		n.bureau[i].Days[length]++
		n.bureau[i].Count++
	}
	if to == beian.StageApproved && at >= slaSince {
		if i := day(at) - (n.key.today - int64(n.key.days) + 1); i >= 0 && i < int64(len(n.approvals)) {
			n.approvals[i].N++
		}
	}
}

// use copies the figures into st (the bureau histograms' maps are shared:
// entries are never changed).
func (h *opsHistory) use(st *OpsStats) {
	st.Stages = maps.Clone(h.stages)
	st.Reviews = slices.Clone(h.finished)
	st.Bureau = slices.Clone(h.bureau)
	st.Approvals = slices.Clone(h.approvals)
	st.HistoryAt = h.at
}
