package sandbox_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/beian/beian"
	"github.com/beian/beian/notify"
	"github.com/beian/beian/outbox"
	"github.com/beian/beian/sqlstore"
	"github.com/beian/beian/sqlstore/sqltest"
)

func TestSurfaceMessages(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	sqltest.Each(t, nil, func(t *testing.T, db *sqlstore.DB) {
		e := newEnv(t, db, beian.NewManualClock(t0))
		send := func(bounded, channel, id, to, text string) {
			t.Helper()
			m := outbox.Message{ID: id, Channel: channel, To: to, Template: "sms_code"}
			if err := notify.NewMailbox(db, bounded, channel).Send(ctx, m, notify.Rendered{Subject: "主题", Text: text}); err != nil {
				t.Fatal(err)
			}
			e.base.Advance(time.Second)
		}
		// Both contexts, interleaved recipients, IDs out of order.
		send("registry", outbox.SMS, "z1", "13800138000", "验证码 123456")
		send("provider", outbox.SMS, "a2", "13900139000", "别人的")
		send("provider", outbox.Email, "m3", "13800138000", "密码 Abc12345")
		send("registry", outbox.SMS, "b4", "13800138000", "第三条")

		t.Run("OKOldestFirstBothContexts", func(t *testing.T) {
			w := do(t, e.mux, "GET", "/api/v1/sandbox/messages?to=13800138000", "")
			if w.Code != http.StatusOK {
				t.Fatalf("status %d: %s", w.Code, w.Body)
			}
			var got []map[string]any
			if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil {
				t.Fatal(err)
			}
			var ids []string
			for _, m := range got {
				ids = append(ids, m["id"].(string))
				if len(m) != 6 || m["to"] != "13800138000" || m["template"] != "sms_code" {
					t.Errorf("row %v, want the 6 fields of API.md", m)
				}
			}
			if strings.Join(ids, ",") != "z1,m3,b4" {
				t.Fatalf("IDs %v, want z1,m3,b4", ids)
			}
			if got[0]["channel"] != "sms" || got[0]["body"] != "验证码 123456" || got[0]["created_at"] != "2026-09-21T10:00:00+08:00" {
				t.Errorf("first row %v", got[0])
			}
			if got[1]["channel"] != "email" || got[1]["body"] != "主题\n\n密码 Abc12345" {
				t.Errorf("email row %v", got[1])
			}
		})
		t.Run("OKEmptyList", func(t *testing.T) {
			w := do(t, e.mux, "GET", "/api/v1/sandbox/messages?to=nobody@example.com", "")
			if w.Code != http.StatusOK || strings.TrimSpace(w.Body.String()) != "[]" {
				t.Errorf("%d %q, want 200 []", w.Code, w.Body)
			}
		})
		for name, path := range map[string]string{
			"ErrToMissing": "/api/v1/sandbox/messages",
			"ErrToEmpty":   "/api/v1/sandbox/messages?to=",
			"ErrToBlank":   "/api/v1/sandbox/messages?to=%20",
		} {
			t.Run(name, func(t *testing.T) {
				wantError(t, do(t, e.mux, "GET", path, ""), http.StatusBadRequest, beian.KindBadRequest, "sandbox.to_required")
			})
		}
		t.Run("NotFoundWrongMethod", func(t *testing.T) {
			wantError(t, do(t, e.mux, "POST", "/api/v1/sandbox/messages?to=13800138000", "{}"), http.StatusNotFound, beian.KindNotFound, "")
		})
	})
}
