package gate

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"

	"github.com/beian/beian"
)

// The index agrees with a map under random sets, updates and removals:
// wrap-around probing, backward-shift deletion, growth and arena
// compaction keep every entry findable (Rule GATE-1).
func TestIndexAgreesWithMap(t *testing.T) {
	type want struct {
		code   uint8
		number string
	}
	numbers := []string{"", "浙ICP备2026000001号-1", "京ICP证030173号", "odd number", "粤ICP备12345678号-12"}
	for _, seed := range []uint64{1, 2, 3} {
		t.Run(fmt.Sprint("Seed", seed), func(t *testing.T) {
			r := rand.New(rand.NewPCG(seed, seed))
			ix, model := newIndex(0), map[string]want{}
			for step := range 20000 {
				name := fmt.Sprintf("d%d.example%d.cn", r.IntN(300), r.IntN(5))
				switch op := r.IntN(10); {
				case op < 6:
					w := want{uint8(1 + r.IntN(5)), numbers[r.IntN(len(numbers))]}
					ix.set(name, w.code, w.number)
					model[name] = w
				default:
					_, had := model[name]
					if got := ix.remove(name); got != had {
						t.Fatalf("step %d: remove(%s) = %v, want %v", step, name, got, had)
					}
					delete(model, name)
				}
				if step%97 == 0 {
					ix.compact()
				}
			}
			if ix.n != len(model) {
				t.Fatalf("n = %d, want %d", ix.n, len(model))
			}
			for name, w := range model {
				code, off := ix.lookup(name)
				if code != w.code || ix.number(off) != w.number {
					t.Fatalf("%s: code %d number %q, want %d %q", name, code, ix.number(off), w.code, w.number)
				}
			}
			for i := range 300 {
				name := fmt.Sprintf("d%d.example9.cn", i)
				if code, _ := ix.lookup(name); code != codeEmpty {
					t.Fatalf("%s found, never set", name)
				}
			}
			if ix.garbage > len(ix.arena)/4 {
				t.Errorf("garbage %d of %d after compaction", ix.garbage, len(ix.arena))
			}
		})
	}
}

// Numbers round-trip through the arena encoding, compact or raw.
func TestNumberEncoding(t *testing.T) {
	for _, tc := range []struct {
		num  string
		size int
	}{
		{"", 1},
		{"浙ICP备2026000001号-1", 9},
		{"浙ICP备2026000001号", 7},
		{"京ICP证030173号", 7},
		{"京ICP证030173号-9999", 9},
		{"沪ICP备12345678号-65535", 9},
		{"沪ICP备12345678号-65536", 2 + len("沪ICP备12345678号-65536")},
		{"沪ICP备12345678号-01", 2 + len("沪ICP备12345678号-01")},
		{"XICP备1号", 2 + len("XICP备1号")},
		{"浙ICP备1234567890123号", 2 + len("浙ICP备1234567890123号")},
		{"浙ICP备号", 2 + len("浙ICP备号")},
	} {
		t.Run(tc.num, func(t *testing.T) {
			enc := appendNumber(nil, tc.num)
			if len(enc) != tc.size || numberSize(enc) != tc.size {
				t.Errorf("size %d (numberSize %d), want %d", len(enc), numberSize(enc), tc.size)
			}
			if got, n := decodeNumber(enc); got != tc.num || n != tc.size {
				t.Errorf("decode = %q, %d", got, n)
			}
		})
	}
}

// Reasons map to codes and back; unfiled and unknown reasons are not held.
func TestReasonCodes(t *testing.T) {
	for _, r := range []beian.GateReason{beian.GateServed, beian.GatePending, beian.GateAccessCancelled, beian.GateCancelled, beian.GateLapsed} {
		c, ok := reasonCode(r)
		if !ok || reasons[c] != r {
			t.Errorf("%s: code %d ok %v", r, c, ok)
		}
	}
	for _, r := range []beian.GateReason{beian.GateUnfiled, "bogus", ""} {
		if _, ok := reasonCode(r); ok {
			t.Errorf("%q has a code", r)
		}
	}
}

// Checks take no lock: while one writer adds, updates (numbers of another
// size make new arena entries), removes, grows and compacts, readers
// never see a domain that stays served as anything else, nor a wrong
// number, and never block (Rule GATE-1). Run it with -race.
func TestConcurrentReaders(t *testing.T) {
	g := New(Options{})
	numbers := []string{"浙ICP备2026000001号-1", "京ICP证030173号", "a number of another shape"}
	var stable []beian.ServableChange
	for i := range 300 {
		stable = append(stable, beian.ServableChange{Domain: fmt.Sprintf("stable%d.cn", i), Reason: beian.GateServed, WebsiteNumber: numbers[0]})
	}
	g.Apply(stable)
	stop := make(chan struct{})
	errs := make(chan string, 8)
	var wg sync.WaitGroup
	for r := range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := r; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				host := fmt.Sprintf("www.stable%d.cn", i%300)
				if res := g.Check(host); !res.Allowed || res.Domain != host[4:] {
					errs <- fmt.Sprintf("Check(%s) = %+v", host, res)
					return
				}
				if i%7 == 0 {
					d := g.Detail(host)
					if !d.Allowed || !slices.Contains(numbers, d.WebsiteNumber) {
						errs <- fmt.Sprintf("Detail(%s) = %+v", host, d)
						return
					}
				}
			}
		}()
	}
	r := rand.New(rand.NewPCG(7, 7))
	for step := range 6000 {
		var cs []beian.ServableChange
		switch name := fmt.Sprintf("churn%d.x%d.cn", r.IntN(2000), r.IntN(40)); r.IntN(4) {
		case 0:
			cs = append(cs, beian.ServableChange{Domain: name, Reason: beian.GateUnfiled})
		case 1:
			i := r.IntN(300)
			cs = append(cs, beian.ServableChange{Domain: fmt.Sprintf("stable%d.cn", i), Reason: beian.GateServed, WebsiteNumber: numbers[step%3]})
		default:
			cs = append(cs, beian.ServableChange{Domain: name, Reason: beian.GateServed, WebsiteNumber: numbers[step%3]})
		}
		g.Apply(cs)
	}
	close(stop)
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}
