package main

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/beian/beian"
	"github.com/beian/beian/sqlstore"
	"github.com/beian/beian/sqlstore/sqltest"
)

// Several instances on one PostgreSQL (docs/operations.md, "Several
// instances"): two `serve` processes and a `beian gate` share one database
// and one blob folder. A filing walked through the first instance is served
// by every gate; a cancel_access made through the second blocks the host
// at every gate within 2 seconds (issue 8, freshness); the two instances'
// outbox workers and timers, racing on the same rows, send each message
// once.
func TestInstancesShareOnePostgres(t *testing.T) {
	if !slices.Contains(sqltest.Engines(t), sqlstore.Postgres) {
		t.Skip("several instances need PostgreSQL: set " + sqltest.EnvPostgres)
	}
	e := newE2E(t, sqlstore.Postgres)
	b := &Main{Addr: "127.0.0.1:0", DB: e.m.DB, Sandbox: true, BlobDir: e.m.BlobDir}
	if err := b.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	g := &GateMain{Addr: "127.0.0.1:0", DB: e.m.DB}
	if err := g.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { g.Close() })
	gates := map[string]string{"serve A": e.m.URL(), "serve B": b.URL(), "gate": g.URL()}

	f := e.firstFiling(t) // through instance A only
	host := "www." + f.co.domain
	for name, base := range gates {
		waitGate(t, name, base, host, true)
	}

	// The same customer, now through instance B.
	eb := *e
	eb.m = b
	cb := *f.c
	cb.e = &eb
	cx := cb.create(t, beian.CancelAccess, map[string]any{"cancel": []string{f.website}})
	cb.call(t, 200, "PATCH", e2eOrderPath(cx.ID, ""), map[string]any{"data": map[string]any{"confirm": true}}, &cx, e2eIfMatch(cx.Version)...)
	cb.submit(t, cx.ID, beian.StageApproved)
	for name, base := range gates {
		d := waitGate(t, name, base, host, false)
		t.Logf("%s blocks %s %v after the approval", name, host, d)
	}
	// A's view of the order is B's.
	if o := f.c.order(t, cx.ID); o.Stage != beian.StageApproved {
		t.Fatalf("instance A sees the cancel_access order at %s", o.Stage)
	}

	// Each message once: both instances' workers poll the same outbox.
	var msgs []struct{ Template string }
	e.regAdmin.call(t, 200, "GET", "/api/v1/sandbox/messages?to="+url.QueryEscape(f.co.person.Mobile), nil, &msgs)
	count := map[string]int{}
	for _, m := range msgs {
		count[m.Template]++
	}
	if count["registry.password_issued"] != 1 {
		t.Fatalf("filing password sent %d times (want once) by two instances: %v", count["registry.password_issued"], count)
	}
}

// waitGate polls a gate's check route until the host's verdict is want,
// failing after 2 seconds (the freshness of issue 8); it returns how long
// the change took to show.
func waitGate(t *testing.T, name, base, host string, want bool) time.Duration {
	t.Helper()
	start := time.Now()
	deadline := start.Add(2 * time.Second)
	for {
		resp, err := http.Get(base + "/api/v1/gate/check?host=" + url.QueryEscape(host))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		var ans struct {
			Allowed bool   `json:"allowed"`
			Reason  string `json:"reason"`
		}
		err = json.NewDecoder(resp.Body).Decode(&ans)
		resp.Body.Close()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if ans.Allowed == want {
			return time.Since(start)
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: %s still allowed=%v (%s) 2 s later, want %v", name, host, ans.Allowed, ans.Reason, want)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
