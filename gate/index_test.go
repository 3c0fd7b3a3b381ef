package gate

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"unsafe"

	"github.com/beian/beian"
)

// testHashers are the hashers the index tests run with: the real one,
// one that makes every name collide (one hash: one bucket and the stash),
// one of 16 hashes (long kick walks, the stash), and one that reaches 256
// buckets at most (a crowded table).
func testHashers() map[string]hasher {
	all, few, crowded := newHasher(), newHasher(), newHasher()
	all.mask, few.mask, crowded.mask = 0, 0xC0000000C0000000, 0xFF000000FF000000
	return map[string]hasher{"Seeded": newHasher(), "AllCollide": all, "FewHashes": few, "Crowded": crowded}
}

// testName is a name of one of the shapes the packing treats apart: short,
// long (the rest in the arena), two families of long names that share
// their last 23 characters or their first 24, and names outside the
// alphabet (all in the arena).
func testName(r *rand.Rand, variety int) string {
	i := r.IntN(variety)
	switch r.IntN(6) {
	case 0, 1:
		return fmt.Sprintf("d%d.example%d.cn", i, r.IntN(5))
	case 2:
		return fmt.Sprintf("%s-%d.example%d.com.cn", strings.Repeat("long", 1+r.IntN(5)), i, r.IntN(5))
	case 3:
		return fmt.Sprintf("p%d.shared-last-23-chars.com", i) // the same last 23 characters
	case 4:
		return fmt.Sprintf("abcdefghijklmnopqrstuvwx%d.cn", i) // the same first 24
	}
	return fmt.Sprintf("Raw%d.Example.cn", i)
}

// naiveMatch is what match must answer: the first of host's suffixes from
// its two right-most labels leftwards that is in model.
func naiveMatch(model map[string]uint8, host string) (uint8, string) {
	i := strings.LastIndexByte(host, '.')
	if i <= 0 {
		return codeEmpty, ""
	}
	for {
		j := strings.LastIndexByte(host[:i], '.')
		if c, ok := model[host[j+1:]]; ok {
			return c, host[j+1:]
		}
		if j < 0 {
			return codeEmpty, ""
		}
		i = j
	}
}

// The index agrees with a map under random sets, updates and removals,
// whatever the hash does (every name colliding included): kicks, the
// stash, growth, arena compaction and number sharing keep every entry
// findable with its number, and nothing else (Rule GATE-1).
func TestIndexAgreesWithMap(t *testing.T) {
	type want struct {
		code   uint8
		number string
	}
	numbers := []string{"", "浙ICP备2026000001号-1", "京ICP证030173号", "odd number", "粤ICP备12345678号-12"}
	for hname, hs := range testHashers() {
		for _, seed := range []uint64{1, 2} {
			t.Run(fmt.Sprint(hname, "Seed", seed), func(t *testing.T) {
				r := rand.New(rand.NewPCG(seed, seed))
				steps, variety := 20000, 300
				if hname != "Seeded" {
					steps, variety = 3000, 40
				}
				ix, model := newIndexHashed(0, hs), map[string]want{}
				for step := range steps {
					name := testName(r, variety)
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
					if ix.seq.Load()&1 != 0 {
						t.Fatalf("step %d: seq %d odd after a change", step, ix.seq.Load())
					}
				}
				if ix.n != len(model) {
					t.Fatalf("n = %d, want %d", ix.n, len(model))
				}
				codes := map[string]uint8{}
				for name, w := range model {
					code, off := ix.lookup(name)
					if code != w.code || ix.number(off) != w.number {
						t.Fatalf("%s: code %d number %q, want %d %q", name, code, ix.number(off), w.code, w.number)
					}
					codes[name] = w.code
				}
				for range 2000 {
					name := testName(r, 2*variety)
					if _, ok := model[name]; !ok {
						if code, _ := ix.lookup(name); code != codeEmpty {
							t.Fatalf("%s found, not in the index", name)
						}
					}
					for _, host := range []string{name, "www." + name, "a.b." + name, name[1:], strings.ToLower(name)} {
						code, _, domain := ix.match(host)
						wc, wd := naiveMatch(codes, host)
						if code != wc || domain != wd {
							t.Fatalf("match(%s) = %d %q, want %d %q", host, code, domain, wc, wd)
						}
					}
				}
				if ix.compact(); ix.garbage > len(ix.arena)/4 {
					t.Errorf("garbage %d of %d after compaction", ix.garbage, len(ix.arena))
				}
			})
		}
	}
}

// match agrees with the plain walk over a map while parents come and go,
// among them a public-suffix-like parent ("com.cn") that is itself added
// and removed: the parent set's marks ("a parent not in the index") stay
// exact, whatever the hash.
func TestMatchAgreesWithWalk(t *testing.T) {
	suffixes := []string{"com.cn", "net.cn", "cn", "com", "gov.cn"}
	for hname, hs := range testHashers() {
		t.Run(hname, func(t *testing.T) {
			r := rand.New(rand.NewPCG(5, 6))
			ix, model := newIndexHashed(0, hs), map[string]uint8{}
			for step := range 4000 {
				var name string
				switch r.IntN(8) {
				case 0:
					name = suffixes[r.IntN(len(suffixes))] // a parent becomes an entry, or stops being one
				default:
					name = fmt.Sprintf("s%d.%s", r.IntN(60), suffixes[r.IntN(len(suffixes))])
				}
				if r.IntN(3) == 0 {
					ix.remove(name)
					delete(model, name)
				} else {
					code := uint8(1 + r.IntN(5))
					ix.set(name, code, "")
					model[name] = code
				}
				for range 5 {
					host := fmt.Sprintf("s%d.%s", r.IntN(70), suffixes[r.IntN(len(suffixes))])
					switch r.IntN(4) {
					case 0:
						host = "www." + host
					case 1:
						host = suffixes[r.IntN(len(suffixes))]
					}
					code, _, domain := ix.match(host)
					wc, wd := naiveMatch(model, host)
					if code != wc || domain != wd {
						t.Fatalf("step %d: match(%s) = %d %q, want %d %q", step, host, code, domain, wc, wd)
					}
				}
			}
		})
	}
}

// The parent set marks a parent that is not itself in the index, so that
// the walk skips it without a probe, and unmarks it the moment it is.
func TestParentMarks(t *testing.T) {
	ix := newIndex(0)
	notIn := func(name string) bool {
		k := keyOf(name)
		v := ix.view.Load()
		return v.notIn(v.hs.pre(k), k)
	}
	ix.set("foo.com.cn", codeServed, "")
	if !notIn("com.cn") || notIn("cn") || notIn("foo.com.cn") {
		t.Fatalf("after foo.com.cn: com.cn marked %v, cn %v, foo.com.cn %v", notIn("com.cn"), notIn("cn"), notIn("foo.com.cn"))
	}
	if code, _, d := ix.match("www.foo.com.cn"); code != codeServed || d != "foo.com.cn" {
		t.Fatalf("match = %d %q", code, d)
	}
	ix.set("com.cn", codePending, "")
	if notIn("com.cn") {
		t.Fatal("com.cn marked while in the index")
	}
	if code, _, d := ix.match("www.foo.com.cn"); code != codePending || d != "com.cn" {
		t.Fatalf("match with com.cn in the index = %d %q", code, d)
	}
	ix.remove("com.cn")
	if !notIn("com.cn") {
		t.Fatal("com.cn not marked again after its removal")
	}
	ix.remove("foo.com.cn")
	if len(ix.parents) != 0 || notIn("com.cn") {
		t.Fatalf("parents %v after the last entry left", ix.parents)
	}
	if code, _, _ := ix.match("www.foo.com.cn"); code != codeEmpty {
		t.Fatal("an empty index matched")
	}
}

// Long names apart only in what the arena holds, or in their first
// characters, and a short name equal to a long one's last 23 characters,
// are distinct entries; removing one leaves the others.
func TestLongNamesSharingParts(t *testing.T) {
	tail := "shared-last-23-chars.cn" // 23 characters
	names := []string{tail, "a" + tail, "b" + tail, "ab" + tail, strings.Repeat("x", 40) + tail,
		"abcdefghijklmnopqrstuvwx.cn", "abcdefghijklmnopqrstuvwx.com", "abcdefghijklmnopqrstuvwxy.cn"}
	for hname, hs := range testHashers() {
		t.Run(hname, func(t *testing.T) {
			ix := newIndexHashed(0, hs)
			for i, n := range names {
				ix.set(n, uint8(1+i%5), fmt.Sprintf("浙ICP备%d号", i))
			}
			for skip := range names {
				if !ix.remove(names[skip]) {
					t.Fatalf("remove(%s) = false", names[skip])
				}
				for i, n := range names {
					code, off := ix.lookup(n)
					switch {
					case i == skip && code != codeEmpty:
						t.Fatalf("%s found after its removal", n)
					case i != skip && (code != uint8(1+i%5) || ix.number(off) != fmt.Sprintf("浙ICP备%d号", i)):
						t.Fatalf("%s: code %d number %q after removing %s", n, code, ix.number(off), names[skip])
					}
				}
				ix.set(names[skip], uint8(1+skip%5), fmt.Sprintf("浙ICP备%d号", skip))
			}
		})
	}
}

// Compaction keeps the numbers a website's domains share shared: after
// many updates and removals the arena holds each live number once.
func TestCompactKeepsSharedNumbers(t *testing.T) {
	ix := newIndex(0)
	num := func(site int) string { return fmt.Sprintf("浙ICP备%010d号-1", site) }
	model := map[string]string{}
	for i := range 3000 {
		name := fmt.Sprintf("s%d.cn", i)
		ix.set(name, codeServed, num(i/3)) // three domains a website, one after another
		model[name] = num(i / 3)
	}
	for i := 0; i < 3000; i += 3 { // websites 0..999 move to new numbers 1000..1999
		for j := i; j < i+3; j++ {
			name := fmt.Sprintf("s%d.cn", j)
			ix.set(name, codeServed, num(1000+i/3))
			model[name] = num(1000 + i/3)
		}
	}
	for i := 1; i < 3000; i += 6 {
		name := fmt.Sprintf("s%d.cn", i)
		ix.remove(name)
		delete(model, name)
	}
	ix.compact()
	if ix.garbage != 0 {
		t.Fatalf("garbage %d after compaction", ix.garbage)
	}
	// 1000 live numbers of 9 bytes, and the "no number" byte.
	if want := 1 + 9*1000; len(ix.arena) != want {
		t.Errorf("arena %d bytes after compaction, want %d", len(ix.arena), want)
	}
	for name, n := range model {
		if code, off := ix.lookup(name); code != codeServed || ix.number(off) != n {
			t.Fatalf("%s: code %d number %q, want %q", name, code, ix.number(off), n)
		}
	}
}

// A snapshot's bulk load gives what set gives, within the memory budget
// of 40 bytes a domain (issue 8), and the table's buckets are cache lines.
func TestBulkLoad(t *testing.T) {
	const n = 200000
	ix := newIndex(n)
	bulk := newBulkLoader(ix)
	for i := range n {
		d, num, reason := SyntheticRow(9, i)
		code, _ := reasonCode(reason)
		bulk.add([]byte(d), []byte(num), code)
	}
	bulk.flush()
	ix.compact()
	if ix.n != n {
		t.Fatalf("n = %d", ix.n)
	}
	for i := 0; i < n; i += 7 {
		d, num, reason := SyntheticRow(9, i)
		code, _ := reasonCode(reason)
		if c, off := ix.lookup(d); c != code || ix.number(off) != num {
			t.Fatalf("%s: code %d number %q, want %d %q", d, c, ix.number(off), code, num)
		}
	}
	if b := float64(ix.memBytes()) / n; b > 40 {
		t.Errorf("%.1f bytes a domain, over 40", b)
	} else {
		t.Logf("%.1f bytes a domain, %d in the stash", b, len(ix.tab.stash)/3)
	}
	if p := uintptr(unsafe.Pointer(&ix.tab.buckets[0])); p%64 != 0 {
		t.Errorf("buckets at %#x, not on a cache line", p)
	}
}

// Checks take no lock and never see a wrong answer: readers look up names
// that stay put (short, long, outside the alphabet) while one writer
// inserts and removes others (growth, kicks, the stash), changes the
// stable names' numbers (new arena entries) and compacts, whatever the
// hash does. Run it with -race.
func TestConcurrentIndex(t *testing.T) {
	numbers := []string{"浙ICP备2026000001号-1", "京ICP证030173号", "a number of another shape"}
	for hname, hs := range testHashers() {
		if hname == "AllCollide" || hname == "FewHashes" {
			continue // a stash of hundreds, which every probe scans: slow, and covered above
		}
		t.Run(hname, func(t *testing.T) {
			ix := newIndexHashed(0, hs)
			var stable []string
			for i := range 150 {
				name := []string{fmt.Sprintf("stable%d.cn", i), fmt.Sprintf("a-rather-long-stable-name-%d.com.cn", i), fmt.Sprintf("Raw%d.Stable.cn", i)}[i%3]
				stable = append(stable, name)
				ix.set(name, codeServed, numbers[0])
			}
			stop := make(chan struct{})
			errs := make(chan string, 8)
			var wg sync.WaitGroup
			var reads atomic.Int64
			for r := range 2 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := r; ; i++ {
						select {
						case <-stop:
							return
						default:
						}
						reads.Add(1)
						name := stable[i%len(stable)]
						if code, off := ix.lookup(name); code != codeServed {
							errs <- fmt.Sprintf("lookup(%s) = %d, %d", name, code, off)
							return
						}
						if i%3 == 2 {
							continue // outside the alphabet: not a host
						}
						code, domain, number := ix.matchNumber("www." + name)
						if code != codeServed || domain != name || !slices.Contains(numbers, number) {
							errs <- fmt.Sprintf("matchNumber(www.%s) = %d %q %q", name, code, domain, number)
							return
						}
					}
				}()
			}
			r := rand.New(rand.NewPCG(7, 7))
			// At least 6000 changes, and on until the readers have read
			// 30000 times meanwhile.
			for step := 0; step < 6000 || reads.Load() < 30000 && len(errs) == 0; step++ {
				name := fmt.Sprintf("churn%d.x%d.cn", r.IntN(400), r.IntN(3))
				if r.IntN(3) == 0 {
					name = strings.Repeat("long", 6) + name
				}
				switch r.IntN(5) {
				case 0:
					ix.remove(name)
				case 1:
					ix.set(stable[r.IntN(len(stable))], codeServed, numbers[step%3])
				default:
					ix.set(name, uint8(1+r.IntN(5)), numbers[step%3])
				}
				if step%50 == 0 {
					ix.compact()
				}
			}
			close(stop)
			wg.Wait()
			close(errs)
			for e := range errs {
				t.Error(e)
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
