package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/beian/beian"
)

// concCounts are the concurrency scenario's figures.
type concCounts struct {
	Goroutines          int   `json:"goroutines"`
	Orders              int   `json:"orders"`
	Patches             int64 `json:"patches"`
	PatchOK             int64 `json:"patch_ok"`
	PatchStale          int64 `json:"patch_stale"`
	PatchOther          int64 `json:"patch_other"`
	Submits             int64 `json:"submits"`
	SubmitOK            int64 `json:"submit_ok"`
	Decisions           int64 `json:"decisions"`
	DecisionOK          int64 `json:"decision_ok"`
	Uploads             int64 `json:"uploads"`
	UploadOK            int64 `json:"upload_ok"`
	RegistrySubmissions int   `json:"registry_submissions"`
	IdemRepeats         int   `json:"idempotent_repeats"`
	IdemIdentical       int   `json:"idempotent_identical"`
}

// concOrder is one contended order and the PATCHes that succeeded on it.
type concOrder struct {
	id      int64
	number  string
	mu      sync.Mutex
	patches []concPatch
}

// concPatch is a successful PATCH: the version it was based on, the
// version it produced and the value it wrote.
type concPatch struct {
	base, result int64
	marker       string
}

// concurrency runs hundreds of goroutines against a few orders through a
// whole review round: racing edits, submissions, reviewer decisions,
// photo uploads; then checks that no update was lost, no move happened
// twice, each order reached the registry once, and idempotent repeats got
// the first answer byte for byte.
func (w *chaosWorld) concurrency(ctx context.Context) error {
	g := w.o.Clients * 4
	const n = 3
	w.rep.Concurrency.Goroutines, w.rep.Concurrency.Orders = g, n
	w.rep.logf("concurrency: %d goroutines on %d orders", g, n)
	acks := &ackBook{m: map[int64]ack{}}
	orders := make([]*concOrder, n)
	clients := make([]*chaosClient, n)
	for i := range orders {
		acc, ok := w.customer()
		if !ok {
			return fmt.Errorf("the customer pool is used up")
		}
		clients[i] = newChaosClient(w.srv.url, acc.Token, localAddr(2, i))
		o, _, ok := w.prepare(ctx, loadCaller{w: w, c: clients[i], acks: acks}, acc)
		if !ok {
			return ctx.Err()
		}
		orders[i] = &concOrder{id: o.ID, number: o.Number}
	}
	// each runs fn on g goroutines, goroutine k on order k%n.
	// The phase's end is a context whose Err the loops test between
	// requests; the requests themselves run on ctx, so that none is cut
	// after the server committed it (that would look like a lost update).
	each := func(d time.Duration, fn func(phase context.Context, k int, o *concOrder, c *chaosClient)) {
		phase, cancel := context.WithTimeout(ctx, d)
		defer cancel()
		var wg sync.WaitGroup
		for k := range g {
			wg.Add(1)
			go func() { defer wg.Done(); fn(phase, k, orders[k%n], clients[k%n]) }()
		}
		wg.Wait()
	}
	get := func(ctx context.Context, c *chaosClient, id int64) (demoOrderJSON, bool) {
		var o demoOrderJSON
		_, err := c.json(ctx, "GET", demoOrderPath(id, ""), nil, &o)
		return o, err == nil
	}
	edit := func(phase context.Context, k int, o *concOrder, c *chaosClient) {
		for i := 0; phase.Err() == nil; i++ {
			cur, ok := get(ctx, c, o.id)
			if !ok {
				continue
			}
			marker := fmt.Sprintf("北京市朝阳区建国路 %d 号 %d 室", k, i)
			a, err := c.json(ctx, "PATCH", demoOrderPath(o.id, ""), map[string]any{"data": map[string]any{"subject": map[string]any{"address": marker}}},
				nil, "If-Match", `"v`+strconv.FormatInt(cur.Version, 10)+`"`)
			atomic.AddInt64(&w.rep.Concurrency.Patches, 1)
			switch {
			case err == nil:
				var res demoOrderJSON
				_ = json.Unmarshal(a.Body, &res)
				atomic.AddInt64(&w.rep.Concurrency.PatchOK, 1)
				o.mu.Lock()
				o.patches = append(o.patches, concPatch{base: cur.Version, result: res.Version, marker: marker})
				o.mu.Unlock()
			case a.Status == 412:
				atomic.AddInt64(&w.rep.Concurrency.PatchStale, 1)
			case a.Status >= 500:
				w.rep.fail("concurrency.5xx", "PATCH order %d: %d %.300s", o.id, a.Status, a.Body)
			case a.Status != 0:
				atomic.AddInt64(&w.rep.Concurrency.PatchOther, 1)
			}
		}
	}
	each(2*time.Second, edit)
	w.raceRound(ctx, g, orders, clients, each, get)
	w.concIdempotency(ctx, g)
	return w.concCheck(ctx, orders, acks)
}

// raceRound moves the orders through one review round, every step raced
// by all goroutines at once: submit, a rejection flagging the address,
// racing edits of it, resubmit, approval, the photo upload and its
// approval (which sends each order to the registry once).
func (w *chaosWorld) raceRound(ctx context.Context, g int, orders []*concOrder, clients []*chaosClient,
	each func(time.Duration, func(context.Context, int, *concOrder, *chaosClient)),
	get func(context.Context, *chaosClient, int64) (demoOrderJSON, bool)) {
	n := len(orders)
	cc := &w.rep.Concurrency
	step := func(what string, counter, okCounter *int64, req func(ctx context.Context, k int, o *concOrder, c *chaosClient) chaosAnswer) {
		oks := make([]int64, n)
		var ready sync.WaitGroup
		ready.Add(g)
		gate := make(chan struct{})
		go func() { ready.Wait(); close(gate) }()
		each(60*time.Second, func(_ context.Context, k int, o *concOrder, c *chaosClient) {
			ready.Done()
			<-gate
			a := req(ctx, k, o, c)
			atomic.AddInt64(counter, 1)
			switch {
			case a.Status/100 == 2:
				atomic.AddInt64(okCounter, 1)
				atomic.AddInt64(&oks[k%n], 1)
			case a.Status >= 500:
				w.rep.fail("concurrency.5xx", "%s on order %s: %d %.300s", what, o.number, a.Status, a.Body)
			}
		})
		for i, c := range oks {
			if c != 1 {
				w.rep.fail("concurrency.double", "%d concurrent %s of order %s: %d succeeded, want exactly 1", g/n, what, orders[i].number, c)
			}
		}
	}
	versions := func() []string {
		out := make([]string, n)
		for i, o := range orders {
			cur, _ := get(ctx, clients[i], o.id)
			out[i] = `"v` + strconv.FormatInt(cur.Version, 10) + `"`
		}
		return out
	}
	reviewers := []*chaosClient{w.reviewer, w.reviewer2}
	decide := func(body any) func(ctx context.Context, k int, o *concOrder, c *chaosClient) chaosAnswer {
		return func(ctx context.Context, k int, o *concOrder, c *chaosClient) chaosAnswer {
			r := reviewers[k%2]
			p := "/api/v1/review/orders/" + strconv.FormatInt(o.id, 10)
			r.json(ctx, "POST", p+"/claim", nil, nil)
			a, _ := r.json(ctx, "POST", p+"/decision", body, nil)
			return a
		}
	}
	submit := func(what string) {
		v := versions()
		step(what, &cc.Submits, &cc.SubmitOK, func(ctx context.Context, k int, o *concOrder, c *chaosClient) chaosAnswer {
			a, _ := c.json(ctx, "POST", demoOrderPath(o.id, "/submit"), nil, nil, "If-Match", v[k%n])
			return a
		})
	}
	submit("submissions")
	step("rejections", &cc.Decisions, &cc.DecisionOK, decide(map[string]any{"approve": false, "items": []beian.ReviewItem{{Field: "subject.address",
		Reason: "地址不完整", Suggestion: "请填写门牌号", Action: beian.ActionFixSubject}}}))
	each(1500*time.Millisecond, func(phase context.Context, k int, o *concOrder, c *chaosClient) {
		for i := 0; phase.Err() == nil; i++ {
			cur, ok := get(ctx, c, o.id)
			if !ok {
				continue
			}
			marker := fmt.Sprintf("北京市朝阳区建国路 %d 号 %d 室（更正）", k, i)
			a, err := c.json(ctx, "PATCH", demoOrderPath(o.id, ""), map[string]any{"data": map[string]any{"subject": map[string]any{"address": marker}}},
				nil, "If-Match", `"v`+strconv.FormatInt(cur.Version, 10)+`"`)
			atomic.AddInt64(&cc.Patches, 1)
			switch {
			case err == nil:
				var res demoOrderJSON
				_ = json.Unmarshal(a.Body, &res)
				atomic.AddInt64(&cc.PatchOK, 1)
				o.mu.Lock()
				o.patches = append(o.patches, concPatch{base: cur.Version, result: res.Version, marker: marker})
				o.mu.Unlock()
			case a.Status == 412:
				atomic.AddInt64(&cc.PatchStale, 1)
			case a.Status >= 500:
				w.rep.fail("concurrency.5xx", "PATCH order %s in needs_fix: %d %.300s", o.number, a.Status, a.Body)
			case a.Status != 0:
				atomic.AddInt64(&cc.PatchOther, 1)
			}
		}
	})
	submit("resubmissions")
	step("initial approvals", &cc.Decisions, &cc.DecisionOK, decide(map[string]any{"approve": true}))
	photo := demoPhoto()
	step("photo uploads", &cc.Uploads, &cc.UploadOK, func(ctx context.Context, k int, o *concOrder, c *chaosClient) chaosAnswer {
		a, _ := c.do(ctx, "POST", demoOrderPath(o.id, "/verification"), photo, "image/png")
		return a
	})
	step("photo approvals", &cc.Decisions, &cc.DecisionOK, decide(map[string]any{"approve": true}))
}

// concIdempotency sends one idempotent POST, then repeats it from g
// goroutines at once: every repeat must get the first status and body.
func (w *chaosWorld) concIdempotency(ctx context.Context, g int) {
	acc, ok := w.customer()
	if !ok {
		return
	}
	body := map[string]any{"account_id": acc.ID, "external_id": "ecs-idem-" + acc.Login, "billing": beian.Prepaid, "mainland": true,
		"public_ips": []string{"198.51.100.201"}, "term_start": demoDate(w.start, -30), "term_end": demoDate(w.start, 700)}
	first, err := w.padmin.json(ctx, "POST", "/api/v1/resources", body, nil, "Idempotency-Key", "chaos-concurrent-repeat")
	if err != nil {
		w.rep.fail("idempotency.replay", "the first idempotent POST failed: %v", err)
		return
	}
	var mu sync.Mutex
	var wg sync.WaitGroup
	diff := 0
	var sample chaosAnswer
	for range g {
		wg.Add(1)
		go func() {
			defer wg.Done()
			a, _ := w.padmin.do(ctx, "POST", "/api/v1/resources", mustJSON(body), "application/json", "Idempotency-Key", "chaos-concurrent-repeat")
			mu.Lock()
			defer mu.Unlock()
			w.rep.Concurrency.IdemRepeats++
			if a.Status == first.Status && bytes.Equal(a.Body, first.Body) {
				w.rep.Concurrency.IdemIdentical++
			} else {
				diff++
				sample = a
			}
		}()
	}
	wg.Wait()
	if diff > 0 {
		w.rep.fail("idempotency.replay", "%d of %d repeats of an answered POST /api/v1/resources (same Idempotency-Key) did not get the first answer (%d): e.g. %d %.300s",
			diff, g, first.Status, sample.Status, sample.Body)
	}
}

func mustJSON(v any) []byte {
	b, _ := json.Marshal(v)
	return b
}

// concCheck: the legal-history, audit, number and submission invariants
// (check); per order, successful PATCHes produced distinct versions, one
// audit record each, and the last one's value is the order's; each order
// reached the registry exactly once.
func (w *chaosWorld) concCheck(ctx context.Context, orders []*concOrder, acks *ackBook) error {
	deadline := time.Now().Add(20 * time.Second)
	for _, o := range orders {
		for {
			var c int
			err := w.db.SQL.QueryRowContext(ctx, `SELECT COUNT(*) FROM registry_submissions WHERE order_number = $1`, o.number).Scan(&c)
			if err == nil && c > 0 || time.Now().After(deadline) {
				if c != 1 {
					w.rep.fail("concurrency.registry", "order %s reached the registry %d times, want once", o.number, c)
				}
				w.rep.Concurrency.RegistrySubmissions += c
				break
			}
			if err := sleep(ctx, 200*time.Millisecond); err != nil {
				return err
			}
		}
		results := map[int64]bool{}
		var last concPatch
		for _, p := range o.patches {
			if results[p.result] {
				w.rep.fail("concurrency.lost_update", "two PATCHes of order %s both produced version %d", o.number, p.result)
			}
			results[p.result] = true
			if p.result != p.base+1 {
				w.rep.fail("concurrency.lost_update", "a PATCH of order %s based on version %d produced version %d", o.number, p.base, p.result)
			}
			if p.result > last.result {
				last = p
			}
		}
		var data string
		var edits int
		if err := w.db.SQL.QueryRowContext(ctx, `SELECT data FROM orders WHERE id = $1`, o.id).Scan(&data); err != nil {
			return err
		}
		if err := w.db.SQL.QueryRowContext(ctx, `SELECT COUNT(*) FROM provider_audit WHERE action = 'order.edit' AND entity_id = $1`, o.number).Scan(&edits); err != nil {
			return err
		}
		var d beian.OrderData
		_ = json.Unmarshal([]byte(data), &d)
		if last.marker != "" && d.Subject.Address != last.marker {
			w.rep.fail("concurrency.lost_update", "order %s holds the address %q, but the last successful PATCH (version %d) wrote %q", o.number, d.Subject.Address, last.result, last.marker)
		}
		if edits != len(o.patches) {
			w.rep.fail("concurrency.lost_update", "order %s: %d PATCHes succeeded but the audit log holds %d edits", o.number, len(o.patches), edits)
		}
	}
	w.check(ctx, "after the concurrency scenario", acks.snapshot())
	cc := w.rep.Concurrency
	w.rep.logf("concurrency: PATCH %d ok / %d stale, submits %d ok of %d, decisions %d ok of %d, uploads %d ok of %d, idempotent repeats %d/%d identical",
		cc.PatchOK, cc.PatchStale, cc.SubmitOK, cc.Submits, cc.DecisionOK, cc.Decisions, cc.UploadOK, cc.Uploads, cc.IdemIdentical, cc.IdemRepeats)
	return nil
}
