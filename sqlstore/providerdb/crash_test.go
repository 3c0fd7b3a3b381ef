package providerdb_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/beian/beian"
	"github.com/beian/beian/outbox"
	"github.com/beian/beian/sqlstore"
	"github.com/beian/beian/sqlstore/providerdb"
	"github.com/beian/beian/sqlstore/sqltest"
	"github.com/beian/beian/workflow"
)

// The crash test's child: it creates and submits orders, each submission
// enqueueing an outbox message in the same transaction, prints an ACK line
// after each commit, and delivers messages to the parent's receiver; the
// parent kills it with SIGKILL at a random moment.
func crashChild() {
	ctx := context.Background()
	var dsn sqlstore.DSN
	if err := json.Unmarshal([]byte(os.Getenv("BEIAN_CRASH_DSN")), &dsn); err != nil {
		log.Fatal(err)
	}
	db, err := sqlstore.Open(ctx, dsn, nil)
	if err != nil {
		log.Fatal(err)
	}
	s, _ := providerdb.New(db)
	ob, _ := outbox.New("provider")
	receiver := os.Getenv("BEIAN_CRASH_RECEIVER")
	round := os.Getenv("BEIAN_CRASH_ROUND")
	go func() { // delivery: at least once, marked after the receiver answers
		for {
			msgs, err := ob.Claim(ctx, db, []string{outbox.SMS}, 10, 2*time.Second)
			if err != nil {
				continue
			}
			for _, m := range msgs {
				resp, err := http.Post(receiver+"?id="+m.ID, "text/plain", nil)
				if err == nil && resp.StatusCode == 204 {
					_ = ob.MarkSent(ctx, db, m.ID)
				}
				if resp != nil {
					resp.Body.Close()
				}
			}
			time.Sleep(time.Millisecond)
		}
	}()
	out := bufio.NewWriter(os.Stdout)
	for i := 0; ; i++ {
		a, err := s.CreateAccount(ctx, beian.Account{Login: fmt.Sprintf("r%s-%d", round, i), Role: beian.RoleCustomer}, "x", "crash")
		if err != nil {
			log.Fatal(err)
		}
		o, err := s.CreateOrder(ctx, providerdb.NewOrder{AccountID: a.ID, Type: beian.FirstFiling, Nature: "individual", Name: "张三",
			Province: "330000", CertType: "resident_id", CertNumber: fmt.Sprintf("r%s-%d", round, i), Actor: "crash",
			Data: json.RawMessage(`{"subject":{"name":"张三"}}`)})
		if err != nil {
			log.Fatal(err)
		}
		var msgID string
		o, err = s.Transition(ctx, providerdb.Move{OrderID: o.ID, Version: o.Version, Event: workflow.Submit, By: workflow.Customer, Actor: "crash",
			Effect: func(ctx context.Context, tx *sqlstore.Tx, before, after beian.Order) error {
				msgID, err = ob.Enqueue(ctx, tx, outbox.Message{Channel: outbox.SMS, To: "13800138000", Template: "test.hello"})
				return err
			}})
		if err != nil {
			log.Fatal(err)
		}
		fmt.Fprintf(out, "ACK %d %d %s\n", o.ID, o.Version, msgID)
		out.Flush()
	}
}

// TestMain turns the test binary into the crash test's child when asked.
func TestMain(m *testing.M) {
	if os.Getenv("BEIAN_CRASH_CHILD") == "1" {
		crashChild()
		return
	}
	os.Exit(m.Run())
}

// Done-means of the core issue: a child writing orders, outbox messages and
// audit records is killed with SIGKILL at random points; after each restart
// every acknowledged write is there, nothing is half-written, the audit
// chain verifies, and every outbox message ID reaches the receiver.
func TestCrashRecovery(t *testing.T) {
	if testing.Short() {
		t.Skip("crash test skipped in -short mode")
	}
	for _, eng := range sqltest.Engines(t) {
		t.Run(eng, func(t *testing.T) {
			ctx := context.Background()
			dsn := sqltest.DSN(t, eng)
			db, err := sqlstore.Open(ctx, dsn, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			if _, err := db.Migrate(ctx); err != nil {
				t.Fatal(err)
			}
			var mu sync.Mutex
			received := map[string]int{}
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				mu.Lock()
				received[r.URL.Query().Get("id")]++
				mu.Unlock()
				w.WriteHeader(204)
			}))
			defer srv.Close()
			dj, _ := json.Marshal(dsn)
			type ack struct {
				id, version int64
				msg         string
			}
			var acks []ack
			rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 1))
			const kills = 8
			for round := range kills {
				cmd := exec.Command(os.Args[0])
				cmd.Env = append(os.Environ(), "BEIAN_CRASH_CHILD=1", "BEIAN_CRASH_DSN="+string(dj),
					"BEIAN_CRASH_RECEIVER="+srv.URL, "BEIAN_CRASH_ROUND="+strconv.Itoa(round))
				stdout, _ := cmd.StdoutPipe()
				cmd.Stderr = io.Discard
				if err := cmd.Start(); err != nil {
					t.Fatal(err)
				}
				lines := make(chan string, 1024)
				go func() {
					sc := bufio.NewScanner(stdout)
					for sc.Scan() {
						lines <- sc.Text()
					}
					close(lines)
				}()
				// Wait for the first ACK, then kill after a random delay.
				first := true
				deadline := time.After(time.Duration(150+rng.IntN(400)) * time.Millisecond)
			read:
				for {
					select {
					case l, ok := <-lines:
						if !ok {
							break read
						}
						if f := strings.Fields(l); len(f) == 4 && f[0] == "ACK" {
							id, _ := strconv.ParseInt(f[1], 10, 64)
							v, _ := strconv.ParseInt(f[2], 10, 64)
							acks = append(acks, ack{id, v, f[3]})
							if first {
								first = false
							}
						}
					case <-deadline:
						if first {
							deadline = time.After(50 * time.Millisecond)
							continue
						}
						_ = cmd.Process.Signal(syscall.SIGKILL)
						deadline = nil
					}
				}
				_ = cmd.Wait()
				// After each restart: every acknowledged write is there.
				s, _ := providerdb.New(db)
				for _, a := range acks {
					o, err := s.Order(ctx, a.id)
					if err != nil || o.Stage != beian.StageInitialReview || o.Version < a.version {
						t.Fatalf("round %d: acknowledged order %d lost or wrong: %+v %v", round, a.id, o, err)
					}
				}
				if _, err := s.Audit.Verify(ctx, db, ""); err != nil {
					t.Fatalf("round %d: %v", round, err)
				}
				// Nothing half-written: every order has its create and submit records or none.
				var orphans int
				if err := db.SQL.QueryRowContext(ctx, `SELECT COUNT(*) FROM orders o WHERE o.stage = 'initial_review' AND NOT EXISTS
					(SELECT 1 FROM provider_outbox m WHERE m.created_at = o.submitted_at)`).Scan(&orphans); err != nil {
					t.Fatal(err)
				}
				if orphans != 0 {
					t.Fatalf("round %d: %d submitted orders without their outbox message", round, orphans)
				}
			}
			// Drain the outbox in this process; every message reaches the receiver.
			ob, _ := outbox.New("provider")
			for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); {
				msgs, err := ob.Claim(ctx, db, []string{outbox.SMS}, 100, time.Second)
				if err != nil {
					t.Fatal(err)
				}
				if len(msgs) == 0 {
					if p, _ := ob.Pending(ctx, db); p[outbox.SMS] == 0 {
						break
					}
					time.Sleep(100 * time.Millisecond) // leases of killed children run out
					continue
				}
				for _, m := range msgs {
					resp, err := http.Post(srv.URL+"?id="+m.ID, "text/plain", nil)
					if err != nil {
						t.Fatal(err)
					}
					resp.Body.Close()
					if err := ob.MarkSent(ctx, db, m.ID); err != nil {
						t.Fatal(err)
					}
				}
			}
			var all []string
			rows, err := db.SQL.QueryContext(ctx, `SELECT id FROM provider_outbox`)
			if err != nil {
				t.Fatal(err)
			}
			for rows.Next() {
				var id string
				rows.Scan(&id)
				all = append(all, id)
			}
			rows.Close()
			mu.Lock()
			defer mu.Unlock()
			dups := 0
			for _, id := range all {
				if received[id] == 0 {
					t.Fatalf("message %s never reached the receiver", id)
				}
				dups += received[id] - 1
			}
			for _, a := range acks {
				if received[a.msg] == 0 {
					t.Fatalf("acknowledged message %s never delivered", a.msg)
				}
			}
			t.Logf("%s: %d kills, %d acknowledged orders, %d messages, %d distinct received, %d duplicates", eng, kills, len(acks), len(all), len(received), dups)
			if len(acks) == 0 {
				t.Fatal("the child acknowledged nothing: the test did not exercise the crash")
			}
		})
	}
}
