package main

import (
	"bytes"
	"context"
	"flag"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/beian/beian/notify"
	"github.com/beian/beian/outbox"
	"github.com/beian/beian/sqlstore"
	"github.com/beian/beian/timer"
)

// syncBuffer is a bytes.Buffer safe for a writer and a reader goroutine.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// invoke runs the CLI in-process with the given environment.
func invoke(tb testing.TB, environ map[string]string, args ...string) (code int, stdout, stderr string) {
	tb.Helper()
	var out, errb syncBuffer
	e := &env{stdin: strings.NewReader(""), stdout: &out, stderr: &errb, getenv: func(k string) string { return environ[k] }}
	code = run(context.Background(), args, e)
	return code, out.String(), errb.String()
}

func TestMainServesHealthz(t *testing.T) {
	m := &Main{Addr: "127.0.0.1:0", DB: sqlstore.DSN{Driver: sqlstore.SQLite, Path: filepath.Join(t.TempDir(), "b.db")}}
	if err := m.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	resp, err := http.Get(m.URL() + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), `"ok"`) {
		t.Fatalf("healthz: %d %s", resp.StatusCode, body)
	}
	// Readiness: migrated database; no senders configured → warnings, still ready.
	resp, err = http.Get(m.URL() + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), `"ready":true`) {
		t.Fatalf("readyz: %d %s", resp.StatusCode, body)
	}
	if err := m.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}
}

// PRODUCT.md: without --sandbox and with no sender configured, the server
// starts, warns, and keeps messages queued; /readyz names them.
func TestUnconfiguredSendersKeepMessagesQueued(t *testing.T) {
	var logs syncBuffer
	m := &Main{Addr: "127.0.0.1:0", DB: sqlstore.DSN{Driver: sqlstore.SQLite, Path: filepath.Join(t.TempDir(), "b.db")},
		Log: slog.New(slog.NewTextHandler(&logs, nil))}
	if err := m.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if !strings.Contains(logs.String(), "no email sender configured") || !strings.Contains(logs.String(), "no SMS sender configured") {
		t.Fatalf("no start-up warning: %s", logs.String())
	}
	ob, _ := outbox.New("provider")
	err := m.db.InTx(context.Background(), func(tx *sqlstore.Tx) error {
		_, err := ob.Enqueue(context.Background(), tx, outbox.Message{Channel: outbox.SMS, To: "13800138000", Template: "test.hello", Data: map[string]string{"name": "s3cret-code"}})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get(m.URL() + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), "provider_outbox sms: no sender configured, 1 message(s) queued") {
		t.Fatalf("readyz: %d %s", resp.StatusCode, body)
	}
	if p, _ := ob.Pending(context.Background(), m.db); p[outbox.SMS] != 1 {
		t.Fatalf("message not kept queued: %v", p)
	}
	if strings.Contains(logs.String(), "s3cret-code") || strings.Contains(logs.String(), "13800138000") {
		t.Fatalf("personal data in the log: %s", logs.String())
	}

	// /metrics shows the backlog an operator alerts on: the queued message,
	// and a timer due an hour ago that no handler fires.
	tm, _ := timer.New("provider")
	err = m.db.InTx(context.Background(), func(tx *sqlstore.Tx) error {
		return tm.Schedule(context.Background(), tx, "test.unhandled", "r1", time.Now().Add(-time.Hour), "")
	})
	if err != nil {
		t.Fatal(err)
	}
	resp, err = http.Get(m.URL() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{`beian_outbox_pending{channel="sms",context="provider"} 1`, `beian_outbox_pending{channel="email",context="provider"} 0`,
		"beian_passwords_owed 0"} {
		if !strings.Contains(string(body), want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	// At least ours: the server's own sweeps may be due at the same moment.
	if m := regexp.MustCompile(`beian_timers_due\{context="provider"\} (\d+)`).FindStringSubmatch(string(body)); m == nil || m[1] == "0" {
		t.Errorf("/metrics: beian_timers_due of the provider %v, want at least 1", m)
	}
}

// The real `beian serve` command: listens, answers /healthz, stops on cancel.
func TestServeCommand(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out, errb syncBuffer
	e := &env{stdin: strings.NewReader(""), stdout: &out, stderr: &errb, getenv: func(string) string { return "" }}
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"serve", "--addr", "127.0.0.1:0", "--db", "sqlite://" + filepath.Join(t.TempDir(), "b.db")}, e)
	}()
	re := regexp.MustCompile(`listening on (http://\S+)`)
	var url string
	for deadline := time.Now().Add(10 * time.Second); url == "" && time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if m := re.FindStringSubmatch(errb.String()); m != nil {
			url = m[1]
		}
	}
	if url == "" {
		t.Fatalf("serve did not start: %s", errb.String())
	}
	resp, err := http.Get(url + "/healthz")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("healthz: %v %v", resp, err)
	}
	resp.Body.Close()
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("exit %d: %s", code, errb.String())
		}
	case <-time.After(15 * time.Second):
		t.Fatal("serve did not stop")
	}
}

func TestServeRejectsBadSettings(t *testing.T) {
	for _, tc := range []struct {
		name   string
		args   []string
		env    map[string]string
		errHas string
	}{
		{"ErrUnknownFlag", []string{"serve", "--nope"}, nil, "unknown flag -nope"},
		{"ErrBadDB", []string{"serve", "--db", "mysql://x"}, nil, `"mysql" is not supported`},
		{"ErrBadDBFromEnv", []string{"serve"}, map[string]string{"BEIAN_DB": "nowhere"}, "has no scheme"},
		{"ErrBadAddr", []string{"serve", "--addr", "8080"}, nil, "not host:port"},
		{"ErrHalfRegulator", []string{"serve", "--regulator-url", "http://x"}, nil, "go together"},
		{"ErrBadBool", []string{"serve"}, map[string]string{"BEIAN_SANDBOX": "maybe"}, "BEIAN_SANDBOX"},
		{"ErrBadLogLevel", []string{"serve", "--log-level", "loud"}, nil, "--log-level"},
		{"ErrHalfSMTP", []string{"serve", "--smtp-host", "mail.example.com"}, nil, "--smtp-from go together"},
		{"ErrSMTPTLS", []string{"serve", "--smtp-host", "h", "--smtp-from", "a@b.cn", "--smtp-tls", "ssl"}, nil, "starttls, tls or none"},
		{"ErrSMSURL", []string{"serve", "--sms-webhook-url", "ftp://x"}, nil, "not an http(s) URL"},
		{"ErrStrayArg", []string{"serve", "now"}, nil, `unexpected argument "now"; this command takes flags only`},
		{"ErrAddrPort", []string{"serve", "--addr", "127.0.0.1:99999"}, nil, `port "99999" is not a number from 0 to 65535`},
		{"ErrSMTPPort", []string{"serve", "--smtp-host", "h", "--smtp-from", "a@b.cn", "--smtp-port", "70000"}, nil, "--smtp-port 70000 is not a TCP port"},
		{"ErrHalfSMTPAuth", []string{"serve", "--smtp-host", "h", "--smtp-from", "a@b.cn", "--smtp-username", "u"}, nil, "--smtp-username and --smtp-password go together"},
		{"ErrSMSTokenAlone", []string{"serve"}, map[string]string{"BEIAN_SMS_WEBHOOK_TOKEN": "t"}, "--sms-webhook-token needs --sms-webhook-url"},
		{"ErrReadTimeouts", []string{"serve", "--read-header-timeout", "30s", "--read-timeout", "5s"}, nil, "--read-timeout (5s) at least as long"},
		{"ErrMaxConns", []string{"serve", "--db", "postgres://u@127.0.0.1/x?max_conns=0"}, nil, "max_conns"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _, stderr := invoke(t, tc.env, tc.args...)
			if code != 2 || !strings.Contains(stderr, tc.errHas) {
				t.Fatalf("exit %d, stderr %q; want 2 and %q", code, stderr, tc.errHas)
			}
		})
	}
}

// Settings: flag > environment BEIAN_<FLAG> > config file > default.
func TestSettingsPrecedence(t *testing.T) {
	cfg := filepath.Join(t.TempDir(), "beian.conf")
	os.WriteFile(cfg, []byte("# comment\naddr = 10.0.0.1:1\ndb = \"sqlite://file.db\"\nlog-level = debug\n"), 0o600)
	parse := func(environ map[string]string, args ...string) map[string]string {
		t.Helper()
		fs := flag.NewFlagSet("t", flag.ContinueOnError)
		fs.String("addr", "def:1", "")
		fs.String("db", "def", "")
		fs.String("log-level", "info", "")
		fs.String("other", "def", "")
		e := &env{getenv: func(k string) string { return environ[k] }}
		if err := parseSettings(fs, "t", args, e, ""); err != nil {
			t.Fatal(err)
		}
		got := map[string]string{}
		fs.VisitAll(func(f *flag.Flag) { got[f.Name] = f.Value.String() })
		return got
	}
	got := parse(map[string]string{"BEIAN_DB": "sqlite://env.db", "BEIAN_ADDR": "env:2"}, "--config", cfg, "--addr", "flag:3")
	want := map[string]string{"addr": "flag:3", "db": "sqlite://env.db", "log-level": "debug", "other": "def"}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %q, want %q", k, got[k], v)
		}
	}
	got = parse(map[string]string{"BEIAN_CONFIG": cfg})
	if got["addr"] != "10.0.0.1:1" || got["db"] != "sqlite://file.db" {
		t.Errorf("BEIAN_CONFIG not read: %v", got)
	}
}

func TestConfigFileErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.conf")
	os.WriteFile(bad, []byte("addr = 127.0.0.1:1\nadress = typo\n"), 0o600)
	code, _, stderr := invoke(t, nil, "serve", "--config", bad)
	if code != 2 || !strings.Contains(stderr, "line 2") || !strings.Contains(stderr, `"adress" is not a setting`) {
		t.Errorf("typo: exit %d %q", code, stderr)
	}
	code, _, stderr = invoke(t, nil, "serve", "--config", filepath.Join(dir, "missing.conf"))
	if code != 2 || !strings.Contains(stderr, "missing.conf") {
		t.Errorf("missing file: exit %d %q", code, stderr)
	}
}

func TestCommandTree(t *testing.T) {
	code, stdout, _ := invoke(t, nil, "help")
	for _, name := range []string{"serve", "regulator", "gate", "demo", "migrate", "version", "user add", "provider add", "calendar add", "audit verify", "import registry", "bench", "backup", "restore"} {
		if !strings.Contains(stdout, name) {
			t.Errorf("help lacks %q", name)
		}
	}
	if code != 0 {
		t.Errorf("help: exit %d", code)
	}
	if code, _, stderr := invoke(t, nil, "frobnicate"); code != 2 || !strings.Contains(stderr, "unknown command") {
		t.Errorf("unknown: %d %q", code, stderr)
	}
	if code, _, stderr := invoke(t, nil, "calendar"); code != 2 || !strings.Contains(stderr, "beian calendar add") {
		t.Errorf("calendar alone: %d %q", code, stderr)
	}
	if code, _, stderr := invoke(t, nil, "backup", "--db", "sqlite://x.db"); code != 2 || !strings.Contains(stderr, "--out FILE is required") {
		t.Errorf("backup without --out: %d %q", code, stderr)
	}
	if code, _, _ := invoke(t, nil); code != 2 {
		t.Errorf("no command: exit %d", code)
	}
	code, stdout, _ = invoke(t, nil, "serve", "--help")
	if code != 0 || !strings.Contains(stdout, "--regulator-url") || !strings.Contains(stdout, "BEIAN_DB") {
		t.Errorf("serve --help: %d %q", code, stdout)
	}
	code, stdout, _ = invoke(t, nil, "version")
	if code != 0 || !strings.HasPrefix(stdout, "beian ") {
		t.Errorf("version: %d %q", code, stdout)
	}
}

// Rules CAL-1 and REV-2 through the command line.
func TestCalendarAdd(t *testing.T) {
	for _, tc := range []struct {
		name        string
		env         map[string]string
		args        []string
		code        int
		out, errHas string
	}{
		{"OKAcrossNationalDay", nil, []string{"--from", "2025-09-30", "--days", "1"}, 0, "2025-10-09\n", ""},
		{"OKMakeUpSunday", nil, []string{"--from", "2025-09-26", "--days", "1"}, 0, "2025-09-28\n", ""},
		{"OKZero", nil, []string{"--from", "2026-10-03", "--days", "0"}, 0, "2026-10-03\n", ""},
		{"OKDaysFromEnv", map[string]string{"BEIAN_DAYS": "1"}, []string{"--from", "2025-09-30"}, 0, "2025-10-09\n", ""},
		// 浙江: 30 business days (REV-2); 北京: 20.
		{"OKProvinceZhejiang", nil, []string{"--from", "2026-11-02", "--province", "浙江"}, 0, "2026-12-14\n", ""},
		{"OKProvinceCode", nil, []string{"--from", "2026-11-02", "--province", "110000"}, 0, "2026-11-30\n", ""},
		{"OKEstimate", nil, []string{"--from", "2031-03-03", "--days", "5"}, 0, "2031-03-10\n", "estimate"},
		{"ErrBoth", nil, []string{"--from", "2026-11-02", "--days", "3", "--province", "浙"}, 2, "", "not both"},
		{"ErrNeither", nil, []string{"--from", "2026-11-02"}, 2, "", "--days N or --province P"},
		{"ErrNoFrom", nil, []string{"--days", "3"}, 2, "", "--from is required"},
		{"ErrBadDate", nil, []string{"--from", "2026-02-30", "--days", "3"}, 2, "", "YYYY-MM-DD"},
		{"ErrProvince", nil, []string{"--from", "2026-11-02", "--province", "川"}, 2, "", "unknown province"},
		{"ErrDays", nil, []string{"--from", "2026-11-02", "--days", "x"}, 2, "", "invalid value"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := invoke(t, tc.env, append([]string{"calendar", "add"}, tc.args...)...)
			if code != tc.code || stdout != tc.out || (tc.errHas != "" && !strings.Contains(stderr, tc.errHas)) {
				t.Fatalf("exit %d stdout %q stderr %q; want %d %q %q", code, stdout, stderr, tc.code, tc.out, tc.errHas)
			}
			if tc.errHas == "" && stderr != "" {
				t.Fatalf("unexpected stderr %q", stderr)
			}
		})
	}
}

func TestCalendarAddHolidaysDir(t *testing.T) {
	dir := t.TempDir()
	// A made-up 2031 file: 2031-03-04 off, so 5 business days from 03-03 end on 03-11.
	os.WriteFile(filepath.Join(dir, "2031.json"), []byte(`{"year":2031,"source":"test","off":["2031-03-04"],"workdays":[]}`), 0o600)
	code, stdout, stderr := invoke(t, map[string]string{"BEIAN_HOLIDAYS_DIR": dir}, "calendar", "add", "--from", "2031-03-03", "--days", "5")
	if code != 0 || stdout != "2031-03-11\n" || stderr != "" {
		t.Fatalf("exit %d %q %q", code, stdout, stderr)
	}
	os.WriteFile(filepath.Join(dir, "2032.json"), []byte(`{"year":2031}`), 0o600)
	code, _, stderr = invoke(t, nil, "calendar", "add", "--holidays-dir", dir, "--from", "2031-03-03", "--days", "5")
	if code != 1 || !strings.Contains(stderr, "2032.json") {
		t.Fatalf("bad file: exit %d %q", code, stderr)
	}
}

// beian migrate, audit head and audit verify on a fresh SQLite file.
func TestMigrateAndAuditCommands(t *testing.T) {
	db := "sqlite://" + filepath.Join(t.TempDir(), "b.db")
	code, stdout, stderr := invoke(t, nil, "migrate", "--db", db)
	if code != 0 || !strings.Contains(stdout, "applied 0001_machinery") || !strings.Contains(stdout, "schema version") {
		t.Fatalf("migrate: %d %q %q", code, stdout, stderr)
	}
	code, stdout, _ = invoke(t, nil, "migrate", "--db", db)
	if code != 0 || strings.Contains(stdout, "applied") {
		t.Fatalf("second migrate: %d %q", code, stdout)
	}
	code, stdout, _ = invoke(t, nil, "audit", "head", "--db", db, "--context", "provider")
	head := strings.TrimSpace(stdout)
	if code != 0 || len(head) != 64 {
		t.Fatalf("audit head: %d %q", code, stdout)
	}
	code, stdout, stderr = invoke(t, nil, "audit", "verify", "--db", db, "--head", head)
	if code != 0 || !strings.Contains(stdout, "provider: 0 records intact") || !strings.Contains(stdout, "registry: 0 records intact") {
		t.Fatalf("audit verify: %d %q %q", code, stdout, stderr)
	}
	code, _, stderr = invoke(t, nil, "audit", "verify", "--db", db, "--head", strings.Repeat("ab", 32))
	if code != 1 || !strings.Contains(stderr, "not in the chain") {
		t.Fatalf("unknown kept head: %d %q", code, stderr)
	}
	code, _, stderr = invoke(t, nil, "audit", "verify", "--db", db, "--context", "bureau")
	if code != 2 || !strings.Contains(stderr, "provider or registry") {
		t.Fatalf("bad context: %d %q", code, stderr)
	}
}

// With --sandbox, both contexts' messages land in the sandbox mailbox.
func TestSandboxMessagesLandInMailbox(t *testing.T) {
	m := &Main{Addr: "127.0.0.1:0", Sandbox: true, DB: sqlstore.DSN{Driver: sqlstore.SQLite, Path: filepath.Join(t.TempDir(), "b.db")}}
	if err := m.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	for i, c := range []string{"provider", "registry"} {
		ob, _ := outbox.New(c)
		err := m.db.InTx(context.Background(), func(tx *sqlstore.Tx) error {
			_, err := ob.Enqueue(context.Background(), tx, outbox.Message{Channel: outbox.Email, To: "a@example.com", Template: "test.hello", Data: map[string]string{"name": "x"}})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		m.workers[i].Wake()
	}
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		msgs, err := notify.Mailbox(context.Background(), m.db, "a@example.com")
		if err != nil {
			t.Fatal(err)
		}
		if len(msgs) == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("mailbox holds %d messages, want 2", len(msgs))
		}
	}
}
