package provider

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"strconv"
	"time"

	"github.com/beian/beian"
	"github.com/beian/beian/notify"
	"github.com/beian/beian/outbox"
	"github.com/beian/beian/sqlstore"
	"github.com/beian/beian/timer"
)

// The daily sweep of server terms (Rule NOTE-1) is one durable timer that
// re-arms itself for the next day.
const (
	timerTermSweep = "resource_term_sweep"
	termSweepRef   = "daily"
	// termSweepHour is the hour of day (CST) the sweep runs at.
	termSweepHour = 9
)

// resTemplatePrefix is the provider's namespace of message templates, built
// rather than written as "provider.…" literals so that a scan for message
// codes does not take template names for codes.
const resTemplatePrefix = "provider" + "."

// TemplateTermWarning warns that a server's term ends soon (Rule NOTE-1):
// external_id, term_end (a date), days.
const TemplateTermWarning = resTemplatePrefix + "resource_term_warning"

// ResourceTemplates adds the resource area's message templates to t, in
// zh-CN, for SMS and email (Rule NOTE-1).
func (s *Service) ResourceTemplates(t *notify.Templates) {
	t.MustAdd(TemplateTermWarning,
		"【备案提醒】您用于备案的云服务器 {{.external_id}} 将于 {{.term_end}} 到期（剩余 {{.days}} 天）。到期后网站将失去备案云资源，请及时续费。",
		"备案云服务器即将到期",
		"您好：\n\n您用于备案的云服务器 {{.external_id}} 将于 {{.term_end}} 到期（剩余 {{.days}} 天）。\n服务器到期后，网站将失去接入服务商的备案云资源，可能被注销备案。请及时续费；如已续费，请忽略本提醒。\n")
}

// ResourceTimerHandlers returns the resource area's timer handlers: the
// daily term sweep (Rule NOTE-1).
func (s *Service) ResourceTimerHandlers() map[string]timer.Handler {
	return map[string]timer.Handler{timerTermSweep: s.termSweep}
}

// EnsureTermSweep arms the daily term sweep to run now when it is not
// pending (on start-up, and after resources are registered or imported).
func (s *Service) EnsureTermSweep(ctx context.Context) error {
	return s.DB.InTx(ctx, func(tx *sqlstore.Tx) error {
		tm, ok, err := s.Timers.GetTx(ctx, tx, timerTermSweep, termSweepRef)
		if err != nil || (ok && tm.Pending()) {
			return err
		}
		return s.Timers.Schedule(ctx, tx, timerTermSweep, termSweepRef, tx.Now, "")
	})
}

// nextSweep is the next termSweepHour o'clock CST after t.
func nextSweep(t time.Time) time.Time {
	c := t.In(beian.CST)
	next := time.Date(c.Year(), c.Month(), c.Day(), termSweepHour, 0, 0, 0, beian.CST)
	if !next.After(c) {
		next = next.AddDate(0, 0, 1)
	}
	return next
}

// termSweep warns, once per resource and term, the customer whose active
// server's term ends within Options.TermWarningDays, by SMS and email
// through the outbox in the sweep's transaction (Rule NOTE-1), then
// re-arms itself for the next day. An account without a known responsible
// person's contact is tried again at the next sweep.
func (s *Service) termSweep(ctx context.Context, tx *sqlstore.Tx, _ timer.Timer) error {
	window := time.Duration(s.Options.TermWarningDays) * 24 * time.Hour
	rows, err := tx.QueryContext(ctx, `SELECT r.id, r.account_id, r.external_id, r.term_end FROM resources r
		WHERE r.active = 1 AND r.term_end > $1 AND r.term_end <= $2
		AND NOT EXISTS (SELECT 1 FROM resource_term_warnings w WHERE w.resource_id = r.id AND w.term_end = r.term_end)
		ORDER BY r.term_end, r.id`, sqlstore.Micro(tx.Now), sqlstore.Micro(tx.Now.Add(window)))
	if err != nil {
		return err
	}
	type due struct {
		id, account int64
		external    string
		end         int64
	}
	var dues []due
	for rows.Next() {
		var d due
		if err := rows.Scan(&d.id, &d.account, &d.external, &d.end); err != nil {
			rows.Close()
			return err
		}
		dues = append(dues, d)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, d := range dues {
		person, ok, err := contactOf(ctx, tx, d.account)
		if err != nil {
			return err
		}
		if !ok {
			continue
		}
		end := sqlstore.FromMicro(d.end)
		data := map[string]string{"external_id": d.external, "term_end": end.In(beian.CST).Format(time.DateOnly),
			"days": strconv.Itoa(int(end.Sub(tx.Now) / (24 * time.Hour)))}
		if person.Mobile != "" {
			if _, err := s.Outbox.Enqueue(ctx, tx, outbox.Message{Channel: outbox.SMS, To: person.Mobile, Template: TemplateTermWarning, Data: data}); err != nil {
				return err
			}
		}
		if person.Email != "" {
			if _, err := s.Outbox.Enqueue(ctx, tx, outbox.Message{Channel: outbox.Email, To: person.Email, Template: TemplateTermWarning, Data: data}); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO resource_term_warnings (resource_id, term_end, warned_at) VALUES ($1, $2, $3)`,
			d.id, d.end, sqlstore.Micro(tx.Now)); err != nil {
			return sqlstore.MapErr(err)
		}
		s.Log.InfoContext(ctx, "resource term warning queued", "resource_id", d.id, "template", TemplateTermWarning)
	}
	return s.Timers.Schedule(ctx, tx, timerTermSweep, termSweepRef, nextSweep(tx.Now), "")
}

// contactOf returns the responsible person of the account's subject as its
// latest order names it (the one who receives NOTE-1 messages), and false
// when the account has no order with a mobile number or an email yet.
func contactOf(ctx context.Context, tx *sqlstore.Tx, accountID int64) (beian.Person, bool, error) {
	var raw string
	err := tx.QueryRowContext(ctx, `SELECT data FROM orders WHERE account_id = $1
		ORDER BY CASE WHEN stage = 'abandoned' THEN 1 ELSE 0 END, id DESC LIMIT 1`, accountID).Scan(&raw)
	if errors.Is(err, sql.ErrNoRows) {
		return beian.Person{}, false, nil
	}
	if err != nil {
		return beian.Person{}, false, err
	}
	var d beian.OrderData
	if json.Unmarshal([]byte(raw), &d) != nil {
		return beian.Person{}, false, nil
	}
	p := d.Subject.Person
	return p, p.Mobile != "" || p.Email != "", nil
}
