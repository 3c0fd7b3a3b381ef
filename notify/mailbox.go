package notify

import (
	"context"
	"fmt"
	"time"

	"github.com/beian/beian"
	"github.com/beian/beian/outbox"
	"github.com/beian/beian/sqlstore"
)

type mailboxSender struct {
	db      *sqlstore.DB
	context string
	channel string
}

// NewMailbox returns the sandbox sender of one channel of one context
// ("provider" or "registry"): with --sandbox, messages land in the
// sandbox_mailbox table instead of leaving the machine. The body is the
// rendered text (email: subject, a blank line, text). A message delivered
// twice is kept once (the row's id is the message ID). An unknown context or
// channel is a wiring mistake and panics.
func NewMailbox(db *sqlstore.DB, context, channel string) Sender {
	if context != "provider" && context != "registry" {
		panic(fmt.Sprintf("notify: mailbox of unknown context %q", context))
	}
	if !outbox.ValidChannel(channel) {
		panic(fmt.Sprintf("notify: mailbox of unknown channel %q", channel))
	}
	return &mailboxSender{db: db, context: context, channel: channel}
}

// Channel is the channel given to NewMailbox.
func (s *mailboxSender) Channel() string { return s.channel }

// Send stores the message in the sandbox mailbox.
func (s *mailboxSender) Send(ctx context.Context, m outbox.Message, r Rendered) error {
	return s.db.InTx(ctx, func(tx *sqlstore.Tx) error { return s.sendTx(ctx, tx, m, r) })
}

// sendTx stores the message in tx (txSender): the worker marks it sent in
// the same transaction.
func (s *mailboxSender) sendTx(ctx context.Context, tx *sqlstore.Tx, m outbox.Message, r Rendered) error {
	body := r.Text
	if s.channel == outbox.Email {
		body = r.Subject + "\n\n" + r.Text
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO sandbox_mailbox (id, context, channel, recipient, template, body, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (id) DO NOTHING`,
		m.ID, s.context, s.channel, m.To, m.Template, body, sqlstore.Micro(tx.Now))
	return sqlstore.MapErr(err)
}

func (s *mailboxSender) database() *sqlstore.DB { return s.db }

// MailboxMessage is one message of the sandbox mailbox, in the shape of
// GET /api/v1/sandbox/messages (API.md).
type MailboxMessage struct {
	ID        string    `json:"id"`
	Channel   string    `json:"channel"`
	To        string    `json:"to"`
	Template  string    `json:"template"`
	Body      string    `json:"body"`
	CreatedAt time.Time `json:"created_at"`
}

// Mailbox lists the sandbox mailbox of both contexts for one recipient (a
// phone or an email address), oldest first (in the order the rows were
// written). A recipient without messages gets an empty list.
func Mailbox(ctx context.Context, db *sqlstore.DB, to string) (msgs []MailboxMessage, err error) {
	defer beian.Wrap(&err, "read the sandbox mailbox")
	rows, err := db.SQL.QueryContext(ctx, `SELECT id, channel, recipient, template, body, created_at
		FROM sandbox_mailbox WHERE recipient = $1 ORDER BY seq`, to)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	msgs = []MailboxMessage{}
	for rows.Next() {
		var m MailboxMessage
		var at int64
		if err := rows.Scan(&m.ID, &m.Channel, &m.To, &m.Template, &m.Body, &at); err != nil {
			return nil, err
		}
		m.CreatedAt = sqlstore.FromMicro(at)
		msgs = append(msgs, m)
	}
	return msgs, rows.Err()
}
