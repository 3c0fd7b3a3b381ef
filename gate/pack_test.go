package gate

import (
	"math/rand/v2"
	"strings"
	"testing"
)

const packAlphabet = "abcdefghijklmnopqrstuvwxyz0123456789-._"

// symbolOf is digitOf backwards.
var symbolOf = func() (t [40]byte) {
	for c := range 256 {
		if d := digitOf[c]; d != 0 {
			t[d] = byte(c)
		}
	}
	return t
}()

// nameOf unpacks a key into its name.
func nameOf(k key) string {
	if k.t1 == ^uint64(0) {
		return k.rest
	}
	var chars [packChars]byte
	n := 0
	unpack := func(w uint64, count int) {
		var d [packChars1]byte
		for i := count - 1; i >= 0; i-- {
			d[i] = byte(w % 40)
			w /= 40
		}
		for _, x := range d[:count] {
			if x != 0 {
				chars[n] = symbolOf[x]
				n++
			}
		}
	}
	unpack(k.t0>>flagBits, packChars0)
	unpack(k.t1, packChars1)
	out := make([]byte, 0, len(k.rest)+n)
	out = append(out, k.rest...)
	for i := n - 1; i >= 0; i-- {
		out = append(out, chars[i])
	}
	return string(out)
}

// checkKey checks what keyOf makes of name: it unpacks to name, is long
// exactly beyond 23 characters or outside the alphabet, and keeps the
// right part in the arena.
func checkKey(t *testing.T, name string) key {
	t.Helper()
	k := keyOf(name)
	if got := nameOf(k); got != name {
		t.Fatalf("nameOf(keyOf(%q)) = %q", name, got)
	}
	if k.t0&(reasonBits|16) != 0 {
		t.Fatalf("keyOf(%q): t0 %#x has reason or spare bits set", name, k.t0)
	}
	raw := false
	for i := range len(name) {
		raw = raw || strings.IndexByte(packAlphabet, name[i]) < 0
	}
	switch {
	case raw:
		if k.t0 != flagLong || k.t1 != ^uint64(0) || k.rest != name {
			t.Fatalf("keyOf(%q) = %+v, want the raw key", name, k)
		}
	case len(name) > packChars:
		if !k.long() || k.rest != name[:len(name)-packChars] {
			t.Fatalf("keyOf(%q) = %+v, want long with rest %q", name, k, name[:len(name)-packChars])
		}
	default:
		if k.long() || k.rest != "" {
			t.Fatalf("keyOf(%q) = %+v, want short", name, k)
		}
	}
	return k
}

// Names of every length from 1 to 30 (the words hold 23 characters) pack
// and unpack, and distinct names have distinct keys (Rule GATE-1: the
// index answers exactly).
func TestPackLengths(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	seen := map[key]string{}
	add := func(name string) {
		k := checkKey(t, name)
		if other, ok := seen[k]; ok && other != name {
			t.Fatalf("%q and %q have the same key %+v", name, other, k)
		}
		seen[k] = name
	}
	for n := 1; n <= 30; n++ {
		for range 300 {
			b := make([]byte, n)
			for i := range b {
				b[i] = packAlphabet[r.IntN(len(packAlphabet))]
			}
			add(string(b))
		}
		// The extremes of each digit: all of the first symbol, all of the
		// last (a word's largest value must not overflow).
		add(strings.Repeat("a", n))
		add(strings.Repeat("_", n))
		add(strings.Repeat("9", n))
	}
	for _, name := range []string{
		"example.com", "a", "b", "aa", "ab", "ba", ".", "..", "a.", ".a", "-", "_",
		"xn--fiqs8s", "xn--fsqu00a.xn--fiqs8s", "xn--55qx5d.xn--fiqs8s", "zhongguowang.com.cn",
		strings.Repeat("x", 11), strings.Repeat("x", 12), strings.Repeat("x", 22), strings.Repeat("x", 23),
		strings.Repeat("x", 24), strings.Repeat("x", 25), strings.Repeat("x", 63) + ".com", strings.Repeat("ab.", 85),
		"abcdefghijk", "abcdefghijkl", "abcdefghijklmnopqrstuvw", "abcdefghijklmnopqrstuvwx", "abcdefghijklmnopqrstuvwxy",
		"_dmarc.example.com", "0.cn", "9-9.net",
	} {
		add(name)
	}
}

// A name with a byte outside the alphabet keeps all of it in the arena,
// and never shares a key with a packed name.
func TestPackRawNames(t *testing.T) {
	seen := map[key]string{}
	for _, name := range []string{"Example.com", "example.COM", "ex ample.com", "例子.中国", "\x00", "a\x00", "a\xffb",
		"@", strings.Repeat("A", 30), "example.com\n", "ex\tample"} {
		k := checkKey(t, name)
		if other, ok := seen[k]; ok {
			t.Fatalf("%q and %q have the same key", name, other)
		}
		seen[k] = name
		if s := keyOf(strings.ToLower(name)); s == k && strings.ToLower(name) != name {
			t.Fatalf("%q and its lower case have the same key", name)
		}
	}
}

// walkKeys packs host the way view.walk does, label by label from the
// right, and returns every suffix's key.
func walkKeys(host string) map[string]key {
	out := map[string]key{}
	p, i := packed{}.label(host, len(host)-1)
	out[host[i+1:]] = p.key(host, i+1)
	for i >= 0 {
		var j int
		p, j = p.add('.').label(host, i-1)
		out[host[j+1:]] = p.key(host, j+1)
		i = j
	}
	return out
}

// The walk's one pass from the right gives every suffix of a host the key
// keyOf gives it alone: labels across the words' boundaries, long hosts,
// empty labels, bytes outside the alphabet.
func TestPackWalkAgreesWithKeyOf(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	labels := []string{"com", "cn", "www", "a", "", "xn--fiqs8s", "zhongguowang", "abcdefghijk", "abcdefghijkl", "x_y", "Ab", "é"}
	for range 5000 {
		var parts []string
		for range 1 + r.IntN(7) {
			if r.IntN(3) == 0 {
				b := make([]byte, 1+r.IntN(30))
				for i := range b {
					b[i] = packAlphabet[r.IntN(len(packAlphabet)-1)] // no '.'
				}
				parts = append(parts, string(b))
			} else {
				parts = append(parts, labels[r.IntN(len(labels))])
			}
		}
		host := strings.Join(parts, ".")
		for suffix, k := range walkKeys(host) {
			if want := keyOf(suffix); k != want {
				t.Fatalf("host %q: suffix %q packs to %+v in the walk, %+v alone", host, suffix, k, want)
			}
		}
	}
}

// The hash is its two halves, and the test seam narrows both.
func TestHasherHalves(t *testing.T) {
	hs := newHasher()
	for _, name := range []string{"example.com", strings.Repeat("y", 40) + ".cn", "Raw.Name"} {
		k := keyOf(name)
		if hs.hash(k) != hs.fin(hs.pre(k), k) {
			t.Fatalf("%s: hash and its halves disagree", name)
		}
	}
	hs.mask = 0
	if hs.hash(keyOf("a.cn")) != 0 || hs.pre(keyOf("b.cn")) != 0 {
		t.Fatal("mask 0 does not make every hash 0")
	}
}

// FuzzPack: any name packs and unpacks, and the walk's keys agree with
// keyOf's.
func FuzzPack(f *testing.F) {
	for _, s := range []string{"example.com", "www.example.com.cn", strings.Repeat("a", 24), "a..b", ".a", "A.b", "xn--fiqs8s", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		if len(name) > 300 {
			return
		}
		if name != "" {
			checkKey(t, name)
		}
		for suffix, k := range walkKeys(name) {
			if want := keyOf(suffix); k != want {
				t.Fatalf("%q: suffix %q packs to %+v in the walk, %+v alone", name, suffix, k, want)
			}
		}
	})
}
