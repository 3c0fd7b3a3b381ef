package notify_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"math/big"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/beian/beian"
	"github.com/beian/beian/notify"
	"github.com/beian/beian/outbox"
	"github.com/beian/beian/sqlstore"
)

// clock is a settable clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2026, 9, 28, 10, 0, 0, 0, beian.CST)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func mustOutbox(tb testing.TB, context string) *outbox.Outbox {
	tb.Helper()
	o, err := outbox.New(context)
	if err != nil {
		tb.Fatal(err)
	}
	return o
}

// enqueue writes the messages in one committed transaction and returns their IDs.
func enqueue(tb testing.TB, db *sqlstore.DB, o *outbox.Outbox, msgs ...outbox.Message) []string {
	tb.Helper()
	var ids []string
	err := db.InTx(context.Background(), func(tx *sqlstore.Tx) error {
		ids = ids[:0]
		for _, m := range msgs {
			id, err := o.Enqueue(context.Background(), tx, m)
			if err != nil {
				return err
			}
			ids = append(ids, id)
		}
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	return ids
}

func hello(channel, to string) outbox.Message {
	return outbox.Message{Channel: channel, To: to, Template: "test.hello", Data: map[string]string{"name": "张三"}}
}

func pending(tb testing.TB, db *sqlstore.DB, o *outbox.Outbox) map[string]int {
	tb.Helper()
	p, err := o.Pending(context.Background(), db)
	if err != nil {
		tb.Fatal(err)
	}
	return p
}

// fakeSender records what it is asked to send; fail, when set, decides the
// outcome of each call.
type fakeSender struct {
	channel string
	fail    func(m outbox.Message, r notify.Rendered) error
	delay   time.Duration

	mu       sync.Mutex
	sent     []outbox.Message
	texts    []notify.Rendered
	inFlight map[string]bool
	overlaps []string
}

func (s *fakeSender) Channel() string { return s.channel }

func (s *fakeSender) Send(ctx context.Context, m outbox.Message, r notify.Rendered) error {
	s.mu.Lock()
	if s.inFlight == nil {
		s.inFlight = map[string]bool{}
	}
	if s.inFlight[m.ID] {
		s.overlaps = append(s.overlaps, m.ID)
	}
	s.inFlight[m.ID] = true
	s.mu.Unlock()
	if s.delay > 0 {
		time.Sleep(s.delay)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.inFlight, m.ID)
	if s.fail != nil {
		if err := s.fail(m, r); err != nil {
			return err
		}
	}
	s.sent = append(s.sent, m)
	s.texts = append(s.texts, r)
	return nil
}

func (s *fakeSender) sentIDs() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]int{}
	for _, m := range s.sent {
		out[m.ID]++
	}
	return out
}

// syncBuffer is a bytes.Buffer safe for concurrent writers (the log handler).
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// testCert returns a self-signed certificate for 127.0.0.1 and a client
// config that trusts it.
func testCert(tb testing.TB) (server, client *tls.Config) {
	tb.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		tb.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "beian test"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IPAddresses:           []net.IP{net.ParseIP("127.0.0.1")},
		DNSNames:              []string{"localhost"},
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		tb.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		tb.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	server = &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}}
	client = &tls.Config{RootCAs: pool}
	return server, client
}

// listen listens on addr, retrying briefly: a server brought back on the
// address it just left may find the port not yet free.
func listen(tb testing.TB, addr string) net.Listener {
	tb.Helper()
	var lastErr error
	for range 50 {
		ln, err := net.Listen("tcp", addr)
		if err == nil {
			return ln
		}
		lastErr = err
		time.Sleep(20 * time.Millisecond)
	}
	tb.Fatalf("listen %s: %v", addr, lastErr)
	return nil
}

// waitFor polls cond until it holds or the timeout passes.
func waitFor(tb testing.TB, timeout time.Duration, what string, cond func() bool) {
	tb.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			tb.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

var errDown = errors.New("receiver down")

func phone(i int) string { return fmt.Sprintf("1381234%04d", i) }
