package notify_test

import (
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/beian/beian/notify"
	"github.com/beian/beian/outbox"
	"github.com/beian/beian/sqlstore"
	"github.com/beian/beian/sqlstore/sqltest"
)

// TestWorkerLogsNoSecrets runs a full failure + retry + send cycle of a
// message whose data holds a password and a phone, with senders whose errors
// echo the recipient, the text and the data (as careless gateways do), and
// checks that neither the log nor last_error shows them (Rule NOTE-1).
func TestWorkerLogsNoSecrets(t *testing.T) {
	t.Parallel()
	const (
		password = "Xk9mP2vLq7Tz"
		toPhone  = "13812345678"
		toEmail  = "alice@example.com"
		other    = "13987654321" // a phone inside the data
	)
	clk := newClock()
	sqltest.Each(t, clk, func(t *testing.T, db *sqlstore.DB) {
		var buf syncBuffer
		log := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
		o := mustOutbox(t, "provider")
		data := map[string]string{"title": "初始密码", "body": "您的初始密码为 " + password + "，如有疑问请致电 " + other}
		ids := enqueue(t, db, o,
			outbox.Message{Channel: outbox.SMS, To: toPhone, Template: "notice", Data: data},
			outbox.Message{Channel: outbox.Email, To: toEmail, Template: "notice", Data: data})
		echo := func(m outbox.Message, r notify.Rendered) error {
			if m.Attempts == 1 {
				return fmt.Errorf("gateway rejected %s: %q (data %v)", m.To, r.Text, m.Data)
			}
			return nil
		}
		sms := &fakeSender{channel: outbox.SMS, fail: echo}
		email := &fakeSender{channel: outbox.Email, fail: func(m outbox.Message, r notify.Rendered) error {
			if m.Attempts == 1 {
				return fmt.Errorf("550 mailbox %s refused message %q about %s", m.To, r.Subject, m.Data["body"])
			}
			return nil
		}}
		w := newWorker(db, o, sms, email)
		w.Log = log
		if sent, failed := runOnce(t, w); failed != 2 || sent != 0 {
			t.Fatalf("first round: sent %d, failed %d", sent, failed)
		}
		rows, err := db.SQL.Query(`SELECT last_error FROM provider_outbox`)
		if err != nil {
			t.Fatal(err)
		}
		var lastErrors []string
		for rows.Next() {
			var s string
			if err := rows.Scan(&s); err != nil {
				t.Fatal(err)
			}
			lastErrors = append(lastErrors, s)
		}
		rows.Close()
		clk.Advance(notify.BackoffMax)
		if sent, failed := runOnce(t, w); sent != 2 || failed != 0 {
			t.Fatalf("second round: sent %d, failed %d", sent, failed)
		}
		out := buf.String()
		t.Logf("log:\n%s", out)
		for _, where := range []struct{ name, text string }{{"log", out}, {"last_error", strings.Join(lastErrors, "\n")}} {
			for _, secret := range []string{password, toPhone, toEmail, other, "初始密码为"} {
				if strings.Contains(where.text, secret) {
					t.Errorf("%s shows %q", where.name, secret)
				}
			}
		}
		for _, want := range []string{ids[0], ids[1], "notice", "138****5678", "a***@example.com", "outbox: failed", "outbox: sent"} {
			if !strings.Contains(out, want) {
				t.Errorf("log lacks %q", want)
			}
		}
		// The senders did get the real text: only the logs are redacted.
		if len(sms.texts) != 1 || !strings.Contains(sms.texts[0].Text, password) {
			t.Errorf("SMS text %+v", sms.texts)
		}
		// Keep the clock moving for the next engine.
		clk.Advance(time.Hour)
	})
}
