package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"
)

// serveReadHeaderTimeout and serveReadTimeout are the timeouts the chaos
// run gives its servers (--read-header-timeout, --read-timeout), shorter
// than the defaults so that the slow-client checks need not wait a minute.
const (
	serveReadHeaderTimeout = 3 * time.Second
	serveReadTimeout       = 8 * time.Second
)

// slowCheck holds the slow-client checks still waiting for the server's
// timeouts; they run on while the rate-limit scenario runs.
type slowCheck struct {
	waits []func()
}

// oversized sends bodies over each route's limit, with and without a
// Content-Length: each must be answered 413.
func (w *chaosWorld) oversized(ctx context.Context, targets []fuzzTarget) {
	var page *chaosClient
	for _, t := range targets {
		if t.path == "/console/precheck" {
			page = t.c
		}
	}
	// A fresh draft, so that uploads are allowed and only their size is wrong.
	acc, ok := w.customer()
	if !ok {
		w.rep.note("oversized bodies not sent: the customer pool is used up")
		return
	}
	cust := newChaosClient(w.srv.url, acc.Token, localAddr(3, 9))
	o, _, ok := w.prepare(ctx, loadCaller{w: w, c: cust, acks: &ackBook{m: map[int64]ack{}}}, acc)
	if !ok {
		return
	}
	order := demoOrderPath(o.ID, "")
	big := func(n int) []byte { return bytes.Repeat([]byte("a"), n) }
	bigJSON := append(append([]byte(`{"type":"`), big(2<<20)...), '"', '}')
	pdf := append([]byte("%PDF-1.4\n"), big(11<<20)...)
	cases := []struct {
		what, path, ctype string
		c                 *chaosClient
		body              []byte
		chunked           bool
	}{
		{"a 2 MiB JSON body", "/api/v1/orders", "application/json", cust, bigJSON, false},
		{"a 2 MiB JSON body without Content-Length", "/api/v1/orders", "application/json", cust, bigJSON, true},
		{"an 11 MiB document", order + "/documents?kind=other", "application/pdf", cust, pdf, false},
		{"an 11 MiB document without Content-Length", order + "/documents?kind=other", "application/pdf", cust, pdf, true},
		{"a 40 MiB photo", order + "/verification", "image/png", cust, big(40 << 20), false},
		{"a 2 MiB page form", "/console/precheck", "application/x-www-form-urlencoded", page, append([]byte("csrf="+page.csrf+"&province="), big(2<<20)...), false},
	}
	for _, c := range cases {
		w.rep.BadInput.TooLarge++
		status, err := c.c.send(ctx, "POST", c.path, c.body, c.ctype, c.chunked)
		switch {
		case err != nil:
			w.rep.fail("badinput.too_large", "%s to %s: no answer (%v); want 413", c.what, c.path, err)
		case status != http.StatusRequestEntityTooLarge:
			w.rep.fail("badinput.too_large", "%s to %s answered %d; want 413", c.what, c.path, status)
		default:
			w.rep.BadInput.TooLargeOK++
		}
	}
}

// send posts body (chunked: without a Content-Length) and returns the status.
func (c *chaosClient) send(ctx context.Context, method, path string, body []byte, ctype string, chunked bool) (int, error) {
	var rd io.Reader = bytes.NewReader(body)
	if chunked {
		rd = io.MultiReader(bytes.NewReader(body)) // hides the length: sent chunked
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", ctype)
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	if c.cookie != "" {
		req.Header.Set("Cookie", "beian_session="+c.cookie)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return 0, err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, nil
}

// slowClients starts slowloris connections (headers one line a second)
// and, with o.SlowBody, slow bodies (a byte every 2 s); finishSlow waits
// for them. Each must be cut off by the server within its timeout and a
// margin.
func (w *chaosWorld) slowClients(ctx context.Context) {
	addr := strings.TrimPrefix(w.srv.url, "http://")
	run := func(n int, within time.Duration, body bool) func() {
		var wg sync.WaitGroup
		var mu sync.Mutex
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				took, err := slowConn(ctx, addr, body, within+10*time.Second)
				mu.Lock()
				defer mu.Unlock()
				w.rep.BadInput.Slow++
				kind := map[bool]string{false: "slow headers", true: "a slow body"}[body]
				switch {
				case err != nil:
					w.rep.fail("badinput.slow", "%s (connection %d): %v", kind, i, err)
				case took > within:
					w.rep.fail("badinput.slow", "%s (connection %d) kept for %s; want cut within %s", kind, i, took.Round(time.Second), within)
				default:
					w.rep.BadInput.SlowCut++
				}
			}()
		}
		return wg.Wait
	}
	w.slow = &slowCheck{waits: []func(){run(8, serveReadHeaderTimeout+4*time.Second, false)}}
	if w.o.SlowBody {
		w.slow.waits = append(w.slow.waits, run(2, serveReadTimeout+6*time.Second, true))
	} else {
		w.rep.note("slow request bodies were not exercised (--slow-body=false)")
	}
}

// slowConn opens a connection that trickles a request (headers, or a body
// after complete headers) and returns how long the server kept it before
// closing it or answering. giveUp bounds the wait.
func slowConn(ctx context.Context, addr string, body bool, giveUp time.Duration) (time.Duration, error) {
	c, err := (&net.Dialer{Timeout: 5 * time.Second}).DialContext(ctx, "tcp", addr)
	if err != nil {
		return 0, err
	}
	defer c.Close()
	start := time.Now()
	head := "POST /api/v1/registry/password-retrievals HTTP/1.1\r\nHost: chaos\r\n"
	if body {
		head += "Content-Type: application/json\r\nContent-Length: 100000\r\n\r\n{"
	}
	if _, err := c.Write([]byte(head)); err != nil {
		return 0, err
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		_, _ = bufio.NewReader(c).ReadByte() // the server's answer or its close
	}()
	tick := time.NewTicker(map[bool]time.Duration{false: time.Second, true: 2 * time.Second}[body])
	defer tick.Stop()
	for {
		select {
		case <-done:
			return time.Since(start), nil
		case <-ctx.Done():
			return 0, ctx.Err()
		case <-tick.C:
			if time.Since(start) > giveUp {
				return time.Since(start), fmt.Errorf("still open after %s", giveUp.Round(time.Second))
			}
			line := "X-Chaos: 1\r\n"
			if body {
				line = " "
			}
			if _, err := c.Write([]byte(line)); err != nil {
				<-done
				return time.Since(start), nil // closed by the server
			}
		}
	}
}

// finishSlow waits for the slow-body checks started by the bad-input scenario.
func (w *chaosWorld) finishSlow(ctx context.Context) error {
	if w.slow != nil {
		if w.o.SlowBody {
			w.rep.logf("waiting for the server to cut the slow bodies off (its %s read timeout)", serveReadTimeout)
		}
		for _, wait := range w.slow.waits {
			wait()
		}
		w.slow = nil
	}
	return ctx.Err()
}
