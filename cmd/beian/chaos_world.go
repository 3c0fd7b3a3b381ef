package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/beian/beian"
	"github.com/beian/beian/identity"
	"github.com/beian/beian/sqlstore"
)

// chaosWorld is the run's database, its `serve` child, and the accounts
// the scenarios act as.
type chaosWorld struct {
	o   chaosOptions
	dsn sqlstore.DSN
	dir string
	rep *chaosReport
	db  *sqlstore.DB // the chaos process's own handle, for the invariant checks
	// snap is check's snapshot while it runs (query reads through it).
	snap *sql.Tx
	srv  *chaosServer
	// downDue are the timers due when a killed server restarts (dueWhileDown),
	// which afterRestart waits for.
	downDue []timerRef

	admin, padmin, reviewer, reviewer2, bureau *chaosClient
	// The customer pool: accounts made before the first start, each taken
	// by one client for one filing.
	mu        sync.Mutex
	customers []chaosAccount
	next      int
	people    demoPeople
	start     time.Time // the sandbox clock at the first start
	seq       int
	slow      *slowCheck // a slow-body check still waiting for the server's timeout
}

// chaosAccount is an account made for the run, with a long-lived API token.
type chaosAccount struct {
	Login, Password, Token string
	ID                     int64
}

// chaosStaffPassword is the password of every account the run makes; the
// accounts live only in the scratch database.
const chaosStaffPassword = "chaos-correct-horse-battery"

// newChaosWorld migrates the scratch database, makes the staff and the
// customer pool with API tokens (as `beian user add` makes accounts), and
// starts the first `serve`.
func newChaosWorld(ctx context.Context, o chaosOptions, dsn sqlstore.DSN, dir string, rep *chaosReport) (*chaosWorld, error) {
	w := &chaosWorld{o: o, dsn: dsn, dir: dir, rep: rep, people: demoPeople{last6: map[string]string{}}}
	db, err := sqlstore.Open(ctx, dsn, nil)
	if err != nil {
		return nil, fmt.Errorf("open the scratch database: %w", err)
	}
	w.db = db
	if _, err := db.Migrate(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("migrate the scratch database: %w", err)
	}
	// Cheap password hashes for the run's own accounts: they sign in with
	// tokens; the rate-limit scenario's logins pay the server's real cost.
	id := &identity.Service{DB: db, Contexts: []string{identity.ContextProvider, identity.ContextRegistry},
		Params: identity.HashParams{Memory: 64, Time: 1, Threads: 1}}
	staff := func(role beian.Role, province string) (chaosAccount, error) {
		w.seq++
		a := chaosAccount{Login: fmt.Sprintf("chaos-%s-%d", strings.ReplaceAll(string(role), "_", "-"), w.seq), Password: chaosStaffPassword}
		p, err := id.CreateAccount(ctx, identity.NewAccount{Login: a.Login, Password: a.Password, Role: role, Province: province, Name: a.Login}, "chaos")
		if err != nil {
			return a, fmt.Errorf("create %s: %w", role, err)
		}
		a.ID = p.AccountID
		a.Token, err = id.CreateToken(ctx, p, "chaos", identity.MaxTokenTTL)
		return a, err
	}
	accounts := map[string]chaosAccount{}
	for _, s := range []struct {
		name     string
		role     beian.Role
		province string
	}{{"admin", beian.RoleRegistryAdmin, ""}, {"padmin", beian.RoleProviderAdmin, ""}, {"reviewer", beian.RoleProviderReviewer, ""},
		{"reviewer2", beian.RoleProviderReviewer, ""}, {"bureau", beian.RoleBureauReviewer, "110000"}} {
		a, err := staff(s.role, s.province)
		if err != nil {
			w.close()
			return nil, err
		}
		accounts[s.name] = a
	}
	// Crash clients take one customer per filing, leaving poolReserve to
	// the other scenarios.
	for range o.Clients*3 + poolReserve {
		a, err := staff(beian.RoleCustomer, "")
		if err != nil {
			w.close()
			return nil, err
		}
		w.customers = append(w.customers, a)
	}
	w.srv = &chaosServer{exe: o.Exe, dsn: dsn, dir: dir, env: o.childEnv, rep: rep}
	if err := w.srv.start(ctx); err != nil {
		w.close()
		return nil, err
	}
	base := w.srv.url
	w.admin = newChaosClient(base, accounts["admin"].Token, "")
	w.padmin = newChaosClient(base, accounts["padmin"].Token, "")
	w.reviewer = newChaosClient(base, accounts["reviewer"].Token, "")
	w.reviewer2 = newChaosClient(base, accounts["reviewer2"].Token, "")
	w.bureau = newChaosClient(base, accounts["bureau"].Token, "")
	if w.start, err = w.clock(ctx); err != nil {
		w.close()
		return nil, fmt.Errorf("read the sandbox clock: %w", err)
	}
	return w, nil
}

func (w *chaosWorld) close() {
	if w.srv != nil {
		w.srv.kill()
	}
	if w.db != nil {
		w.db.Close()
	}
}

// customer takes the next account of the pool; ok is false when it is used up.
func (w *chaosWorld) customer() (chaosAccount, bool) { return w.customerKeeping(0) }

// poolReserve is what the crash load leaves in the pool for the scenarios
// after it (concurrency, bad input, rate limits take a few each).
const poolReserve = 40

// customerKeeping is customer, but refuses while no more than keep
// accounts are left.
func (w *chaosWorld) customerKeeping(keep int) (chaosAccount, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.next >= len(w.customers)-keep {
		return chaosAccount{}, false
	}
	w.next++
	return w.customers[w.next-1], true
}

// clock reads the sandbox clock (the database's time) through the API.
func (w *chaosWorld) clock(ctx context.Context) (time.Time, error) {
	var c struct {
		Now time.Time `json:"now"`
	}
	_, err := w.admin.json(ctx, "GET", "/api/v1/sandbox/clock", nil, &c)
	return c.Now, err
}

// chaosServer is one `beian serve --sandbox` child at a fixed address,
// started again after each kill.
type chaosServer struct {
	exe, dir string
	dsn      sqlstore.DSN
	env      []string
	rep      *chaosReport
	url      string
	addr     string
	cmd      *exec.Cmd
	exited   chan error
	starts   int
}

// start runs the child and waits until /readyz answers 200.
func (s *chaosServer) start(ctx context.Context) error {
	if s.addr == "" {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return err
		}
		s.addr = ln.Addr().String()
		ln.Close()
		s.url = "http://" + s.addr
	}
	db := "sqlite://" + s.dsn.Path
	if s.dsn.Driver == sqlstore.Postgres {
		db = s.dsn.URL
	}
	logf, err := os.OpenFile(filepath.Join(s.dir, "serve.log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	s.starts++
	fmt.Fprintf(logf, "\n--- start %d ---\n", s.starts)
	cmd := exec.Command(s.exe, "serve", "--addr", s.addr, "--db", db, "--sandbox", "--blob-dir", filepath.Join(s.dir, "blobs"), "--log-level", "warn",
		"--read-header-timeout", serveReadHeaderTimeout.String(), "--read-timeout", serveReadTimeout.String())
	cmd.Env = append(append(os.Environ(), s.env...), "BEIAN_CONFIG=")
	cmd.Stdout, cmd.Stderr = logf, logf
	chaosChildAttr(cmd)
	if err := cmd.Start(); err != nil {
		logf.Close()
		return fmt.Errorf("start %s serve: %w", s.exe, err)
	}
	s.cmd, s.exited = cmd, make(chan error, 1)
	go func() { s.exited <- cmd.Wait(); logf.Close() }()
	deadline := time.Now().Add(60 * time.Second)
	hc := &http.Client{Timeout: 2 * time.Second}
	for {
		select {
		case err := <-s.exited:
			s.exited <- err
			return fmt.Errorf("'beian serve' exited at start (%v); its log:\n%s", err, s.logTail())
		default:
		}
		if resp, err := hc.Get(s.url + "/readyz"); err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		if time.Now().After(deadline) {
			s.kill()
			return fmt.Errorf("'beian serve' not ready within 60 s; its log:\n%s", s.logTail())
		}
		if err := sleep(ctx, 50*time.Millisecond); err != nil {
			s.kill()
			return err
		}
	}
}

// alive reports whether the child still runs.
func (s *chaosServer) alive() bool {
	if s.cmd == nil {
		return false
	}
	select {
	case err := <-s.exited:
		s.exited <- err
		return false
	default:
		return true
	}
}

// kill sends SIGKILL and waits for the child to be gone.
func (s *chaosServer) kill() {
	if s.cmd == nil {
		return
	}
	_ = s.cmd.Process.Kill()
	err := <-s.exited
	s.exited <- err
	s.cmd = nil
}

// stop asks the child to shut down gracefully (SIGTERM) and waits up to
// 20 seconds.
func (s *chaosServer) stop() error {
	if s.cmd == nil {
		return nil
	}
	if !s.alive() {
		s.cmd = nil
		return errors.New("it had already exited")
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-s.exited:
		s.exited <- err
		s.cmd = nil
		return err
	case <-time.After(20 * time.Second):
		s.kill()
		return errors.New("still running 20 s after SIGTERM")
	}
}

// logTail is the end of the children's log, for error messages.
func (s *chaosServer) logTail() string {
	b, _ := os.ReadFile(filepath.Join(s.dir, "serve.log"))
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	return string(b)
}

// chaosClient calls the server as one account (bearer token, or a session
// cookie with its CSRF token, or nobody) from one local address.
type chaosClient struct {
	base, token string
	cookie      string // session cookie value (page forms)
	csrf        string
	hc          *http.Client
}

// newChaosClient is a client from the local address (127.0.0.1 when "").
func newChaosClient(base, token, local string) *chaosClient {
	d := &net.Dialer{Timeout: 5 * time.Second}
	if local != "" {
		d.LocalAddr = &net.TCPAddr{IP: net.ParseIP(local)}
	}
	tr := &http.Transport{DialContext: d.DialContext, MaxIdleConns: 256, MaxIdleConnsPerHost: 256, IdleConnTimeout: 30 * time.Second}
	return &chaosClient{base: base, token: token, hc: &http.Client{Transport: tr, Timeout: 60 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// chaosAnswer is one answer.
type chaosAnswer struct {
	Status int
	Body   []byte
	Header http.Header
}

// do sends one request; hdr holds name/value pairs.
func (c *chaosClient) do(ctx context.Context, method, path string, body []byte, ctype string, hdr ...string) (chaosAnswer, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return chaosAnswer{}, err
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	req.Header.Set("Accept-Language", "en")
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	if c.cookie != "" {
		req.AddCookie(&http.Cookie{Name: identity.CookieName, Value: c.cookie})
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return chaosAnswer{}, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	if err != nil {
		return chaosAnswer{}, err
	}
	return chaosAnswer{Status: resp.StatusCode, Body: b, Header: resp.Header}, nil
}

// json sends v as JSON (nil: no body) and decodes a 2xx answer into out.
// A non-2xx answer is returned with an error naming it.
func (c *chaosClient) json(ctx context.Context, method, path string, v, out any, hdr ...string) (chaosAnswer, error) {
	var body []byte
	ctype := ""
	if v != nil {
		var err error
		if body, err = json.Marshal(v); err != nil {
			return chaosAnswer{}, err
		}
		ctype = "application/json"
	}
	a, err := c.do(ctx, method, path, body, ctype, hdr...)
	if err != nil {
		return a, err
	}
	if a.Status/100 != 2 {
		return a, fmt.Errorf("%s %s: %d %s", method, path, a.Status, bytes.TrimSpace(a.Body))
	}
	if out != nil {
		if err := json.Unmarshal(a.Body, out); err != nil {
			return a, fmt.Errorf("%s %s: decode the answer: %w", method, path, err)
		}
	}
	return a, nil
}

// localAddr is the loopback address of client n (127.0.1.1, 127.0.1.2, …),
// so that per-address rate limits see many clients.
func localAddr(block, n int) string {
	return fmt.Sprintf("127.%d.%d.%d", block, 1+n/250, 1+n%250)
}
