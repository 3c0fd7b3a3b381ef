package main

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/beian/beian"
	"github.com/beian/beian/audit"
	"github.com/beian/beian/sqlstore"
	"github.com/beian/beian/workflow"
)

// check verifies the invariants that must hold whatever was killed when,
// reading the database directly; each broken one is a failure. It returns
// how many orders and filing numbers it checked.
//   - every acknowledged order is there, at its acknowledged version and
//     stage or a later version whose history passed that stage;
//   - every order's stage history is a chain of legal moves of its type
//     (the workflow package, docs/order-states.md) ending in its stage;
//   - both audit chains verify (as `beian audit verify`);
//   - no filing number was issued twice, and the provider's numbers are
//     the registry's;
//   - no order was submitted to the registry more often than it entered
//     sms_confirmation.
func (w *chaosWorld) check(ctx context.Context, label string, acks map[int64]ack) (orders, numbers int) {
	fail := func(kind, format string, args ...any) { w.rep.fail(kind, label+": "+format, args...) }
	// The server keeps working while the checks read: read every table of
	// them in one snapshot, so that no move between two reads looks like a
	// broken invariant (on SQLite the read transaction holds the writers
	// back for its moment).
	opts := &sql.TxOptions{ReadOnly: true}
	if w.db.Driver == sqlstore.Postgres {
		opts.Isolation = sql.LevelRepeatableRead
	} else {
		opts = nil
	}
	snap, err := w.db.SQL.BeginTx(ctx, opts)
	if err != nil {
		fail("check.read", "begin the snapshot: %v", err)
		return 0, 0
	}
	w.snap = snap
	defer func() { w.snap = nil; snap.Rollback() }()
	type row struct {
		typ     beian.OrderType
		stage   beian.Stage
		version int64
		number  string
	}
	rows := map[int64]row{}
	err = w.query(ctx, `SELECT id, number, type, stage, version FROM orders`, func(scan func(...any) error) error {
		var id int64
		var r row
		if err := scan(&id, &r.number, &r.typ, &r.stage, &r.version); err != nil {
			return err
		}
		rows[id] = r
		return nil
	})
	if err != nil {
		fail("check.read", "read the orders: %v", err)
		return 0, 0
	}
	history := map[int64][][3]string{} // from, to, event
	err = w.query(ctx, `SELECT order_id, from_stage, to_stage, event FROM order_stages ORDER BY order_id, id`, func(scan func(...any) error) error {
		var id int64
		var h [3]string
		if err := scan(&id, &h[0], &h[1], &h[2]); err != nil {
			return err
		}
		history[id] = append(history[id], h)
		return nil
	})
	if err != nil {
		fail("check.read", "read the stage history: %v", err)
		return 0, 0
	}
	for id, a := range acks {
		r, ok := rows[id]
		switch {
		case !ok:
			fail("crash.lost_order", "order %d was acknowledged (version %d, %s) but is gone", id, a.Version, a.Stage)
		case r.version < a.Version:
			fail("crash.lost_update", "order %d is at version %d, but version %d (%s) was acknowledged", id, r.version, a.Version, a.Stage)
		case r.version == a.Version && r.stage != a.Stage:
			fail("crash.stage", "order %d version %d is in %s, but %s was acknowledged", id, r.version, r.stage, a.Stage)
		case !passed(history[id], a.Stage):
			fail("crash.stage", "order %d was acknowledged in %s, which its history never entered", id, a.Stage)
		}
	}
	for id, r := range rows {
		if msg := legalHistory(r.typ, r.stage, history[id]); msg != "" {
			fail("state.illegal", "order %d (%s, %s): %s", id, r.number, r.typ, msg)
		}
	}
	for _, c := range []string{"provider", "registry"} {
		ch, _ := audit.New(c)
		if _, err := ch.Verify(ctx, w.db, ""); err != nil {
			fail("audit.broken", "the %s audit chain does not verify: %v", c, err)
		}
	}
	numbers = w.checkNumbers(ctx, fail)
	w.checkSubmissions(ctx, fail)
	return len(rows), numbers
}

// passed reports whether the history entered the stage (a draft is entered
// at creation).
func passed(h [][3]string, s beian.Stage) bool {
	return slices.ContainsFunc(h, func(e [3]string) bool { return e[1] == string(s) })
}

// legalHistory says what is wrong with an order's stage history, or "".
func legalHistory(typ beian.OrderType, stage beian.Stage, h [][3]string) string {
	if len(h) == 0 {
		return "no stage history"
	}
	if h[0][0] != "" || h[0][1] != string(beian.StageDraft) {
		return fmt.Sprintf("history starts with %q → %q, not the creation of a draft", h[0][0], h[0][1])
	}
	table := workflow.Transitions(typ)
	for i, e := range h[1:] {
		if e[0] != h[i][1] {
			return fmt.Sprintf("move %d leaves %s, but the order was in %s", i+1, e[0], h[i][1])
		}
		if !slices.ContainsFunc(table, func(t workflow.Transition) bool {
			return string(t.From) == e[0] && string(t.To) == e[1] && string(t.Event) == e[2]
		}) {
			return fmt.Sprintf("move %d %s → %s on %s is not a transition of %s", i+1, e[0], e[1], e[2], typ)
		}
	}
	if last := h[len(h)-1][1]; last != string(stage) {
		return fmt.Sprintf("the history ends in %s but the order is in %s", last, stage)
	}
	return ""
}

// checkNumbers: every subject and website number of the registry is
// unique, each approved first filing got its own subject number, and the
// provider's numbers are the registry's. It returns the numbers checked.
func (w *chaosWorld) checkNumbers(ctx context.Context, fail func(kind, format string, args ...any)) int {
	registry := map[string]int{}
	n := 0
	for _, q := range []string{`SELECT number FROM registry_subjects`, `SELECT number FROM registry_websites`} {
		err := w.query(ctx, q, func(scan func(...any) error) error {
			var num string
			if err := scan(&num); err != nil {
				return err
			}
			registry[num]++
			n++
			return nil
		})
		if err != nil {
			fail("check.read", "read the registry's numbers: %v", err)
		}
	}
	for num, c := range registry {
		if c > 1 {
			fail("numbers.twice", "the filing number %s was issued %d times", num, c)
		}
	}
	bySubmission := map[string][]string{}
	err := w.query(ctx, `SELECT subject_number, order_number FROM registry_submissions WHERE status = 'approved' AND type = 'first_filing'`,
		func(scan func(...any) error) error {
			var num, order string
			if err := scan(&num, &order); err != nil {
				return err
			}
			bySubmission[num] = append(bySubmission[num], order)
			return nil
		})
	if err != nil {
		fail("check.read", "read the approved submissions: %v", err)
	}
	for num, orders := range bySubmission {
		if len(orders) > 1 {
			fail("numbers.twice", "the subject number %s was given to %d approved first filings: %s", num, len(orders), strings.Join(orders, ", "))
		}
	}
	for _, q := range []string{`SELECT number FROM subjects WHERE number IS NOT NULL AND number <> ''`,
		`SELECT number FROM websites WHERE number IS NOT NULL AND number <> ''`} {
		err := w.query(ctx, q, func(scan func(...any) error) error {
			var num string
			if err := scan(&num); err != nil {
				return err
			}
			n++
			if registry[num] == 0 {
				fail("numbers.unknown", "the provider holds the number %s, which the registry never issued", num)
			}
			return nil
		})
		if err != nil {
			fail("check.read", "read the provider's numbers: %v", err)
		}
	}
	return n
}

// checkSubmissions: an order is sent to the registry at most once per
// entry into sms_confirmation (one attempt row each), and the registry
// holds at most one submission per attempt.
func (w *chaosWorld) checkSubmissions(ctx context.Context, fail func(kind, format string, args ...any)) {
	count := func(q string) map[string]int {
		m := map[string]int{}
		err := w.query(ctx, q, func(scan func(...any) error) error {
			var k string
			var c int
			if err := scan(&k, &c); err != nil {
				return err
			}
			m[k] = c
			return nil
		})
		if err != nil {
			fail("check.read", "count submissions: %v", err)
		}
		return m
	}
	// The server keeps running while these are read, in three statements:
	// read each effect before its cause (a registry submission comes from
	// an attempt, an attempt is written with its entry into
	// sms_confirmation), so a later read sees every cause of what an
	// earlier one saw and a move in between cannot look like a double.
	at := count(`SELECT order_number, COUNT(*) FROM registry_submissions GROUP BY order_number`)
	attempts := count(`SELECT o.number, COUNT(*) FROM order_submissions a JOIN orders o ON o.id = a.order_id GROUP BY o.number`)
	entries := count(`SELECT o.number, COUNT(*) FROM order_stages s JOIN orders o ON o.id = s.order_id WHERE s.to_stage = 'sms_confirmation' GROUP BY o.number`)
	for num, c := range attempts {
		if c > entries[num] {
			fail("submission.double", "order %s has %d registry attempts but entered sms_confirmation %d time(s)", num, c, entries[num])
		}
	}
	for num, c := range at {
		if c > attempts[num] {
			fail("submission.double", "the registry holds %d submissions of order %s, which made %d attempt(s)", c, num, attempts[num])
		}
	}
}

// query runs q on the chaos process's handle and calls fn for each row.
func (w *chaosWorld) query(ctx context.Context, q string, fn func(scan func(...any) error) error, args ...any) error {
	var rows *sql.Rows
	var err error
	if w.snap != nil { // inside check: its snapshot
		rows, err = w.snap.QueryContext(ctx, q, args...)
	} else {
		rows, err = w.db.SQL.QueryContext(ctx, q, args...)
	}
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := fn(rows.Scan); err != nil {
			return err
		}
	}
	return rows.Err()
}

// timerRef names a due timer: its table, id and due time (a timer that
// re-arms itself, such as the daily term sweep, runs and moves its due
// time instead of being marked fired).
type timerRef struct {
	table string
	id    int64
	due   int64
}

// dueTimers lists the timers of both contexts that are due at at and
// have neither fired nor been cancelled.
func (w *chaosWorld) dueTimers(ctx context.Context, at time.Time) ([]timerRef, error) {
	var due []timerRef
	for _, t := range []string{"provider_timers", "registry_timers"} {
		err := w.query(ctx, `SELECT id, due_at FROM `+t+` WHERE fired_at = 0 AND cancelled_at = 0 AND due_at <= $1`, func(scan func(...any) error) error {
			r := timerRef{table: t}
			err := scan(&r.id, &r.due)
			due = append(due, r)
			return err
		}, sqlstore.Micro(at))
		if err != nil {
			return due, err
		}
	}
	return due, nil
}

// afterRestart: the timers that were due when the server died fire, and
// the outbox messages that were due (not leased by the dead process) go,
// within 20 seconds of the restart.
func (w *chaosWorld) afterRestart(ctx context.Context, k int) {
	now, err := w.clock(ctx)
	if err != nil {
		w.rep.fail("crash.clock", "after kill %d: read the sandbox clock: %v", k, err)
		return
	}
	due := w.downDue // due at the restart; the server may have fired them already
	w.downDue = nil
	atRestart, _ := w.dueTimers(ctx, now)
	for _, r := range atRestart {
		if !slices.ContainsFunc(due, func(d timerRef) bool { return d.table == r.table && d.id == r.id }) {
			due = append(due, r)
		}
	}
	deadline := time.Now().Add(20 * time.Second)
	for len(due) > 0 {
		var left []timerRef
		for _, d := range due {
			var fired, cancelled, dueAt int64
			var lastErr string
			err := w.db.SQL.QueryRowContext(ctx, `SELECT fired_at, cancelled_at, due_at, last_error FROM `+d.table+` WHERE id = $1`, d.id).Scan(&fired, &cancelled, &dueAt, &lastErr)
			switch {
			case err != nil:
				left = append(left, d)
			case fired != 0 || cancelled != 0 || dueAt > d.due:
				w.rep.Crash.TimersFired++
			case time.Now().After(deadline):
				w.rep.fail("crash.timer", "after kill %d: %s %d was due and has not fired 20 s after the restart (last error %q)", k, d.table, d.id, lastErr)
			default:
				left = append(left, d)
			}
		}
		if time.Now().After(deadline) || sleep(ctx, 250*time.Millisecond) != nil {
			break
		}
		due = left
	}
	w.passwordsPaid(ctx, k)
	w.drainOutbox(ctx, fmt.Sprintf("after kill %d", k), false)
}

// passwordsPaid: the filing passwords owed when the server died (approved
// first filings, Rule PWD-1) are issued within 20 seconds of the restart.
func (w *chaosWorld) passwordsPaid(ctx context.Context, k int) {
	var owed []string
	if err := w.query(ctx, `SELECT subject_number FROM registry_password_due`, func(scan func(...any) error) error {
		var s string
		err := scan(&s)
		owed = append(owed, s)
		return err
	}); err != nil {
		w.rep.fail("crash.passwords", "after kill %d: read the passwords owed: %v", k, err)
		return
	}
	deadline := time.Now().Add(20 * time.Second)
	for len(owed) > 0 {
		var left []string
		for _, s := range owed {
			var n int
			if err := w.db.SQL.QueryRowContext(ctx, `SELECT COUNT(*) FROM registry_password_due WHERE subject_number = $1`, s).Scan(&n); err != nil || n > 0 {
				left = append(left, s)
				continue
			}
			w.rep.Crash.PasswordsPaid++
		}
		if owed = left; len(owed) == 0 {
			return
		}
		if time.Now().After(deadline) || sleep(ctx, 250*time.Millisecond) != nil {
			w.rep.fail("crash.passwords", "after kill %d: %d filing password(s) still owed 20 s after the restart", k, len(owed))
			return
		}
	}
}

// drainOutbox waits up to 20 s for the outbox messages due now (all of
// them when all is set; otherwise those no dead process holds a lease on)
// to be delivered to the sandbox mailbox.
func (w *chaosWorld) drainOutbox(ctx context.Context, label string, all bool) {
	now, err := w.clock(ctx)
	if err != nil {
		w.rep.fail("crash.clock", "%s: read the sandbox clock: %v", label, err)
		return
	}
	cond := `sent_at = 0 AND next_attempt_at <= $1 AND lease_until <= $1`
	if all {
		cond = `sent_at = 0 AND next_attempt_at <= $1`
	}
	pending := func() (ids map[string]bool) {
		ids = map[string]bool{}
		for _, t := range []string{"provider_outbox", "registry_outbox"} {
			_ = w.query(ctx, `SELECT id FROM `+t+` WHERE `+cond, func(scan func(...any) error) error {
				var id string
				err := scan(&id)
				ids[t+":"+id] = true
				return err
			}, sqlstore.Micro(now))
		}
		return ids
	}
	first := pending()
	deadline := time.Now().Add(20 * time.Second)
	for {
		left := pending()
		n := 0
		for id := range first {
			if !left[id] {
				n++
			}
		}
		if n == len(first) {
			w.rep.Crash.OutboxDrained += n
			return
		}
		if time.Now().After(deadline) || sleep(ctx, 250*time.Millisecond) != nil {
			w.rep.Crash.OutboxDrained += n
			w.rep.fail("crash.outbox", "%s: %d of %d due outbox message(s) still undelivered after 20 s", label, len(first)-n, len(first))
			return
		}
	}
}
