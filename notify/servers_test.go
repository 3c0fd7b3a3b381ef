package notify_test

import (
	"crypto/tls"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/http"
	"net/http/httptest"
	"net/mail"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"github.com/beian/beian/notify"
)

// receivedMail is one email as the test SMTP server got it.
type receivedMail struct {
	BeianID   string // X-Beian-Message-ID
	MessageID string // Message-ID
	From      string
	To        []string
	Subject   string // decoded
	Body      string // decoded
}

// smtpRecorder is an in-process SMTP server backend that records every
// message it accepts. With user set it requires AUTH PLAIN; reject, when
// set, answers RCPT with that error.
type smtpRecorder struct {
	user, pass string
	reject     *smtp.SMTPError
	delay      time.Duration

	mu   sync.Mutex
	got  []receivedMail
	byID map[string]int
}

func (r *smtpRecorder) NewSession(*smtp.Conn) (smtp.Session, error) {
	return &smtpSession{r: r}, nil
}

func (r *smtpRecorder) received() []receivedMail {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]receivedMail(nil), r.got...)
}

// counts returns how often each X-Beian-Message-ID arrived.
func (r *smtpRecorder) counts() map[string]int {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make(map[string]int, len(r.byID))
	for id, n := range r.byID {
		out[id] = n
	}
	return out
}

type smtpSession struct {
	r      *smtpRecorder
	authed bool
	from   string
	to     []string
}

func (s *smtpSession) AuthMechanisms() []string { return []string{sasl.Plain} }

func (s *smtpSession) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, pass string) error {
		if s.r.user == "" || user != s.r.user || pass != s.r.pass {
			return errors.New("invalid credentials")
		}
		s.authed = true
		return nil
	}), nil
}

func (s *smtpSession) Mail(from string, _ *smtp.MailOptions) error {
	if s.r.user != "" && !s.authed {
		return smtp.ErrAuthRequired
	}
	s.from = from
	return nil
}

func (s *smtpSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	if s.r.reject != nil {
		return s.r.reject
	}
	s.to = append(s.to, to)
	return nil
}

func (s *smtpSession) Data(r io.Reader) error {
	msg, err := mail.ReadMessage(r)
	if err != nil {
		return err
	}
	var body io.Reader = msg.Body
	if strings.EqualFold(msg.Header.Get("Content-Transfer-Encoding"), "quoted-printable") {
		body = quotedprintable.NewReader(body)
	}
	b, err := io.ReadAll(body)
	if err != nil {
		return err
	}
	subject, err := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
	if err != nil {
		return err
	}
	if s.r.delay > 0 {
		time.Sleep(s.r.delay)
	}
	m := receivedMail{
		BeianID:   msg.Header.Get(notify.HeaderMessageID),
		MessageID: msg.Header.Get("Message-ID"),
		From:      s.from,
		To:        s.to,
		Subject:   subject,
		Body:      string(b),
	}
	s.r.mu.Lock()
	defer s.r.mu.Unlock()
	s.r.got = append(s.r.got, m)
	if s.r.byID == nil {
		s.r.byID = map[string]int{}
	}
	s.r.byID[m.BeianID]++
	return nil
}

func (s *smtpSession) Reset()        { s.from, s.to = "", nil }
func (s *smtpSession) Logout() error { return nil }

// startSMTP serves rec on addr ("127.0.0.1:0" for a new port). With
// serverTLS it offers STARTTLS, or, when implicit, speaks TLS from the
// first byte. The server is closed when tb ends.
func startSMTP(tb testing.TB, rec *smtpRecorder, addr string, serverTLS *tls.Config, implicit bool) (*smtp.Server, string) {
	tb.Helper()
	ln := listen(tb, addr)
	srv := smtp.NewServer(rec)
	srv.Domain = "localhost"
	srv.AllowInsecureAuth = true
	srv.ReadTimeout = 10 * time.Second
	srv.WriteTimeout = 10 * time.Second
	if serverTLS != nil {
		if implicit {
			ln = tls.NewListener(ln, serverTLS)
		} else {
			srv.TLSConfig = serverTLS
		}
	}
	go func() { _ = srv.Serve(ln) }()
	tb.Cleanup(func() { srv.Close() })
	return srv, ln.Addr().String()
}

func hostPort(tb testing.TB, addr string) (string, int) {
	tb.Helper()
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		tb.Fatal(err)
	}
	p, err := net.LookupPort("tcp", port)
	if err != nil {
		tb.Fatal(err)
	}
	return host, p
}

// smsRecord is one request the test SMS webhook got.
type smsRecord struct {
	Body           map[string]string
	IdempotencyKey string
	Authorization  string
	ContentType    string
}

// smsRecorder is the test SMS gateway: it records every accepted request;
// while down it answers 503 and records nothing; status, when set, is the
// answer instead of 200 (and the request is not recorded).
type smsRecorder struct {
	down   atomic.Bool
	status atomic.Int32
	delay  time.Duration

	mu   sync.Mutex
	got  []smsRecord
	byID map[string]int
}

func (r *smsRecorder) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	if r.down.Load() {
		http.Error(w, "down", http.StatusServiceUnavailable)
		return
	}
	if st := r.status.Load(); st != 0 {
		http.Error(w, "echo of the request that must not be kept", int(st))
		return
	}
	var body map[string]string
	if req.Method != http.MethodPost || json.NewDecoder(req.Body).Decode(&body) != nil {
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	if r.delay > 0 {
		time.Sleep(r.delay)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.got = append(r.got, smsRecord{Body: body, IdempotencyKey: req.Header.Get("Idempotency-Key"),
		Authorization: req.Header.Get("Authorization"), ContentType: req.Header.Get("Content-Type")})
	if r.byID == nil {
		r.byID = map[string]int{}
	}
	r.byID[body["id"]]++
	w.WriteHeader(http.StatusNoContent)
}

func (r *smsRecorder) received() []smsRecord {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]smsRecord(nil), r.got...)
}

func (r *smsRecorder) counts() map[string]int {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make(map[string]int, len(r.byID))
	for id, n := range r.byID {
		out[id] = n
	}
	return out
}

func startWebhook(tb testing.TB, rec *smsRecorder) *httptest.Server {
	tb.Helper()
	srv := httptest.NewServer(rec)
	tb.Cleanup(srv.Close)
	return srv
}
