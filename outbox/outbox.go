// Package outbox is the durable queue of outgoing notifications (Rule
// NOTE-1): a message is written in the same transaction as its cause, claimed
// by a worker under a lease, and marked sent or failed. A message is never
// dropped: a failure only moves its next attempt later. The package is
// context-neutral; the provider and the registry each have their own table
// (provider_outbox, registry_outbox).
package outbox

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/beian/beian"
	"github.com/beian/beian/sqlstore"
)

// The channels a message can leave through.
const (
	SMS   = "sms"
	Email = "email"
)

// Channels lists every channel.
var Channels = []string{SMS, Email}

// maxErrText bounds the last_error column; a sender's error is a diagnosis,
// not a transcript.
const maxErrText = 500

// Message is one notification waiting in (or read from) the outbox. Data holds
// the template's values; it can hold passwords and codes and must never be
// logged (Rule NOTE-1).
type Message struct {
	ID        string            // 128-bit random hex, assigned by Enqueue when empty
	Channel   string            // SMS or Email
	To        string            // phone number or email address
	Template  string            // template name, see notify.Templates
	Data      map[string]string // template values
	CreatedAt time.Time         // set by Enqueue from the transaction's time
	Attempts  int               // delivery attempts so far, counting the current claim
}

// Outbox is the outbox of one bounded context.
type Outbox struct {
	table string
}

// New returns the outbox of the context, "provider" or "registry"; any other
// context is an error.
func New(context string) (*Outbox, error) {
	switch context {
	case "provider", "registry":
		return &Outbox{table: context + "_outbox"}, nil
	}
	return nil, fmt.Errorf("outbox: unknown context %q (want provider or registry)", context)
}

// Table returns the name of the outbox's table.
func (o *Outbox) Table() string { return o.table }

// ValidChannel reports whether ch is a known channel.
func ValidChannel(ch string) bool { return ch == SMS || ch == Email }

// NewID returns a random 128-bit message ID in hex.
func NewID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // never fails (crypto/rand since Go 1.24)
	return hex.EncodeToString(b[:])
}

// Enqueue writes m in the caller's transaction, so the message exists exactly
// when its cause commits (Rule NOTE-1), and returns its ID (m.ID, or a new
// random one when m.ID is empty). The channel must be known and the recipient
// and template non-empty (KindInvalid otherwise); a duplicate ID is a conflict.
func (o *Outbox) Enqueue(ctx context.Context, tx *sqlstore.Tx, m Message) (id string, err error) {
	defer beian.Wrap(&err, "enqueue %s message", o.table)
	switch {
	case !ValidChannel(m.Channel):
		return "", beian.Errorf(beian.KindInvalid, "outbox.channel", "channel", m.Channel)
	case strings.TrimSpace(m.To) == "":
		return "", beian.Errorf(beian.KindInvalid, "outbox.recipient")
	case strings.TrimSpace(m.Template) == "":
		return "", beian.Errorf(beian.KindInvalid, "outbox.template")
	}
	if m.ID == "" {
		m.ID = NewID()
	}
	data := m.Data
	if data == nil {
		data = map[string]string{}
	}
	js, err := json.Marshal(data)
	if err != nil {
		return "", err
	}
	now := sqlstore.Micro(tx.Now)
	_, err = tx.ExecContext(ctx, `INSERT INTO `+o.table+
		` (id, channel, recipient, template, data, created_at, next_attempt_at) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		m.ID, m.Channel, m.To, m.Template, string(js), now, now)
	if err != nil {
		return "", sqlstore.MapErr(err)
	}
	tx.Signal(SignalTopic(o))
	return m.ID, nil
}

// SignalTopic is the sqlstore signal an enqueue raises on commit, which
// the outbox's workers in this process wait on (sqlstore.DB.OnSignal).
func SignalTopic(o *Outbox) string { return "outbox:" + o.table }

// Claim takes up to limit due messages of the given channels, oldest first:
// not sent, next attempt due and no live lease. In one transaction it leases
// them until now+lease and counts the attempt, so no other worker claims them
// until they are marked or the lease runs out (a worker that died leaves its
// messages to be claimed again). On PostgreSQL the rows are selected FOR
// UPDATE SKIP LOCKED, so concurrent workers take disjoint sets; SQLite's
// write transactions are serial. "Now" is db.Clock. Channels with no entry
// in channels are never touched.
func (o *Outbox) Claim(ctx context.Context, db *sqlstore.DB, channels []string, limit int, lease time.Duration) (msgs []Message, err error) {
	defer beian.Wrap(&err, "claim from %s", o.table)
	if len(channels) == 0 || limit <= 0 {
		return nil, nil
	}
	err = db.InTx(ctx, func(tx *sqlstore.Tx) (err error) {
		msgs, err = o.ClaimTx(ctx, tx, channels, limit, lease)
		return err
	})
	return msgs, err
}

// ClaimTx is Claim in the caller's transaction: for a worker that delivers
// into the same database, claim, delivery and marks commit together.
func (o *Outbox) ClaimTx(ctx context.Context, tx *sqlstore.Tx, channels []string, limit int, lease time.Duration) (msgs []Message, err error) {
	if len(channels) == 0 || limit <= 0 {
		return nil, nil
	}
	if lease <= 0 {
		return nil, errors.New("lease must be positive")
	}
	err = func() error {
		where, args := dueWhere(tx.Now, channels)
		args = append(args, limit)
		q := `SELECT id, channel, recipient, template, data, created_at, attempts FROM ` + o.table +
			where + ` ORDER BY created_at, id LIMIT ` + fmt.Sprintf("$%d", len(args))
		if tx.Driver == sqlstore.Postgres {
			q += ` FOR UPDATE SKIP LOCKED`
		}
		rows, err := tx.QueryContext(ctx, q, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var m Message
			var data string
			var created int64
			if err := rows.Scan(&m.ID, &m.Channel, &m.To, &m.Template, &data, &created, &m.Attempts); err != nil {
				return err
			}
			if err := json.Unmarshal([]byte(data), &m.Data); err != nil {
				return fmt.Errorf("message %s: data: %w", m.ID, err)
			}
			m.CreatedAt = sqlstore.FromMicro(created)
			m.Attempts++
			msgs = append(msgs, m)
		}
		if err := rows.Err(); err != nil {
			return err
		}
		rows.Close()
		if len(msgs) == 0 {
			return nil
		}
		until := sqlstore.Micro(tx.Now.Add(lease))
		args = []any{until}
		marks := make([]string, len(msgs))
		for i, m := range msgs {
			args = append(args, m.ID)
			marks[i] = fmt.Sprintf("$%d", len(args))
		}
		_, err = tx.ExecContext(ctx, `UPDATE `+o.table+` SET lease_until = $1, attempts = attempts + 1 WHERE id IN (`+
			strings.Join(marks, ", ")+`)`, args...)
		return err
	}()
	if err != nil {
		return nil, err
	}
	return msgs, nil
}

// dueWhere is the WHERE clause of the messages of channels due at now, and
// its arguments ($1 is now, the channels follow).
func dueWhere(now time.Time, channels []string) (string, []any) {
	args := []any{sqlstore.Micro(now)}
	marks := make([]string, len(channels))
	for i, ch := range channels {
		args = append(args, ch)
		marks[i] = fmt.Sprintf("$%d", len(args))
	}
	return ` WHERE sent_at = 0 AND next_attempt_at <= $1 AND lease_until <= $1 AND channel IN (` +
		strings.Join(marks, ", ") + `)`, args
}

// AnyDue reports, from a read, whether a message of channels is due now (as
// Claim would take it, but for another worker's row lock): a worker woken
// by a commit that queued nothing it sends learns so without a write
// transaction, which on SQLite would wait for the database's one writer.
func (o *Outbox) AnyDue(ctx context.Context, db *sqlstore.DB, channels []string) (due bool, err error) {
	defer beian.Wrap(&err, "look for due %s messages", o.table)
	if len(channels) == 0 {
		return false, nil
	}
	where, args := dueWhere(db.Clock.Now(), channels)
	var one int
	err = db.SQL.QueryRowContext(ctx, `SELECT 1 FROM `+o.table+where+` LIMIT 1`, args...).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	return err == nil, err
}

// MarkSent records that the message was delivered and releases its lease.
// Marking a sent message again keeps the first time. An unknown ID is
// KindNotFound.
func (o *Outbox) MarkSent(ctx context.Context, db *sqlstore.DB, id string) (err error) {
	defer beian.Wrap(&err, "mark %s message %s sent", o.table, id)
	return db.InTx(ctx, func(tx *sqlstore.Tx) error { return o.MarkSentTx(ctx, tx, id) })
}

// MarkSentTx is MarkSent in the caller's transaction: for a sender that
// delivers into the same database (the sandbox mailbox), delivery and mark
// commit together.
func (o *Outbox) MarkSentTx(ctx context.Context, tx *sqlstore.Tx, id string) error {
	res, err := tx.ExecContext(ctx, `UPDATE `+o.table+
		` SET sent_at = CASE WHEN sent_at = 0 THEN $2 ELSE sent_at END, lease_until = 0, last_error = '' WHERE id = $1`,
		id, sqlstore.Micro(tx.Now))
	if err != nil {
		return err
	}
	return found(res)
}

// MarkFailed records a failed attempt: it releases the lease and schedules
// the next attempt at retryAt. errText is kept (shortened) for operators; it
// must not contain the message body (Rule NOTE-1). A message already marked
// sent (by a worker that claimed it after a lease ran out) stays sent. An
// unknown ID is KindNotFound.
func (o *Outbox) MarkFailed(ctx context.Context, db *sqlstore.DB, id string, errText string, retryAt time.Time) (err error) {
	defer beian.Wrap(&err, "mark %s message %s failed", o.table, id)
	errText = truncate(errText, maxErrText)
	return db.InTx(ctx, func(tx *sqlstore.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE `+o.table+
			` SET lease_until = 0, next_attempt_at = $2, last_error = $3 WHERE id = $1 AND sent_at = 0`,
			id, sqlstore.Micro(retryAt), errText)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n > 0 {
			return err
		}
		var one int
		err = tx.QueryRowContext(ctx, `SELECT 1 FROM `+o.table+` WHERE id = $1`, id).Scan(&one)
		if errors.Is(err, sql.ErrNoRows) {
			return beian.Errorf(beian.KindNotFound, "outbox.message")
		}
		return err
	})
}

// Pending counts the unsent messages per channel (every channel is present,
// zero included), for /readyz and the start-up warning about channels that
// have no sender.
func (o *Outbox) Pending(ctx context.Context, db *sqlstore.DB) (counts map[string]int, err error) {
	defer beian.Wrap(&err, "count pending %s messages", o.table)
	rows, err := db.SQL.QueryContext(ctx, `SELECT channel, COUNT(*) FROM `+o.table+` WHERE sent_at = 0 GROUP BY channel`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	counts = make(map[string]int, len(Channels))
	for _, ch := range Channels {
		counts[ch] = 0
	}
	for rows.Next() {
		var ch string
		var n int
		if err := rows.Scan(&ch, &n); err != nil {
			return nil, err
		}
		counts[ch] = n
	}
	return counts, rows.Err()
}

// found turns an update that matched no row into KindNotFound.
func found(res sql.Result) error {
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return beian.Errorf(beian.KindNotFound, "outbox.message")
	}
	return nil
}

// truncate shortens s to at most n bytes without splitting a character.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	s = s[:n]
	for len(s) > 0 && !utf8.ValidString(s) {
		s = s[:len(s)-1]
	}
	return s + "…"
}
