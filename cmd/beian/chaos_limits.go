package main

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/beian/beian/ratelimit"
)

// limitCounts is one burst against one limit of API.md.
type limitCounts struct {
	Name         string `json:"name"`
	Limit        int    `json:"limit"`
	Windows      int    `json:"windows"` // fixed windows the burst touched on the server's clock
	Sent         int    `json:"sent"`
	Allowed      int    `json:"allowed"`
	Limited      int    `json:"limited_429"`
	RetryAfterOK int    `json:"retry_after_ok"`
}

// rateLimits bursts many connections at login, password retrieval and the
// public query (API.md, "Rate limits"): no more than the limit may pass
// per window, every refusal is a 429 with a Retry-After within the window,
// and a client within its limits meanwhile is answered normally.
func (w *chaosWorld) rateLimits(ctx context.Context) error {
	w.rep.logf("rate limits: bursts on login, password retrieval and the public query")
	victim, ok := w.customer()
	innocent, ok2 := w.customer()
	if !ok || !ok2 {
		return fmt.Errorf("the customer pool is used up")
	}
	type burst struct {
		name  string
		rule  ratelimit.Rule
		n     int
		block int // loopback block of the burst's address (all its connections share it)
		req   func(ctx context.Context, c *chaosClient, i int) (chaosAnswer, error)
	}
	login := func(user, pw string) func(ctx context.Context, c *chaosClient, i int) (chaosAnswer, error) {
		return func(ctx context.Context, c *chaosClient, i int) (chaosAnswer, error) {
			u := user
			if u == "" {
				u = fmt.Sprintf("nobody-%d", i)
			}
			return c.do(ctx, "POST", "/api/v1/sessions", mustJSON(map[string]string{"login": u, "password": pw}), "application/json")
		}
	}
	retrieve := func(sameNumber bool) func(ctx context.Context, c *chaosClient, i int) (chaosAnswer, error) {
		return func(ctx context.Context, c *chaosClient, i int) (chaosAnswer, error) {
			num := "京ICP备2026900001号"
			if !sameNumber {
				num = fmt.Sprintf("京ICP备2026%06d号", 910000+i)
			}
			return c.do(ctx, "POST", "/api/v1/registry/password-retrievals", mustJSON(map[string]string{"province": "110000", "number": num,
				"cert_type": "resident_id", "cert_number": "110105198503010012"}), "application/json")
		}
	}
	query := func(ctx context.Context, c *chaosClient, i int) (chaosAnswer, error) {
		return c.do(ctx, "GET", "/api/v1/registry/query?domain=chaos-query-"+strconv.Itoa(i)+".cn", nil, "")
	}
	bursts := []burst{
		{"login failures per login", ratelimit.LoginFailures, 40, 10, login(victim.Login, "wrong password")},
		{"login attempts per client", ratelimit.LoginClient, 60, 11, login("", "wrong password")},
		{"password retrieval per number", ratelimit.PasswordRetrievalNumber, 30, 12, retrieve(true)},
		{"password retrieval per client", ratelimit.PasswordRetrievalClient, 30, 13, retrieve(false)},
		{"public query per client", ratelimit.PublicQuery, 120, 14, query},
	}
	for bi, b := range bursts {
		lc := limitCounts{Name: b.name, Limit: b.rule.Limit, Sent: b.n}
		before, err := w.clock(ctx)
		if err != nil {
			return err
		}
		local := localAddr(b.block, 0)
		if b.rule == ratelimit.PasswordRetrievalNumber {
			local = "" // each connection from its own address: only the number's limit applies
		}
		var mu sync.Mutex
		var wg sync.WaitGroup
		for i := range b.n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				addr := local
				if addr == "" {
					addr = localAddr(b.block, i)
				}
				a, err := b.req(ctx, newChaosClient(w.srv.url, "", addr), i)
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err != nil:
					w.rep.fail("ratelimit.no_answer", "%s: request %d got no answer: %v", b.name, i, err)
				case a.Status == http.StatusTooManyRequests:
					lc.Limited++
					if s, err := strconv.Atoi(a.Header.Get("Retry-After")); err == nil && s >= 1 && time.Duration(s)*time.Second <= b.rule.Window {
						lc.RetryAfterOK++
					} else {
						w.rep.fail("ratelimit.retry_after", "%s: a 429 with Retry-After %q; want whole seconds within the %s window", b.name, a.Header.Get("Retry-After"), b.rule.Window)
					}
				case a.Status >= 500:
					w.rep.fail("ratelimit.5xx", "%s: %d %.200s", b.name, a.Status, a.Body)
				default:
					lc.Allowed++
				}
			}()
		}
		// Meanwhile a client within its limits, from an address of its own.
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := newChaosClient(w.srv.url, "", localAddr(20, bi))
			var a chaosAnswer
			var err error
			switch bi {
			case 0, 1:
				a, err = c.do(ctx, "POST", "/api/v1/sessions", mustJSON(map[string]string{"login": innocent.Login, "password": chaosStaffPassword}), "application/json")
			case 2, 3:
				a, err = retrieve(false)(ctx, c, 500+bi)
			default:
				a, err = query(ctx, c, 999)
			}
			if err != nil || a.Status/100 != 2 {
				w.rep.fail("ratelimit.collateral", "%s: a client within its limits was answered %d (%v) during the burst", b.name, a.Status, err)
			}
		}()
		wg.Wait()
		after, err := w.clock(ctx)
		if err != nil {
			return err
		}
		lc.Windows = int(after.Truncate(b.rule.Window).Sub(before.Truncate(b.rule.Window))/b.rule.Window) + 1
		if lc.Allowed > b.rule.Limit*lc.Windows {
			w.rep.fail("ratelimit.exceeded", "%s: %d of %d requests passed; the limit is %d per %s (%d window(s))", b.name, lc.Allowed, b.n, b.rule.Limit, b.rule.Window, lc.Windows)
		}
		if lc.Limited == 0 && b.n > b.rule.Limit*lc.Windows {
			w.rep.fail("ratelimit.none", "%s: none of %d requests was refused", b.name, b.n)
		}
		w.rep.RateLimits = append(w.rep.RateLimits, lc)
	}
	return nil
}
