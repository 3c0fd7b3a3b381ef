package notify

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"time"

	mail "github.com/wneessen/go-mail"

	"github.com/beian/beian/outbox"
)

// The TLS policies of SMTPConfig.TLS.
const (
	TLSNone     = "none"     // plain SMTP (only for a relay on a trusted network)
	TLSStartTLS = "starttls" // STARTTLS required (the default)
	TLSImplicit = "tls"      // implicit TLS from the first byte (SMTPS, port 465)
)

// HeaderMessageID is the header that carries the outbox message ID, so that
// receivers can de-duplicate a message delivered twice (Rule NOTE-1). The
// Message-ID header carries it too, as <ID@beian>.
const HeaderMessageID = "X-Beian-Message-ID"

// SMTPConfig configures the email sender.
type SMTPConfig struct {
	Host     string // required
	Port     int    // default 25 (none), 587 (starttls) or 465 (tls)
	Username string // SMTP AUTH when set; the mechanism is chosen from the server's offer
	Password string
	From     string        // required: the sender address, e.g. "ICP备案 <noreply@example.com>"
	TLS      string        // TLSNone, TLSStartTLS (default) or TLSImplicit
	Timeout  time.Duration // per connection; default 30 s
	// TLSConfig overrides the TLS settings (e.g. a private CA); its
	// ServerName defaults to Host.
	TLSConfig *tls.Config
}

type smtpSender struct {
	client *mail.Client
	from   string
}

// NewSMTP returns the email sender. It dials one connection per message
// (messages are few and the worker sends them one by one per channel), sets
// the Message-ID to <ID@beian> and X-Beian-Message-ID to the outbox ID, and
// reports a 5xx reply as Permanent; dial failures, timeouts and 4xx replies
// are temporary.
func NewSMTP(cfg SMTPConfig) (Sender, error) {
	if cfg.Host == "" {
		return nil, errors.New("notify: SMTP host is required")
	}
	if cfg.From == "" {
		return nil, errors.New("notify: SMTP sender address (from) is required")
	}
	if err := mail.NewMsg().From(cfg.From); err != nil {
		return nil, fmt.Errorf("notify: SMTP from %q: %w", cfg.From, err)
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 30 * time.Second
	}
	opts := []mail.Option{mail.WithTimeout(cfg.Timeout)}
	port := cfg.Port
	switch cfg.TLS {
	case TLSNone:
		opts = append(opts, mail.WithTLSPolicy(mail.NoTLS))
		port = cmpOr(port, 25)
	case TLSStartTLS, "":
		opts = append(opts, mail.WithTLSPolicy(mail.TLSMandatory))
		port = cmpOr(port, 587)
	case TLSImplicit:
		opts = append(opts, mail.WithSSL(), mail.WithTLSPolicy(mail.NoTLS))
		port = cmpOr(port, 465)
	default:
		return nil, fmt.Errorf("notify: unknown SMTP TLS policy %q (want none, starttls or tls)", cfg.TLS)
	}
	opts = append(opts, mail.WithPort(port))
	if cfg.TLSConfig != nil {
		tc := cfg.TLSConfig.Clone()
		if tc.ServerName == "" {
			tc.ServerName = cfg.Host
		}
		opts = append(opts, mail.WithTLSConfig(tc))
	}
	if cfg.Username != "" {
		opts = append(opts, mail.WithSMTPAuth(mail.SMTPAuthAutoDiscover),
			mail.WithUsername(cfg.Username), mail.WithPassword(cfg.Password))
	}
	c, err := mail.NewClient(cfg.Host, opts...)
	if err != nil {
		return nil, fmt.Errorf("notify: SMTP client: %w", err)
	}
	return &smtpSender{client: c, from: cfg.From}, nil
}

func cmpOr(a, b int) int {
	if a != 0 {
		return a
	}
	return b
}

// Channel is outbox.Email.
func (s *smtpSender) Channel() string { return outbox.Email }

// Send delivers one email over a fresh connection.
func (s *smtpSender) Send(ctx context.Context, m outbox.Message, r Rendered) error {
	msg := mail.NewMsg()
	if err := msg.From(s.from); err != nil {
		return Permanent(fmt.Errorf("smtp: from: %w", err))
	}
	if err := msg.To(m.To); err != nil {
		return Permanent(errors.New("smtp: invalid recipient address"))
	}
	msg.Subject(r.Subject)
	msg.SetBodyString(mail.TypeTextPlain, r.Text)
	msg.SetMessageIDWithValue(m.ID + "@beian")
	msg.SetGenHeader(mail.Header(HeaderMessageID), m.ID)
	msg.SetDate()
	err := s.client.DialAndSendWithContext(ctx, msg)
	if err == nil {
		return nil
	}
	var se *mail.SendError
	if errors.As(err, &se) && se.ErrorCode() >= 500 && se.ErrorCode() < 600 {
		return Permanent(fmt.Errorf("smtp: %w", err))
	}
	return fmt.Errorf("smtp: %w", err)
}
