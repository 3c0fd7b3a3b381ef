package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	"github.com/beian/beian/outbox"
)

// WebhookConfig configures the SMS sender: an HTTP endpoint of the operator's
// SMS gateway.
type WebhookConfig struct {
	URL     string        // required, http or https
	Token   string        // sent as "Authorization: Bearer <Token>" when set
	Timeout time.Duration // per request; default 15 s
	Client  *http.Client  // default: a client with Timeout
}

type webhookSender struct {
	url    string
	token  string
	client *http.Client
}

// webhookBody is what the SMS webhook receives.
type webhookBody struct {
	ID       string `json:"id"`
	To       string `json:"to"`
	Template string `json:"template"`
	Text     string `json:"text"`
}

// NewSMSWebhook returns the SMS sender. Each message is one POST of
// {"id","to","template","text"} as JSON with the header "Idempotency-Key:
// <id>" (so the gateway can drop a repeated delivery). A 2xx answer means
// delivered. A 4xx other than 408 and 429 means the gateway rejected the
// message: the error is Permanent, so the worker retries it only after the
// longest backoff (never dropping it, Rule NOTE-1). 408, 429, 5xx, other
// answers, and network errors and timeouts are temporary.
func NewSMSWebhook(cfg WebhookConfig) (Sender, error) {
	u, err := url.Parse(cfg.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("notify: SMS webhook URL %q is not an http(s) URL", cfg.URL)
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 15 * time.Second
	}
	c := cfg.Client
	if c == nil {
		c = &http.Client{Timeout: cfg.Timeout}
	}
	return &webhookSender{url: cfg.URL, token: cfg.Token, client: c}, nil
}

// Channel is outbox.SMS.
func (s *webhookSender) Channel() string { return outbox.SMS }

// Send posts one SMS to the webhook.
func (s *webhookSender) Send(ctx context.Context, m outbox.Message, r Rendered) error {
	body, err := json.Marshal(webhookBody{ID: m.ID, To: m.To, Template: m.Template, Text: r.Text})
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	req.Header.Set("Idempotency-Key", m.ID)
	if s.token != "" {
		req.Header.Set("Authorization", "Bearer "+s.token)
	}
	resp, err := s.client.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // the URL can hold a token in its query; keep it out of logs
		}
		return fmt.Errorf("sms webhook: %w", err)
	}
	// Drain a little so the connection can be reused; the body is never kept:
	// a gateway may echo the text.
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	switch code := resp.StatusCode; {
	case code >= 200 && code < 300:
		return nil
	case code == http.StatusRequestTimeout || code == http.StatusTooManyRequests:
		return fmt.Errorf("sms webhook: HTTP %d", code)
	case code >= 400 && code < 500:
		return Permanent(fmt.Errorf("sms webhook: HTTP %d", code))
	default:
		return fmt.Errorf("sms webhook: HTTP %d", code)
	}
}
