// Package notify delivers the outbox's messages (Rule NOTE-1): it renders
// them from zh-CN templates, sends them through a sender per channel (SMTP
// for email, an HTTP webhook for SMS, or the sandbox mailbox), and runs the
// worker that claims, sends, and marks them with backoff. Logs carry only the
// message ID, template, channel and a masked recipient, never the data or the
// text, which can hold passwords and codes.
package notify

import (
	"context"
	"errors"

	"github.com/beian/beian/outbox"
	"github.com/beian/beian/sqlstore"
)

// Sender delivers rendered messages of one channel. Send must be safe for
// concurrent use and should be idempotent on m.ID where the receiver allows
// (the worker delivers at least once). An error marked Permanent is retried
// only after the longest backoff.
type Sender interface {
	// Channel is outbox.SMS or outbox.Email.
	Channel() string
	// Send delivers the message; a nil error means the receiver accepted it.
	Send(ctx context.Context, m outbox.Message, r Rendered) error
}

// txSender is a Sender that delivers into a database (the sandbox
// mailbox): when it is the worker's, the worker delivers and marks the
// message sent in one transaction — one commit instead of two, and never
// a message delivered but not marked.
type txSender interface {
	sendTx(ctx context.Context, tx *sqlstore.Tx, m outbox.Message, r Rendered) error
	database() *sqlstore.DB
}

// permanentError marks a failure that retrying soon cannot fix.
type permanentError struct{ err error }

func (e *permanentError) Error() string { return "permanent: " + e.err.Error() }
func (e *permanentError) Unwrap() error { return e.err }

// Permanent marks err as a failure that a quick retry cannot fix (the
// receiver rejected the message). The worker still retries it, after the
// longest backoff (see PermanentAttempt); nil stays nil.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return &permanentError{err: err}
}

// IsPermanent reports whether err was marked Permanent.
func IsPermanent(err error) bool {
	var p *permanentError
	return errors.As(err, &p)
}
