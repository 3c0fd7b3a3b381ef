package notify_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/beian/beian/notify"
	"github.com/beian/beian/outbox"
)

func TestSMTP(t *testing.T) {
	ctx := context.Background()
	serverTLS, clientTLS := testCert(t)
	m := outbox.Message{ID: "0123456789abcdef0123456789abcdef", Channel: outbox.Email, To: "zhang@example.com", Template: "test.hello"}
	r := notify.Rendered{Subject: "备案审核结果", Text: "您好：\n\n您的备案已通过。"}

	check := func(t *testing.T, rec *smtpRecorder) {
		t.Helper()
		got := rec.received()
		if len(got) != 1 {
			t.Fatalf("server got %d messages", len(got))
		}
		g := got[0]
		if g.BeianID != m.ID || g.MessageID != "<"+m.ID+"@beian>" {
			t.Errorf("IDs: X-Beian-Message-ID %q, Message-ID %q", g.BeianID, g.MessageID)
		}
		if g.From != "noreply@beian.test" || len(g.To) != 1 || g.To[0] != m.To {
			t.Errorf("envelope %s → %v", g.From, g.To)
		}
		if g.Subject != r.Subject || strings.TrimRight(g.Body, "\r\n") != strings.ReplaceAll(r.Text, "\n", "\r\n") {
			t.Errorf("subject %q, body %q", g.Subject, g.Body)
		}
	}

	t.Run("OK_NoTLS", func(t *testing.T) {
		rec := &smtpRecorder{}
		_, addr := startSMTP(t, rec, "127.0.0.1:0", nil, false)
		host, port := hostPort(t, addr)
		s, err := notify.NewSMTP(notify.SMTPConfig{Host: host, Port: port, From: "ICP备案 <noreply@beian.test>", TLS: notify.TLSNone, Timeout: 5 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		if s.Channel() != outbox.Email {
			t.Errorf("channel %q", s.Channel())
		}
		if err := s.Send(ctx, m, r); err != nil {
			t.Fatal(err)
		}
		check(t, rec)
	})
	t.Run("OK_StartTLSWithAuth", func(t *testing.T) {
		rec := &smtpRecorder{user: "beian", pass: "s3cret"}
		_, addr := startSMTP(t, rec, "127.0.0.1:0", serverTLS, false)
		host, port := hostPort(t, addr)
		s, err := notify.NewSMTP(notify.SMTPConfig{Host: host, Port: port, From: "noreply@beian.test", TLS: notify.TLSStartTLS,
			Username: "beian", Password: "s3cret", TLSConfig: clientTLS, Timeout: 5 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Send(ctx, m, r); err != nil {
			t.Fatal(err)
		}
		check(t, rec)
	})
	t.Run("OK_ImplicitTLS", func(t *testing.T) {
		rec := &smtpRecorder{}
		_, addr := startSMTP(t, rec, "127.0.0.1:0", serverTLS, true)
		host, port := hostPort(t, addr)
		s, err := notify.NewSMTP(notify.SMTPConfig{Host: host, Port: port, From: "noreply@beian.test", TLS: notify.TLSImplicit, TLSConfig: clientTLS, Timeout: 5 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Send(ctx, m, r); err != nil {
			t.Fatal(err)
		}
		check(t, rec)
	})
	t.Run("ErrStartTLSMissing", func(t *testing.T) {
		rec := &smtpRecorder{}
		_, addr := startSMTP(t, rec, "127.0.0.1:0", nil, false)
		host, port := hostPort(t, addr)
		s, err := notify.NewSMTP(notify.SMTPConfig{Host: host, Port: port, From: "noreply@beian.test", Timeout: 5 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Send(ctx, m, r); err == nil || len(rec.received()) != 0 {
			t.Fatalf("sent in clear under the starttls policy: err %v", err)
		}
	})
	t.Run("ErrServerDownIsTemporary", func(t *testing.T) {
		ln := listen(t, "127.0.0.1:0")
		addr := ln.Addr().String()
		ln.Close() // nothing listens here now
		host, port := hostPort(t, addr)
		s, err := notify.NewSMTP(notify.SMTPConfig{Host: host, Port: port, From: "noreply@beian.test", TLS: notify.TLSNone, Timeout: 2 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		err = s.Send(ctx, m, r)
		if err == nil || notify.IsPermanent(err) {
			t.Fatalf("err = %v, want a temporary error", err)
		}
	})
	for _, tc := range []struct {
		name      string
		code      int
		permanent bool
	}{
		{"ErrRejected550IsPermanent", 550, true},
		{"ErrRejected451IsTemporary", 451, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := &smtpRecorder{reject: &smtp.SMTPError{Code: tc.code, Message: "no"}}
			_, addr := startSMTP(t, rec, "127.0.0.1:0", nil, false)
			host, port := hostPort(t, addr)
			s, err := notify.NewSMTP(notify.SMTPConfig{Host: host, Port: port, From: "noreply@beian.test", TLS: notify.TLSNone, Timeout: 5 * time.Second})
			if err != nil {
				t.Fatal(err)
			}
			err = s.Send(ctx, m, r)
			if err == nil || notify.IsPermanent(err) != tc.permanent {
				t.Fatalf("err = %v, permanent %v, want permanent %v", err, notify.IsPermanent(err), tc.permanent)
			}
		})
	}
	for _, tc := range []struct {
		name string
		cfg  notify.SMTPConfig
	}{
		{"ErrNoHost", notify.SMTPConfig{From: "a@b.c"}},
		{"ErrNoFrom", notify.SMTPConfig{Host: "127.0.0.1"}},
		{"ErrBadFrom", notify.SMTPConfig{Host: "127.0.0.1", From: "not an address"}},
		{"ErrBadTLSPolicy", notify.SMTPConfig{Host: "127.0.0.1", From: "a@b.c", TLS: "ssl3"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := notify.NewSMTP(tc.cfg); err == nil {
				t.Fatal("no error")
			}
		})
	}
}
