package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/beian/beian"
	"github.com/beian/beian/identity"
)

// fuzzCounts are the bad-input scenario's figures.
type fuzzCounts struct {
	Requests   int            `json:"requests"`
	Routes     int            `json:"routes"`
	ByClass    map[string]int `json:"by_status_class"`
	TooLarge   int            `json:"oversized"`
	TooLargeOK int            `json:"oversized_refused_413"`
	Slow       int            `json:"slow_clients"`
	SlowCut    int            `json:"slow_clients_cut_off"`
}

// fuzzTarget is one route with a valid seed body and the client to send it as.
type fuzzTarget struct {
	method, path string
	c            *chaosClient
	seed         []byte
	form         bool     // url-encoded page form (seed holds the field names, one per line)
	hdr          []string // extra headers
}

// badInput sends mutated JSON bodies to the JSON POST/PATCH routes and
// mutated forms to the page POST routes, as signed-in users with a valid
// CSRF token so that handlers really parse them, for o.Fuzz: no answer may
// be a 5xx and the server must stay up. Then oversized bodies and uploads
// (413) and slow clients (cut off by the server's timeouts).
func (w *chaosWorld) badInput(ctx context.Context) error {
	targets, err := w.fuzzTargets(ctx)
	if err != nil {
		return err
	}
	fc := &w.rep.BadInput
	fc.Routes, fc.ByClass = len(targets), map[string]int{}
	w.rep.logf("bad input: %d routes for %s, then oversized bodies and slow clients", len(targets), w.o.Fuzz)
	w.slowClients(ctx)
	var mu sync.Mutex
	var wg sync.WaitGroup
	phase, cancel := context.WithTimeout(ctx, w.o.Fuzz)
	defer cancel()
	for i := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(i), uint64(time.Now().UnixNano())))
			for phase.Err() == nil {
				t := targets[rng.IntN(len(targets))]
				body, ctype := mutateJSON(rng, t.seed), "application/json"
				if t.form {
					body, ctype = mutateForm(rng, t.seed, t.c.csrf), "application/x-www-form-urlencoded"
				}
				if rng.IntN(10) == 0 {
					ctype = []string{"", "text/plain", "application/json; charset=gbk", "multipart/form-data; boundary=x"}[rng.IntN(4)]
				}
				a, err := t.c.do(ctx, t.method, t.path, body, ctype, t.hdr...)
				mu.Lock()
				fc.Requests++
				class := "error"
				if err == nil {
					class = strconv.Itoa(a.Status/100) + "xx"
				}
				fc.ByClass[class]++
				mu.Unlock()
				switch {
				case err != nil && ctx.Err() == nil:
					w.rep.fail("badinput.no_answer", "%s %s got no answer: %v (body %.200q)", t.method, t.path, err, body)
				case a.Status >= 500:
					w.rep.fail("badinput.5xx", "%s %s answered %d to the body %.300q: %.300s", t.method, t.path, a.Status, body, a.Body)
				}
			}
		}()
	}
	wg.Wait()
	if !w.srv.alive() {
		return fmt.Errorf("the server died under bad input; its log:\n%s", w.srv.logTail())
	}
	if _, err := w.admin.json(ctx, "GET", "/healthz", nil, nil); err != nil {
		w.rep.fail("badinput.health", "/healthz after the fuzzing: %v", err)
	}
	w.oversized(ctx, targets)
	w.rep.logf("bad input: %d requests %v", fc.Requests, fc.ByClass)
	return nil
}

// fuzzTargets builds the routes to fuzz: a draft order of a customer,
// sessions (with CSRF) of a customer, a reviewer and a bureau reviewer
// for the page forms.
func (w *chaosWorld) fuzzTargets(ctx context.Context) ([]fuzzTarget, error) {
	acc, ok := w.customer()
	if !ok {
		return nil, fmt.Errorf("the customer pool is used up")
	}
	cust := newChaosClient(w.srv.url, acc.Token, localAddr(3, 0))
	o, _, ok := w.prepare(ctx, loadCaller{w: w, c: cust, acks: &ackBook{m: map[int64]ack{}}}, acc)
	if !ok {
		return nil, ctx.Err()
	}
	var full struct {
		Data json.RawMessage `json:"data"`
	}
	if _, err := cust.json(ctx, "GET", demoOrderPath(o.ID, ""), nil, &full); err != nil {
		return nil, err
	}
	anon := newChaosClient(w.srv.url, "", localAddr(3, 1))
	id := &identity.Service{DB: w.db, Contexts: []string{identity.ContextProvider, identity.ContextRegistry}}
	session := func(login string, local int) (*chaosClient, error) {
		s, err := id.Login(ctx, login, chaosStaffPassword, "chaos-setup")
		if err != nil {
			return nil, fmt.Errorf("open a session for %s: %w", login, err)
		}
		c := newChaosClient(w.srv.url, "", localAddr(3, local))
		c.cookie, c.csrf = s.Token, s.CSRF
		return c, nil
	}
	custPage, err := session(acc.Login, 2)
	if err != nil {
		return nil, err
	}
	var staff []*chaosClient
	for _, who := range []*chaosClient{w.reviewer, w.bureau} {
		var me struct {
			Login string `json:"login"`
		}
		if _, err := who.json(ctx, "GET", "/api/v1/me", nil, &me); err != nil {
			return nil, err
		}
		c, err := session(me.Login, 3+len(staff))
		if err != nil {
			return nil, err
		}
		staff = append(staff, c)
	}
	ord := demoOrderPath(o.ID, "")
	rev := "/api/v1/review/orders/" + strconv.FormatInt(o.ID, 10)
	j := func(v any) []byte { return mustJSON(v) }
	item := []beian.ReviewItem{{Field: "subject.address", Reason: "地址不完整", Suggestion: "请补全", Action: beian.ActionFixSubject}}
	ts := []fuzzTarget{
		{method: "POST", path: "/api/v1/signup", c: anon, seed: j(map[string]string{"login": "fuzz-user", "password": "a long password 1", "name": "客户"})},
		{method: "POST", path: "/api/v1/sessions", c: anon, seed: j(map[string]string{"login": "fuzz-user", "password": "a long password 1"})},
		{method: "POST", path: "/api/v1/tokens", c: cust, seed: j(map[string]any{"name": "x", "ttl_hours": 24})},
		{method: "POST", path: "/api/v1/resources", c: w.padmin, seed: j(map[string]any{"account_id": acc.ID, "external_id": "ecs-fuzz", "billing": "prepaid",
			"mainland": true, "public_ips": []string{"198.51.100.9"}, "term_start": demoDate(w.start, -1), "term_end": demoDate(w.start, 400)})},
		{method: "POST", path: "/api/v1/auth-codes", c: cust, seed: j(map[string]any{"resource_id": 1})},
		{method: "POST", path: "/api/v1/precheck", c: cust, seed: j(map[string]any{"province": "110000", "nature": "individual", "cert_type": "resident_id",
			"cert_number": "110105198503010012", "domains": []string{"example-fuzz.cn"}})},
		{method: "POST", path: "/api/v1/orders", c: cust, seed: j(map[string]any{"type": "first_filing", "data": full.Data})},
		{method: "PATCH", path: ord, c: cust, seed: j(map[string]any{"data": full.Data}), hdr: []string{"If-Match", `"v1"`}},
		{method: "POST", path: ord + "/submit", c: cust, seed: []byte(`{}`)},
		{method: "POST", path: ord + "/withdraw", c: cust, seed: []byte(`{}`)},
		{method: "POST", path: ord + "/verification", c: cust, seed: j(map[string]any{"method": "curtain", "address": "北京市朝阳区建国路 8 号"})},
		{method: "POST", path: rev + "/claim", c: w.reviewer, seed: []byte(`{}`)},
		{method: "POST", path: rev + "/decision", c: w.reviewer, seed: j(map[string]any{"approve": false, "items": item})},
		{method: "POST", path: rev + "/supplement-request", c: w.reviewer, seed: j(map[string]any{"items": item, "note": "请补充"})},
		{method: "POST", path: "/api/v1/registry/password-retrievals", c: anon, seed: j(map[string]string{"province": "110000", "number": "京ICP备2026000001号",
			"cert_type": "resident_id", "cert_number": "110105198503010012"})},
		{method: "POST", path: "/api/v1/registry/sms-confirmations", c: anon, seed: j(map[string]string{"code": "123456", "phone": "13900000000", "cert_last6": "010012"})},
		{method: "POST", path: "/api/v1/bureau/orders/x1/decision", c: w.bureau, seed: j(map[string]any{"approve": false, "items": item})},
		{method: "POST", path: "/api/v1/bureau/cancellations", c: w.bureau, seed: j(map[string]any{"number": "京ICP备2026000001号", "reason": "x"})},
		{method: "POST", path: "/api/v1/bureau/blacklist", c: w.bureau, seed: j(map[string]any{"kind": "cert", "value": "x", "reason": "x"})},
		{method: "POST", path: "/api/v1/bureau/spot-checks", c: w.bureau, seed: j(map[string]any{"number": "京ICP备2026000001号", "result": "ok"})},
		{method: "POST", path: "/api/v1/bureau/password-requests", c: w.bureau, seed: j(map[string]any{"number": "京ICP备2026000001号", "note": "x"})},
		{method: "POST", path: "/api/v1/registry/providers", c: w.admin, seed: j(map[string]any{"name": "fuzz-provider"})},
		{method: "POST", path: "/api/v1/sandbox/domains", c: w.admin, seed: j([]map[string]any{{"domain": "fuzz.cn", "holder_name": "王小明", "real_name_verified": true}})},
		{method: "POST", path: "/api/v1/sandbox/registry", c: w.admin, seed: j([]map[string]any{{"unit_name": "x", "nature": "enterprise", "province": "110000"}})},
		{method: "POST", path: "/api/v1/sandbox/app-verifications", c: w.admin, seed: j(map[string]any{"order_number": o.Number})},
		{method: "PUT", path: "/api/v1/sandbox/bureau-policy", c: w.admin, seed: j(map[string]any{"mode": "auto", "reject_share": 0, "seed": 1})},
	}
	pageID := strconv.FormatInt(o.ID, 10)
	forms := []struct {
		path   string
		c      *chaosClient
		fields string
	}{
		{"/login", anon, "login\npassword\nnext"},
		{"/password", anon, "province\nnumber\ncert_type\ncert_number"},
		{"/sms-verify", anon, "code\nphone\ncert_last6"},
		{"/console/signup", anon, "login\npassword\nname"},
		{"/console/precheck", custPage, "province\nnature\ncert_type\ncert_number\ndomains\nresource_id"},
		{"/console/orders/new", custPage, "step\nnature\nprovince\nresource_id\nsave\nnext\nadd_site"},
		{"/console/orders/" + pageID + "/edit", custPage, "step\nversion\nsubject.name\nsubject.address\nwebsites[0].name\nwebsites[0].domains\nsave\nnext\nadd_row\nadd_site"},
		{"/console/orders/" + pageID + "/submit", custPage, "version\nconfirm"},
		{"/console/orders/" + pageID + "/withdraw", custPage, "version\nconfirm"},
		{"/review/orders/" + pageID + "/claim", staff[0], "version"},
		{"/review/orders/" + pageID + "/decision", staff[0], "decision\nfield\nreason\nsuggestion\naction\nrows\nnote"},
		{"/review/orders/" + pageID + "/supplement", staff[0], "note\nfield\nreason"},
		{"/bureau/orders/x1/decision", staff[1], "decision\nfield\nreason\nphoto\nnote"},
		{"/bureau/blacklist", staff[1], "kind\nvalue\nreason"},
		{"/bureau/cancellations", staff[1], "number\nreason\nby"},
		{"/bureau/spot-checks", staff[1], "number\nresult\nnote"},
		{"/bureau/password-requests", staff[1], "number\nnote\nanswer"},
	}
	for _, f := range forms {
		ts = append(ts, fuzzTarget{method: "POST", path: f.path, c: f.c, seed: []byte(f.fields), form: true})
	}
	return ts, nil
}

// fuzzLeaves are hostile leaf values.
var fuzzLeaves = []any{nil, true, false, 0, -1, 1e308, "1e999999", -9223372036854775808, "", " ", "\u0000", "\xff\xfe",
	strings.Repeat("长", 5000), "<script>alert(1)</script>", "' OR 1=1 --", "../../etc/passwd", "%00", "京ICP备2026000001号",
	"2026-02-30", "9999-12-31T23:59:59Z", "\U0001F600", "110105198503010012"}

// fuzzValue is a hostile value: a leaf, or a new empty or mixed container
// (new each time: the mutations change containers in place).
func fuzzValue(rng *rand.Rand) any {
	switch rng.IntN(len(fuzzLeaves) + 3) {
	case 0:
		return []any{}
	case 1:
		return map[string]any{}
	case 2:
		return []any{nil, 1, "a"}
	}
	return fuzzLeaves[rng.IntN(len(fuzzLeaves))]
}

// mutateJSON returns a damaged copy of the seed: a leaf replaced by a
// hostile value, keys dropped or added, bytes flipped, truncated, nested
// deep, or replaced by other JSON altogether.
func mutateJSON(rng *rand.Rand, seed []byte) []byte {
	switch rng.IntN(9) {
	case 0: // flip bytes
		b := bytes.Clone(seed)
		for range 1 + rng.IntN(4) {
			if len(b) > 0 {
				b[rng.IntN(len(b))] = byte(rng.IntN(256))
			}
		}
		return b
	case 1: // truncate
		if len(seed) == 0 {
			return seed
		}
		return seed[:rng.IntN(len(seed))]
	case 2: // deep nesting
		d := 1 + rng.IntN(20000)
		return []byte(strings.Repeat("[", d) + strings.Repeat("]", d))
	case 3:
		return []byte([]string{"", "null", "[]", "{}", "0", `"x"`, "{}{}", `{"a":}`, "\xef\xbb\xbf{}", "{\"data\":" + strings.Repeat("1", 400) + "}"}[rng.IntN(10)])
	}
	var v any
	if json.Unmarshal(seed, &v) != nil {
		return seed
	}
	for range 1 + rng.IntN(3) {
		v = mutateValue(rng, v, 0)
	}
	b, err := json.Marshal(v)
	if err != nil {
		return seed
	}
	return b
}

// mutateValue changes one random place of v.
func mutateValue(rng *rand.Rand, v any, depth int) any {
	switch t := v.(type) {
	case map[string]any:
		if len(t) == 0 || rng.IntN(6) == 0 {
			t[[]string{"unknown", "__proto__", "id", "data", "stage", "version", "account_id"}[rng.IntN(7)]] = fuzzValue(rng)
			return t
		}
		keys := make([]string, 0, len(t))
		for k := range t {
			keys = append(keys, k)
		}
		k := keys[rng.IntN(len(keys))]
		if rng.IntN(5) == 0 {
			delete(t, k)
			return t
		}
		t[k] = mutateValue(rng, t[k], depth+1)
		return t
	case []any:
		if len(t) == 0 || rng.IntN(5) == 0 {
			n := rng.IntN(3000)
			out := make([]any, n)
			for i := range out {
				out[i] = fuzzValue(rng)
			}
			return out
		}
		i := rng.IntN(len(t))
		t[i] = mutateValue(rng, t[i], depth+1)
		return t
	}
	if depth > 0 && rng.IntN(4) == 0 {
		return v
	}
	return fuzzValue(rng)
}

// mutateForm builds a url-encoded body of the seed's field names (and
// others) with hostile values, always with the CSRF token.
func mutateForm(rng *rand.Rand, seed []byte, csrf string) []byte {
	names := strings.Split(string(seed), "\n")
	names = append(names, "", "csrf[]", "version", "websites[999999].name", "websites[-1].domains", "subject.person.cert_number", "lang")
	vals := url.Values{}
	if csrf != "" {
		vals.Set("csrf", csrf)
	}
	for range 1 + rng.IntN(8) {
		n := names[rng.IntN(len(names))]
		var s string
		switch x := fuzzValue(rng).(type) {
		case string:
			s = x
		default:
			s = fmt.Sprint(x)
		}
		for range rng.IntN(3) {
			vals.Add(n, s)
		}
		vals.Add(n, s)
	}
	b := []byte(vals.Encode())
	switch rng.IntN(6) {
	case 0:
		b = append(b, []byte("&%zz=%&=&&"+strings.Repeat("a=1&", rng.IntN(2000)))...)
	case 1:
		if len(b) > 0 {
			b[rng.IntN(len(b))] = byte(rng.IntN(256))
		}
	}
	return b
}
