package gate

import (
	"encoding/binary"
	"hash/maphash"
	"math/bits"
	"math/rand/v2"
	"strings"
	"unsafe"
)

// The index holds a name in its table as two words, so that a probe
// confirms a name from the table's cache line alone, without a second,
// dependent load of the name (Rule GATE-1: the check over ten million
// domains costs about one memory latency; docs/performance.md, "The gate").
//
// The names the gate looks up are IDNA ASCII hosts: letters, digits, '-',
// '_' and '.', 39 symbols. Numbered 1 to 39, with 0 as padding after the
// end of a name, 40^11·32 and 40^12 are both below 2^64, so the first word
// holds 11 characters above 5 flag bits and the second 12: 23 characters
// in all, the length included (no character is 0, so the padding says
// where the name ends). Names are packed from their END: the walk up a
// host's labels looks up suffixes of the host ("example.com", then
// "www.example.com"), and packed backwards every suffix's words come out
// of one pass over the host, right to left.
//
// A longer name keeps its last 23 characters in the words, with flagLong,
// and its beginning (the "rest") in the arena. A name with any other byte
// (the index accepts any; the database holds normalised names) keeps all
// of it in the arena, with first word flagLong and second word ^0, which
// no packed name has (40^12 - 1 < 2^64 - 1). Whatever the hash does, a
// match is exact: equal words and, with flagLong, an equal rest.
const (
	packChars0 = 11 // characters in the first word, above its flags
	packChars1 = 12 // characters in the second word
	packChars  = packChars0 + packChars1

	flagLong = 8 // first word, bit 3: the name goes on in the arena
	flagBits = 5 // bits 2..0 reason code, bit 3 flagLong, bit 4 unused
)

// digitOf numbers the characters of names; 0 for any other byte.
var digitOf = func() (t [256]uint8) {
	d := uint8(1)
	for _, c := range "abcdefghijklmnopqrstuvwxyz0123456789-._" {
		t[c] = d
		d++
	}
	return t
}()

// pow40[i] is 40^i.
var pow40 = func() (p [packChars1 + 1]uint64) {
	p[0] = 1
	for i := 1; i < len(p); i++ {
		p[i] = p[i-1] * 40
	}
	return p
}()

// key is a name as the table holds it: t0 and t1 are the words of its
// entry (t0 with the reason bits clear), rest the part kept in the arena
// ("" unless t0 has flagLong).
type key struct {
	t0, t1 uint64
	rest   string
}

func (k key) long() bool { return k.t0&flagLong != 0 }

// padding[n] are the multipliers that pad the words of n characters to
// their full width (the second word is 0 below 12 characters).
var padding = func() (t [32][2]uint64) {
	for n := range t {
		t[n][0] = pow40[packChars0-min(n, packChars0)]
		t[n][1] = pow40[packChars1-min(max(n-packChars0, 0), packChars1)]
	}
	return t
}()

// packed is a name being packed backwards, one character at a time;
// values, not pointers, so that the walk keeps them in registers. Each
// word is a Horner sum of its characters (s = 40·s + digit, three
// instructions); key pads it to its full width.
type packed struct {
	s0, s1 uint64 // the two words' characters so far
	bad    uint64 // top bit set once a character outside the alphabet was added
	n      int    // characters added
}

// add is p with character c added in front.
func (p packed) add(c byte) packed {
	d := uint64(digitOf[c])
	p.bad |= d - 1
	if p.n < packChars0 {
		p.s0 = p.s0*40 + d
	} else if p.n < packChars {
		p.s1 = p.s1*40 + d
	}
	p.n++
	return p
}

// pairOf[lo | hi<<8] is the value of the characters hi then lo (hi
// first: it is the later one in a name, added first): 40·digit(hi) +
// digit(lo), or pairStop when either is a dot or outside the alphabet.
// label takes a host's characters two at a time through it, and the
// exceptions one at a time.
var pairOf = func() (t [1 << 16]uint16) {
	for x := range t {
		lo, hi := digitOf[x&0xFF], digitOf[x>>8]
		if lo == 0 || hi == 0 || x&0xFF == '.' || x>>8 == '.' {
			t[x] = pairStop
		} else {
			t[x] = uint16(hi)*40 + uint16(lo)
		}
	}
	return t
}()

const pairStop = 0xFFFF

// label adds host[..i] from i leftwards up to the first '.' (not added);
// it returns where it stopped: the dot's index, or -1. It fills the first
// word, then the second, then only counts (and checks) characters, two
// characters a step where it can (pairOf) and one otherwise, without
// bounds checks (0 <= i < len(host)): this is most of a host check's
// instructions.
func (p packed) label(host string, i int) (packed, int) {
	s := unsafe.Pointer(unsafe.StringData(host))
	pair := func(i int) uint64 { // host[i-1] and host[i], in one load where the processor allows
		b := (*[2]byte)(unsafe.Add(s, i-1))
		return uint64(pairOf[uint16(b[0])|uint16(b[1])<<8])
	}
	at := func(i int) byte { return *(*byte)(unsafe.Add(s, i)) }
	from := i
	stop := max(i-(packChars0-p.n), -1) // where the first word is full
	for ; i-1 > stop; i -= 2 {
		v := pair(i)
		if v == pairStop {
			break
		}
		p.s0 = p.s0*1600 + v
	}
	for ; i > stop; i-- {
		c := at(i)
		if c == '.' {
			break
		}
		d := uint64(digitOf[c])
		p.bad |= d - 1
		p.s0 = p.s0*40 + d
	}
	if i < 0 || at(i) == '.' {
		p.n += from - i
		return p, i
	}
	stop = max(i-(packChars-p.n-(from-i)), -1) // where the second word is full
	for ; i-1 > stop; i -= 2 {
		v := pair(i)
		if v == pairStop {
			break
		}
		p.s1 = p.s1*1600 + v
	}
	for ; i > stop; i-- {
		c := at(i)
		if c == '.' {
			break
		}
		d := uint64(digitOf[c])
		p.bad |= d - 1
		p.s1 = p.s1*40 + d
	}
	if i >= 0 && at(i) != '.' {
		for ; i > 0 && pair(i) != pairStop; i -= 2 {
		}
		for ; i >= 0; i-- {
			c := at(i)
			if c == '.' {
				break
			}
			p.bad |= uint64(digitOf[c]) - 1
		}
	}
	p.n += from - i
	return p, i
}

// key is the key of s[from:], the string of the characters added so far.
// It takes s and from rather than the substring, which the walk would
// otherwise cut for every candidate although only long or odd names need
// it.
func (p packed) key(s string, from int) key {
	if p.bad>>63 != 0 {
		return key{t0: flagLong, t1: ^uint64(0), rest: s[from:]}
	}
	pad := &padding[min(p.n, packChars)&31]
	k := key{t0: p.s0 * pad[0] << flagBits, t1: p.s1 * pad[1]}
	if p.n > packChars {
		k.t0 |= flagLong
		k.rest = s[from : from+p.n-packChars]
	}
	return k
}

// keyOf is the key of a name.
func keyOf(name string) key {
	var p packed
	for i := len(name) - 1; i >= 0; i-- {
		p = p.add(name[i])
	}
	return p.key(name, 0)
}

// hasher hashes names (the table, name) and keys (the parent set, pre)
// with random keys of its own, so that nobody can choose names that
// collide (collisions would only slow the index down: matches are exact).
type hasher struct {
	seed       maphash.Seed // for names over 32 bytes
	k0, k1, k2 uint64
	k3         uint64 // odd
	mask       uint64 // ^0; tests narrow it to force collisions
}

func newHasher() hasher {
	return hasher{seed: maphash.MakeSeed(), k0: rand.Uint64(), k1: rand.Uint64(), k2: rand.Uint64(), k3: rand.Uint64() | 1, mask: ^uint64(0)}
}

// mix folds the 128-bit product of a and b (wyhash's mum).
func mix(a, b uint64) uint64 {
	hi, lo := bits.Mul64(a, b)
	return hi ^ lo
}

// pre is the hash of a key's words alone: the parent set's hash (its
// filter and table). One multiplication.
func (hs *hasher) pre(k key) uint64 {
	return mix(k.t0^hs.k0, k.t1^hs.k1) & hs.mask
}

// name is the table's hash of a name: of its bytes, not of its key, so
// that the walk computes the hash of a host's first candidate (its last
// two labels) straight from the host and prefetches the candidate's two
// buckets before it packs anything; the packing runs while the lines
// arrive (docs/performance.md, "The gate"). Names of 8 to 32 bytes (all
// but a few) take four overlapping 8-byte loads and three
// multiplications; shorter ones fewer loads, longer ones maphash. The
// writer, which holds entries as keys, unpacks them to hash them again
// (index.entryHash).
func (hs *hasher) name(s string) uint64 {
	n := len(s)
	p := unsafe.Pointer(unsafe.StringData(s))
	if n >= 8 && n <= 32 {
		// Four loads, overlapping below 32 bytes, cover every byte; no
		// branch on the length.
		a, b := load64(p, 0), load64(p, min(8, n-8))
		c, d := load64(p, max(n-16, 0)), load64(p, n-8)
		return mix(mix(a^hs.k0, b^hs.k1)^mix(c^hs.k2, d^hs.k3)^uint64(n), hs.k3) & hs.mask
	}
	var a, b uint64
	switch {
	case n >= 4:
		if n > 32 {
			a = maphash.String(hs.seed, s)
		} else {
			a, b = uint64(load32(p, 0)), uint64(load32(p, n-4))
		}
	case n > 0:
		a = uint64(s[0])<<16 | uint64(s[n>>1])<<8 | uint64(s[n-1])
	}
	return mix(mix(a^hs.k0, b^hs.k1)^uint64(n), hs.k3) & hs.mask
}

// lastDots returns the index of the last '.' of host and of the one
// before it, -1 where there is none: 8 bytes a step from the end, a
// host's last two labels in one or two steps.
func lastDots(host string) (last, prev int) {
	n := len(host)
	last, prev = -1, -1
	if n < 8 {
		last = strings.LastIndexByte(host, '.')
		if last > 0 {
			prev = strings.LastIndexByte(host[:last], '.')
		}
		return last, prev
	}
	p := unsafe.Pointer(unsafe.StringData(host))
	for e := n; e > 0; {
		s := e - 8
		var m uint64
		if s >= 0 {
			m = dotBytes(load64(p, s))
		} else {
			s = 0
			m = dotBytes(load64(p, 0)) & (1<<(8*e) - 1)
		}
		for m != 0 {
			b := 63 - bits.LeadingZeros64(m)
			if pos := s + b>>3; last < 0 {
				last = pos
			} else {
				return last, pos
			}
			m &^= 1 << b
		}
		e = s
	}
	return last, prev
}

// dotBytes has the top bit of each byte of w that is a '.' set, and no
// other bit (exact: no borrow crosses bytes).
func dotBytes(w uint64) uint64 {
	const lows, highs = 0x7F7F7F7F7F7F7F7F, 0x8080808080808080
	x := w ^ 0x2E2E2E2E2E2E2E2E
	return ^((x&lows + lows) | x) & highs
}

// load64 and load32 read 8 and 4 bytes at p+i, little-endian (one
// unaligned load on amd64 and arm64; byte by byte where the compiler
// cannot combine them).
func load64(p unsafe.Pointer, i int) uint64 {
	return binary.LittleEndian.Uint64(unsafe.Slice((*byte)(unsafe.Add(p, i)), 8))
}

func load32(p unsafe.Pointer, i int) uint32 {
	return binary.LittleEndian.Uint32(unsafe.Slice((*byte)(unsafe.Add(p, i)), 4))
}

// symbolOf is digitOf backwards: the character of each digit.
var symbolOf = func() (t [40]byte) {
	for c := range 256 {
		if d := digitOf[c]; d != 0 {
			t[d] = byte(c)
		}
	}
	return t
}()

// appendName appends the name of k to dst: the rest, then the characters
// of the words (writer side: the table's hash is of names, and entries
// keep keys).
func (k key) appendName(dst []byte) []byte {
	if k.t1 == ^uint64(0) {
		return append(dst, k.rest...)
	}
	var d [packChars]byte // the words' digits, the name's last character first
	w := k.t0 >> flagBits
	for i := packChars0 - 1; i >= 0; i-- {
		d[i] = byte(w % 40)
		w /= 40
	}
	w = k.t1
	for i := packChars - 1; i >= packChars0; i-- {
		d[i] = byte(w % 40)
		w /= 40
	}
	n := 0
	for n < packChars && d[n] != 0 {
		n++
	}
	dst = append(dst, k.rest...)
	for i := n - 1; i >= 0; i-- {
		dst = append(dst, symbolOf[d[i]])
	}
	return dst
}
