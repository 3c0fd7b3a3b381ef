package main

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/beian/beian/sqlstore"
)

// Graceful shutdown (issue 9, operations): a request in flight when the
// process is told to stop still gets its whole answer, and Close returns
// only after it and the background workers are done; new connections are
// refused from the moment shutdown starts.
func TestMainShutdownFinishesInFlightRequests(t *testing.T) {
	m := &Main{Addr: "127.0.0.1:0", DB: sqlstore.DSN{Driver: sqlstore.SQLite, Path: filepath.Join(t.TempDir(), "b.db")}}
	if err := m.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	addr := strings.TrimPrefix(m.URL(), "http://")

	// A sign-up whose body arrives in two parts: the handler is reading it
	// when shutdown begins.
	pr, pw := io.Pipe()
	req, _ := http.NewRequest(http.MethodPost, m.URL()+"/api/v1/signup", pr)
	req.Header.Set("Content-Type", "application/json")
	req.ContentLength = -1
	type answer struct {
		status int
		body   []byte
		err    error
	}
	answered := make(chan answer, 1)
	go func() {
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			answered <- answer{err: err}
			return
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		answered <- answer{resp.StatusCode, b, err}
	}()
	if _, err := pw.Write([]byte(`{"email":"shutdown@example.com",`)); err != nil {
		t.Fatal(err)
	}
	// The request is in flight once the server holds an active connection.
	waitFor(t, func() bool { return activeConns(m) > 0 })

	closed := make(chan error, 1)
	go func() { closed <- m.Close() }()
	// Shutdown closes the listener first: a new connection is refused.
	waitFor(t, func() bool {
		c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
		if err == nil {
			c.Close()
		}
		return err != nil
	})
	select {
	case err := <-closed:
		t.Fatalf("Close returned (%v) while a request was still in flight", err)
	case <-time.After(300 * time.Millisecond):
	}

	if _, err := pw.Write([]byte(`"password":"a long enough passphrase 42","phone":"13800138000","name":"张三"}`)); err != nil {
		t.Fatal(err)
	}
	pw.Close()
	a := <-answered
	if a.err != nil {
		t.Fatalf("the in-flight request lost its answer: %v", a.err)
	}
	if a.status >= 500 || !json.Valid(a.body) {
		t.Fatalf("in-flight request answered %d %s; want the handler's own answer", a.status, a.body)
	}
	select {
	case err := <-closed:
		if err != nil {
			t.Fatalf("Close: %v", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("Close did not return after the in-flight request finished")
	}
	if m.db != nil || m.stop != nil {
		t.Fatal("Close left the database open or the workers running")
	}
}

// activeConns counts the requests the server is handling.
func activeConns(m *Main) int {
	if m.srv == nil {
		return 0
	}
	return int(m.inflight.Load())
}

func waitFor(t *testing.T, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached within 10 s")
		}
		time.Sleep(20 * time.Millisecond)
	}
}
