package notify_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/beian/beian/notify"
	"github.com/beian/beian/outbox"
	"github.com/beian/beian/sqlstore"
	"github.com/beian/beian/sqlstore/sqltest"
)

func TestMailbox(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	clk := newClock()
	sqltest.Each(t, clk, func(t *testing.T, db *sqlstore.DB) {
		providerSMS := notify.NewMailbox(db, "provider", outbox.SMS)
		registrySMS := notify.NewMailbox(db, "registry", outbox.SMS)
		providerEmail := notify.NewMailbox(db, "provider", outbox.Email)
		if providerSMS.Channel() != outbox.SMS || providerEmail.Channel() != outbox.Email {
			t.Fatal("wrong channels")
		}
		send := func(s notify.Sender, id, to, text string) {
			t.Helper()
			m := outbox.Message{ID: id, Channel: s.Channel(), To: to, Template: "notice"}
			r := notify.Rendered{Text: text}
			if s.Channel() == outbox.Email {
				r.Subject = "主题" + id
			}
			if err := s.Send(ctx, m, r); err != nil {
				t.Fatal(err)
			}
			clk.Advance(time.Second)
		}
		// Interleaved recipients and contexts; IDs deliberately out of order.
		send(providerSMS, "z1", "13812345678", "第一条 密码 Abc12345")
		send(registrySMS, "a2", "13900000000", "别人的")
		send(providerEmail, "m3", "zhang@example.com", "邮件正文")
		send(registrySMS, "b4", "13812345678", "第二条")
		send(providerSMS, "c5", "13812345678", "第三条")

		t.Run("OrderedPerRecipient", func(t *testing.T) {
			got, err := notify.Mailbox(ctx, db, "13812345678")
			if err != nil {
				t.Fatal(err)
			}
			var ids, bodies []string
			for _, m := range got {
				ids = append(ids, m.ID)
				bodies = append(bodies, m.Body)
				if m.Channel != outbox.SMS || m.To != "13812345678" || m.Template != "notice" {
					t.Errorf("row %+v", m)
				}
			}
			if strings.Join(ids, ",") != "z1,b4,c5" {
				t.Errorf("IDs %v, want z1,b4,c5", ids)
			}
			if bodies[0] != "第一条 密码 Abc12345" {
				t.Errorf("body %q: the sandbox mailbox keeps the text", bodies[0])
			}
			if !got[0].CreatedAt.Before(got[1].CreatedAt) {
				t.Errorf("created_at %v, %v", got[0].CreatedAt, got[1].CreatedAt)
			}
		})
		t.Run("EmailBodyIsSubjectAndText", func(t *testing.T) {
			got, err := notify.Mailbox(ctx, db, "zhang@example.com")
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != 1 || got[0].Body != "主题m3\n\n邮件正文" || got[0].Channel != outbox.Email {
				t.Fatalf("got %+v", got)
			}
		})
		t.Run("RedeliveryKeptOnce", func(t *testing.T) {
			send(providerSMS, "z1", "13812345678", "第一条 again")
			got, err := notify.Mailbox(ctx, db, "13812345678")
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != 3 || got[0].Body != "第一条 密码 Abc12345" {
				t.Fatalf("got %d rows, first %q", len(got), got[0].Body)
			}
		})
		t.Run("UnknownRecipientIsEmptyList", func(t *testing.T) {
			got, err := notify.Mailbox(ctx, db, "nobody@example.com")
			if err != nil {
				t.Fatal(err)
			}
			js, _ := json.Marshal(got)
			if string(js) != "[]" {
				t.Fatalf("got %s", js)
			}
		})
		t.Run("JSONShape", func(t *testing.T) {
			got, err := notify.Mailbox(ctx, db, "zhang@example.com")
			if err != nil {
				t.Fatal(err)
			}
			var rows []map[string]any
			js, _ := json.Marshal(got)
			if err := json.Unmarshal(js, &rows); err != nil {
				t.Fatal(err)
			}
			for _, k := range []string{"id", "channel", "to", "template", "body", "created_at"} {
				if _, ok := rows[0][k]; !ok {
					t.Errorf("no %q in %s", k, js)
				}
			}
			if len(rows[0]) != 6 {
				t.Errorf("extra fields in %s", js)
			}
		})
	})
	t.Run("PanicsOnUnknownContext", func(t *testing.T) {
		defer func() {
			if recover() == nil {
				t.Fatal("no panic")
			}
		}()
		notify.NewMailbox(nil, "bureau", outbox.SMS)
	})
}

// The worker delivers into a mailbox of its own database and marks the
// messages sent (a batch in one transaction with its claim, txSender):
// every message is in the mailbox once and only a message that does not
// render is pending; a message already in the mailbox (a
// delivery whose mark was lost) is marked, not stored twice.
func TestMailboxWorker(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	sqltest.Each(t, newClock(), func(t *testing.T, db *sqlstore.DB) {
		o := mustOutbox(t, "provider")
		box := notify.NewMailbox(db, "provider", outbox.SMS)
		ids := enqueue(t, db, o, hello(outbox.SMS, "13812340001"), hello(outbox.SMS, "13812340002"))
		if err := box.Send(ctx, outbox.Message{ID: ids[1], Channel: outbox.SMS, To: "13812340002", Template: "test.hello"},
			notify.Rendered{Text: "你好，张三"}); err != nil {
			t.Fatal(err)
		}
		if sent, failed := runOnce(t, newWorker(db, o, box)); sent != 2 || failed != 0 {
			t.Fatalf("sent %d, failed %d; want 2, 0", sent, failed)
		}
		// A batch with a message that does not render goes the ordinary
		// way: the others delivered, that one failed.
		bad := hello(outbox.SMS, "13812340003")
		bad.Template = "no.such.template"
		enqueue(t, db, o, hello(outbox.SMS, "13812340004"), bad)
		if sent, failed := runOnce(t, newWorker(db, o, box)); sent != 1 || failed != 1 {
			t.Fatalf("with a message that does not render: sent %d, failed %d; want 1, 1", sent, failed)
		}
		if p := pending(t, db, o); p[outbox.SMS] != 1 {
			t.Fatalf("pending after the runs: %v, want the one that does not render", p)
		}
		for i, to := range []string{"13812340001", "13812340002"} {
			msgs, err := notify.Mailbox(ctx, db, to)
			if err != nil {
				t.Fatal(err)
			}
			if len(msgs) != 1 || msgs[0].ID != ids[i] {
				t.Fatalf("mailbox of %s: %+v, want message %s once", to, msgs, ids[i])
			}
		}
	})
}
