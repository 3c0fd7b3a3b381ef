package main

import (
	"context"
	"errors"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/beian/beian"
)

// API.md `beian demo`, issue 9: the demo on 127.0.0.1:0 with a fast clock
// prints every login and desk; each printed login signs in through the
// API; orders exist in every listed stage (Rule REV-8) and the approved
// ones carry numbers (NUM-1); the sandbox clock advances business days
// (CAL-1) while the bureaus run on auto; Ctrl-C stops it cleanly and the
// temporary folder is gone.
func TestDemo(t *testing.T) {
	if testing.Short() {
		t.Skip("seeds a whole demo")
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out syncBuffer
	runs := make(chan *demoRun, 1)
	checked := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- runDemo(ctx, demoOptions{Addr: "127.0.0.1:0", Speed: 100 * time.Millisecond, Out: &out,
			ready: func(r *demoRun) { runs <- r; <-checked }})
	}()
	var run *demoRun
	select {
	case run = <-runs:
	case err := <-done:
		t.Fatalf("the demo stopped before it was seeded: %v\n%s", err, out.String())
	case <-time.After(3 * time.Minute):
		t.Fatalf("the demo was not seeded in 3 minutes:\n%s", out.String())
	}
	printed := out.String()
	for _, want := range []string{"/console", "/review", "/bureau", "/query", "/sms-verify", "/password", "/ops", "/login", "/api/v1/openapi.json"} {
		if !strings.Contains(printed, run.URL+want+" ") {
			t.Errorf("desk %s not printed", want)
		}
	}
	if !strings.Contains(printed, "/login") || !strings.Contains(printed, "ready") {
		t.Errorf("desks not marked:\n%s", printed)
	}

	// Every printed login signs in (POST /api/v1/sessions). The test signs
	// in from 127.0.0.2 so that the demo's own sign-ins do not count
	// against the per-client login limit (API.md, rate limits).
	other := &http.Client{Timeout: time.Minute, Transport: &http.Transport{DialContext: (&net.Dialer{
		LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 2)}}).DialContext}}
	roles := map[beian.Role]int{}
	provinces := map[string]bool{}
	tokens := map[string]*demoClient{}
	for _, a := range run.Accounts {
		if !strings.Contains(printed, a.Login) || !strings.Contains(printed, a.Password) {
			t.Errorf("login %s and its password are not printed", a.Login)
		}
		c := &demoClient{base: run.URL, http: other, login: a.Login, password: a.Password}
		if err := c.signIn(ctx); err != nil {
			t.Errorf("printed login %s: %v", a.Login, err)
			continue
		}
		var me struct {
			Role     beian.Role `json:"role"`
			Province string     `json:"province"`
		}
		if err := c.call(ctx, "GET", "/api/v1/me", nil, &me); err != nil || me.Role != a.Role {
			t.Errorf("me of %s: %+v %v", a.Login, me, err)
		}
		roles[a.Role]++
		if a.Role == beian.RoleBureauReviewer {
			provinces[me.Province] = true
		}
		tokens[a.Login] = c
	}
	if roles[beian.RoleProviderAdmin] != 1 || roles[beian.RoleProviderReviewer] != 1 || roles[beian.RoleVerifier] != 1 ||
		roles[beian.RoleRegistryAdmin] != 1 || roles[beian.RoleCustomer] < 5 || len(provinces) < 4 {
		t.Errorf("accounts by role %v, bureau provinces %v", roles, provinces)
	}

	// Orders in every listed stage, as their customers see them.
	stages := map[beian.Stage]int{}
	orderProvinces := map[string]bool{}
	for _, o := range run.Orders {
		c := tokens[o.Customer]
		if c == nil {
			continue
		}
		var got demoOrderJSON
		if err := c.call(ctx, "GET", demoOrderPath(o.ID, ""), nil, &got); err != nil {
			t.Fatal(err)
		}
		if got.Stage != o.Stage || got.Number != o.Number || !strings.Contains(printed, o.Number) {
			t.Errorf("order %s: stage %s, listed as %s", got.Number, got.Stage, o.Stage)
		}
		stages[got.Stage]++
		orderProvinces[o.Province] = true
	}
	for _, s := range []beian.Stage{beian.StageDraft, beian.StageInitialReview, beian.StageNeedsFix, beian.StageVerification,
		beian.StagePhotoReview, beian.StageSMSConfirmation, beian.StageBureauReview, beian.StageApproved, beian.StageAbandoned} {
		if stages[s] == 0 {
			t.Errorf("no order in %s: %v", s, stages)
		}
	}
	if len(orderProvinces) < 4 {
		t.Errorf("orders in provinces %v", orderProvinces)
	}
	// Approved filings have numbers at the registry's public query (NUM-1, QRY-1).
	var q struct {
		Total int `json:"total"`
		Items []struct {
			ServiceLicence string `json:"serviceLicence"`
		} `json:"items"`
	}
	if err := tokens["registry"].call(ctx, "GET", "/api/v1/registry/query?domain=wangxiaoming-photo.cn", nil, &q); err != nil || q.Total != 1 ||
		!strings.HasPrefix(q.Items[0].ServiceLicence, "京ICP备") {
		t.Errorf("query of an approved domain: %+v %v", q, err)
	}
	if err := tokens["registry"].call(ctx, "GET", "/api/v1/registry/query?domain=zhujiang-mall.com", nil, &q); err != nil || q.Total != 1 {
		t.Errorf("query of a filing held through other providers: %+v %v", q, err)
	}

	// The clock advances a business day per tick once the demo runs.
	clockNow := func() time.Time {
		var st struct {
			Now time.Time `json:"now"`
		}
		if err := tokens["registry"].call(ctx, "GET", "/api/v1/sandbox/clock", nil, &st); err != nil {
			t.Fatal(err)
		}
		return st.Now
	}
	start := clockNow()
	close(checked)
	deadline := time.Now().Add(time.Minute)
	for clockNow().Sub(start) < 48*time.Hour {
		if time.Now().After(deadline) {
			t.Fatalf("the clock did not advance two business days in a minute: %v → %v\n%s", start, clockNow(), out.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	if !strings.Contains(out.String(), "clock: ") {
		t.Errorf("the clock's ticks are not printed")
	}

	cancel() // Ctrl-C
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("demo: %v", err)
		}
	case <-time.After(time.Minute):
		t.Fatal("the demo did not stop within a minute")
	}
	if _, err := os.Stat(run.Dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the temporary folder %s is left: %v", run.Dir, err)
	}
	if _, err := http.Get(run.URL + "/healthz"); err == nil {
		t.Error("the server still answers after the demo stopped")
	}
}

// The command line refuses a speed that is not a positive number of seconds.
func TestDemoFlags(t *testing.T) {
	for _, speed := range []string{"0", "-1", "NaN", "1e9"} {
		if code, _, stderr := invoke(t, nil, "demo", "--speed", speed); code != 2 || !strings.Contains(stderr, "--speed") {
			t.Errorf("--speed %s: exit %d, %s", speed, code, stderr)
		}
	}
	if code, stdout, _ := invoke(t, nil, "demo", "--help"); code != 0 || !strings.Contains(stdout, "--speed") || !strings.Contains(stdout, "--keep") {
		t.Errorf("demo --help: %d %s", code, stdout)
	}
}
