package gate

import (
	"math/rand/v2"
	"strings"
	"testing"
)

const packAlphabet = "abcdefghijklmnopqrstuvwxyz0123456789-._"

// nameOf unpacks a key into its name.
func nameOf(k key) string { return string(k.appendName(nil)) }

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

// The table's hash is of a name's every byte, at every length (the
// short, 8–16, 17–32 and maphash cases), the same for the same bytes
// wherever they are, and the test seam narrows it and the parent hash.
func TestHasherName(t *testing.T) {
	hs := newHasher()
	for n := 1; n <= 70; n++ {
		name := []byte(strings.Repeat("abcdefghij", 7)[:n])
		h := hs.name(string(name))
		if other := "x" + string(name); hs.name(other[1:]) != h {
			t.Fatalf("length %d: the hash depends on where the bytes are", n)
		}
		for i := range name {
			name[i] ^= 1
			if hs.name(string(name)) == h {
				t.Fatalf("length %d: byte %d does not change the hash", n, i)
			}
			name[i] ^= 1
		}
	}
	if hs.name("") == hs.name("a") {
		t.Fatal("the empty name hashes as \"a\"")
	}
	hs.mask = 0
	if hs.name("a.cn") != 0 || hs.pre(keyOf("b.cn")) != 0 {
		t.Fatal("mask 0 does not make every hash 0")
	}
}

// lastDots finds what two strings.LastIndexByte calls find, at every
// length around its 8-byte steps and with dots anywhere.
func TestLastDots(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for range 20000 {
		b := make([]byte, r.IntN(40))
		for i := range b {
			b[i] = "ab.-x"[r.IntN(5)]
		}
		checkLastDots(t, string(b))
	}
}

func checkLastDots(t *testing.T, host string) {
	t.Helper()
	last, prev := lastDots(host)
	wl, wp := strings.LastIndexByte(host, '.'), -1
	if wl > 0 {
		wp = strings.LastIndexByte(host[:wl], '.')
	}
	if last != wl || (wl > 0 && prev != wp) {
		t.Fatalf("lastDots(%q) = %d, %d; want %d, %d", host, last, prev, wl, wp)
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
		checkLastDots(t, name)
		for suffix, k := range walkKeys(name) {
			if want := keyOf(suffix); k != want {
				t.Fatalf("%q: suffix %q packs to %+v in the walk, %+v alone", name, suffix, k, want)
			}
		}
	})
}
