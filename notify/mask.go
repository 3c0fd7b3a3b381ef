package notify

import (
	"math/rand/v2"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/beian/beian/outbox"
)

// MaskRecipient hides most of a recipient for logs (Rule NOTE-1): a phone
// keeps its first three and last four digits (138****5678), an email its
// first character and its domain (a***@example.com). Anything else keeps
// only its first character.
func MaskRecipient(to string) string {
	to = strings.TrimSpace(to)
	if to == "" {
		return ""
	}
	if at := strings.LastIndexByte(to, '@'); at >= 0 {
		local, domain := to[:at], to[at+1:]
		if local == "" {
			return "***@" + domain
		}
		r, _ := utf8.DecodeRuneInString(local)
		return string(r) + "***@" + domain
	}
	if isPhone(to) {
		return to[:len(to)-8] + "****" + to[len(to)-4:]
	}
	r, _ := utf8.DecodeRuneInString(to)
	return string(r) + "***"
}

// isPhone reports whether s is a phone number of at least 11 digits,
// optionally with a leading "+".
func isPhone(s string) bool {
	s = strings.TrimPrefix(s, "+")
	if len(s) < 11 {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// redact removes what a sender's error could echo of the message — the
// recipient, the rendered text, the template's values — before the error is
// logged or stored as last_error (Rule NOTE-1). Values shorter than four
// characters are left alone: they are too short to be secrets worth hiding
// and too common to replace without garbling the error.
func redact(s string, m outbox.Message, r Rendered) string {
	var pairs []string
	for _, v := range []string{r.Text, r.Subject} {
		if utf8.RuneCountInString(v) >= 4 {
			pairs = append(pairs, v, "[text]")
		}
	}
	for _, v := range m.Data {
		if utf8.RuneCountInString(v) >= 4 {
			pairs = append(pairs, v, "***")
		}
	}
	if m.To != "" {
		pairs = append(pairs, m.To, MaskRecipient(m.To))
	}
	// Longest first, so a value inside the text does not break the text's match.
	for i := 0; i < len(pairs); i += 2 {
		for j := i + 2; j < len(pairs); j += 2 {
			if len(pairs[j]) > len(pairs[i]) {
				pairs[i], pairs[i+1], pairs[j], pairs[j+1] = pairs[j], pairs[j+1], pairs[i], pairs[i+1]
			}
		}
	}
	for i := 0; i < len(pairs); i += 2 {
		s = strings.ReplaceAll(s, pairs[i], pairs[i+1])
	}
	return s
}

// Backoff bounds of DefaultBackoff.
const (
	BackoffBase = 5 * time.Second
	BackoffMax  = 30 * time.Minute
)

// PermanentAttempt is the attempt number the worker passes to Backoff for a
// permanent failure (a 4xx from the SMS webhook other than 408/429, a 5xx
// SMTP reply, a template that does not render): such a message is still
// retried (it is never dropped, Rule NOTE-1), but only after the longest
// backoff, since retrying soon cannot help.
const PermanentAttempt = 64

// DefaultBackoff is the delay before attempt+1 after attempt failed: 5 s,
// doubling per attempt, capped at 30 minutes, with ±20% jitter (never above
// the cap) so that messages failed together do not retry together.
func DefaultBackoff(attempt int) time.Duration {
	if attempt < 1 {
		attempt = 1
	}
	d := BackoffMax
	if attempt <= 20 {
		if e := BackoffBase << (attempt - 1); e < BackoffMax {
			d = e
		}
	}
	d = time.Duration(float64(d) * (0.8 + 0.4*rand.Float64()))
	return min(d, BackoffMax)
}
