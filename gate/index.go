package gate

import (
	"math"
	"math/bits"
	"math/rand/v2"
	"runtime"
	"strings"
	"sync/atomic"
	"unsafe"

	"github.com/beian/beian"
)

// Reason codes as the index packs them into the low 3 bits of an entry; 0
// marks an empty entry. A domain missing from the index is unfiled.
const (
	codeEmpty uint8 = iota
	codeServed
	codePending
	codeAccessCancelled
	codeCancelled
	codeLapsed
)

// reasons maps a reason code to its API.md name; code 0 (not in the index)
// is unfiled.
var reasons = [8]beian.GateReason{beian.GateUnfiled, beian.GateServed, beian.GatePending,
	beian.GateAccessCancelled, beian.GateCancelled, beian.GateLapsed, beian.GateUnfiled, beian.GateUnfiled}

// reasonCode is the index code of a reason; ok is false for unfiled and
// unknown reasons, which the index does not hold.
func reasonCode(r beian.GateReason) (uint8, bool) {
	for c := codeServed; c <= codeLapsed; c++ {
		if reasons[c] == r {
			return c, true
		}
	}
	return codeEmpty, false
}

// reasonCodeBytes is reasonCode of a database column, without allocating;
// codeEmpty for unfiled and unknown reasons.
func reasonCodeBytes(r []byte) uint8 {
	for c := codeServed; c <= codeLapsed; c++ {
		if string(reasons[c]) == string(r) {
			return c
		}
	}
	return codeEmpty
}

// Load factors of the table: a snapshot builds it at buildLoad, and it
// grows back to buildLoad when changes fill it past maxLoad. Buckets of
// three with two choices fill to about 0.92 before insertions start to
// fail; at 0.85 one in twenty insertions moves an entry or more.
const (
	buildLoad = 0.85
	maxLoad   = 0.89

	bucketSlots = 3
	maxKicks    = 500 // moves an insertion tries before it stashes an entry
	reasonBits  = 7   // of an entry's first word
	tagTail     = 0xFE
)

// index is the servable-domain index (Rule GATE-1): a compact,
// pointer-free structure that the garbage collector never scans, sized
// for ten million domains in under 40 bytes each, the name included
// (docs/performance.md, "The gate").
//
// The table is an array of 64-byte buckets, one cache line each, of three
// entries. An entry is two words holding the name packed (pack.go: 23
// characters, with the reason code and flagLong in the first word's low
// bits) and a 32-bit offset into the arena:
//
//	words 0-1, 2-3, 4-5   entries 0, 1, 2
//	word 6                offsets of entries 0 (low half) and 1 (high half)
//	word 7                offset of entry 2 (low half)
//
// A name may sit in either of two buckets, both given by the hash of its
// bytes (cuckoo hashing; hasher.name), which a check computes and
// prefetches first (view.walk): a probe loads both lines at once, before
// anything depends on either, and compares whole names, so a host check
// costs one memory latency whether the name is there or not, and no load
// depends on a slot's content. Only a name over 23 characters (flagLong) compares the
// rest of it in the arena, a second access; about 5 % of names. When both
// buckets are full an insertion moves an entry to its other bucket (and so
// on); one that fails after maxKicks moves goes to the stash, a short list
// every probe scans (empty in practice; forced hash collisions fill it).
// The answer is exact whatever the hash does: no probe trusts a hash, a
// fingerprint or a bucket for a name's identity.
//
// The arena holds the website numbers (number.go) and the rest of long
// names: a short name's offset points at an encoded number, shared by the
// domains of one website that a snapshot delivers one after the other
// (and offset 0 is the "no number" of every pending domain); a long name's
// offset points at a tail entry [tagTail][length][rest][number].
//
// Beside the table sits a small set of parent names (a name without its
// first label: "com", "com.cn"), in cache: the walk up a host's labels
// probes the table for a candidate only when its parent is in the set, so
// an unfiled "www.example.com" costs one probe, not two; and a parent
// that is not itself in the index ("com.cn") is marked so, exactly (by its
// packed name), so that "example.com.cn" costs one probe too.
//
// One writer at a time (Gate.mu) changes an index; readers take no lock
// and execute no locked instruction: on amd64 and arm64 their atomic loads
// are plain loads. The writer makes every change between two increments
// of seq (odd while it writes) and publishes the headers of what readers
// see (view) atomically; a reader retries when seq moved while it read (a
// sequence lock), and bounds-checks whatever a racing writer could make
// inconsistent. Anything that copies the table or the arena (growth,
// compaction) builds the copy first, while readers go on with the old one,
// and publishes it after: readers never wait for a copy. Deletion clears
// an entry: no tombstones, nothing to shift, lookups never slow down.
type index struct {
	hs      hasher
	tab     table
	arena   []byte
	n       int // entries
	garbage int // arena bytes of replaced or deleted entries (an upper bound: numbers are shared)
	hint    int // entries expected by a snapshot being built

	lastNum []byte // the last number set, its encoding, and its offset (0: not in the arena yet)
	lastEnc []byte
	lastOff uint32

	// parents counts the entries under each parent name. The counts sit
	// behind pointers: assigning to an existing string key stores the new
	// key, and names may alias a buffer that is reused.
	parents map[string]*int32
	pbytes  int      // the map's memory, about: its keys, and 48 bytes a parent
	ptab    []pent   // the parent set: open addressing, a power of two, at most half full
	pn      int      // parents in ptab
	pbits   []uint64 // a filter of the parent set (one bit a parent), for the walk

	rng        uint64 // xorshift state: which entry an insertion moves
	stashLimit int    // entries in the stash that make the table grow

	seq  atomic.Uint64 // odd while the writer changes what readers see; +2 on every new view
	view atomic.Pointer[view]
}

// bucket is one cache line of the table (see index).
type bucket [8]uint64

// table is the table proper and its stash (three words an entry: the two
// words of the name and the offset).
type table struct {
	buckets []bucket
	stash   []uint64
}

// pent is an entry of the parent set: tag is the parent's hash with bit 0
// set (present) and bit 1 set when the parent is not in the index itself;
// t0 and t1 are its key's words when it is a short name (the mark is
// exact), 0 otherwise (never marked).
type pent struct{ tag, t0, t1 uint64 }

// view is what a reader needs of an index, published as one pointer.
type view struct {
	hs      hasher
	buckets []bucket
	stash   []uint64
	arena   []byte // up to its capacity: the writer appends past a view's length
	ptab    []pent
	pbits   []uint64
	pmask   uint64 // 64 × len(pbits) - 1
}

// newIndex returns an empty index sized for about hint entries.
func newIndex(hint int) *index {
	return newIndexHashed(hint, newHasher())
}

// newIndexHashed is newIndex with a given hasher (tests force collisions).
func newIndexHashed(hint int, hs hasher) *index {
	ix := &index{hs: hs, parents: map[string]*int32{}, ptab: make([]pent, 16), pbits: make([]uint64, minBloomWords), hint: hint,
		rng: rand.Uint64() | 1, stashLimit: 64}
	ix.tab.buckets = makeBuckets(tableBuckets(hint, buildLoad))
	// A snapshot's numbers take about 5 bytes a domain (shared by a
	// website's domains) and long names' rests about 1; compact trims.
	ix.arena = makeArena(hint*8 + 4096)
	ix.arena = append(ix.arena, numNone) // offset 0: no number, shared
	ix.publish()
	return ix
}

// makeBuckets and makeArena allocate the index's two big buffers, backed
// by huge pages where the kernel allows (adviseHuge). A big allocation
// starts on a page, so buckets are cache lines.
func makeBuckets(n int) []bucket {
	s := make([]bucket, n)
	adviseHuge(unsafe.Pointer(unsafe.SliceData(s)), 64*n)
	return s
}

func makeArena(capacity int) []byte {
	a := make([]byte, 0, capacity)
	adviseHuge(unsafe.Pointer(unsafe.SliceData(a)), capacity)
	return a
}

// tableBuckets is the number of buckets for n entries at load.
func tableBuckets(n int, load float64) int {
	return max(2, int(float64(n)/(load*bucketSlots))+1)
}

// publish hands readers the current headers.
func (ix *index) publish() {
	ix.view.Store(&view{hs: ix.hs, buckets: ix.tab.buckets, stash: ix.tab.stash, arena: ix.arena[:cap(ix.arena)],
		ptab: ix.ptab, pbits: ix.pbits, pmask: uint64(64*len(ix.pbits) - 1)})
	ix.seq.Add(2)
}

// homes are the two buckets of hash h in a table of nb buckets: the high
// halves of h × nb and of h rotated × nb (Lemire's fast range), so the
// table can have any size.
func homes(h uint64, nb int) (int, int) {
	a, _ := bits.Mul64(h, uint64(nb))
	b, _ := bits.Mul64(bits.RotateLeft64(h, 32), uint64(nb))
	return int(a), int(b)
}

// Entries within a bucket.

// entryOff loads the arena offset of entry e of b.
func entryOff(b *bucket, e int) uint32 {
	return uint32(atomic.LoadUint64(&b[6+e>>1]) >> (uint(e&1) * 32))
}

// putEntry stores entry e of b; the first word last, though readers rely
// on seq, not on the order.
func putEntry(b *bucket, e int, w0, w1 uint64, off uint32) {
	atomic.StoreUint64(&b[2*e+1], w1)
	i, s := 6+e>>1, uint(e&1)*32
	atomic.StoreUint64(&b[i], b[i]&^(0xFFFFFFFF<<s)|uint64(off)<<s)
	atomic.StoreUint64(&b[2*e], w0)
}

// freeSlot is the first empty entry of b (-1 if none) and how many are used.
func freeSlot(b *bucket) (free, used int) {
	free = -1
	for e := bucketSlots - 1; e >= 0; e-- {
		if b[2*e]&reasonBits == 0 {
			free = e
		} else {
			used++
		}
	}
	return free, used
}

// The arena.

// restMatches reports whether the entry at off is a tail entry holding
// rest; ok is false when what it would read runs past arena (a torn read:
// the writer moved on, and seq will say so).
func restMatches(arena []byte, off uint32, rest string) (match, ok bool) {
	o := int(off)
	if o >= len(arena) {
		return false, false
	}
	if arena[o] != tagTail {
		return false, true
	}
	if o+2 > len(arena) {
		return false, false
	}
	if int(arena[o+1]) != len(rest) {
		return false, true
	}
	if o+2+len(rest) > len(arena) {
		return false, false
	}
	return string(arena[o+2:o+2+len(rest)]) == rest, true
}

// numberAt is the encoded number of the entry at off (after a tail
// entry's rest); ok is false when it runs past arena.
func numberAt(arena []byte, off uint32) ([]byte, bool) {
	o := int(off)
	if o < len(arena) && arena[o] == tagTail {
		if o+1 >= len(arena) {
			return nil, false
		}
		o += 2 + int(arena[o+1])
	}
	if o >= len(arena) {
		return nil, false
	}
	return encodedNumber(arena[o:])
}

// entrySize is the arena size of the entry at off (writer side).
func entrySize(arena []byte, off uint32) int {
	o := int(off)
	if arena[o] == tagTail {
		o += 2 + int(arena[o+1])
	}
	return o + numberSize(arena[o:]) - int(off)
}

// restAt is the rest of the tail entry at off, without copying (writer side).
func restAt(arena []byte, off uint32) string {
	n := int(arena[off+1])
	if n == 0 {
		return ""
	}
	return unsafe.String(&arena[off+2], n)
}

// appendArena appends an entry: a tail entry for a long key, else the
// encoded number alone. Writers reserve room first (prepare), so that
// readers never wait for the arena's copy.
func (ix *index) appendArena(k key, enc []byte) uint32 {
	need := len(enc)
	if k.long() {
		need += 2 + len(k.rest)
	}
	if len(ix.arena)+need > cap(ix.arena) {
		ix.growArena(need)
	}
	if len(ix.arena)+need > math.MaxUint32 {
		panic("gate: index arena over 4 GiB")
	}
	off := uint32(len(ix.arena))
	if k.long() {
		ix.arena = append(ix.arena, tagTail, byte(len(k.rest)))
		ix.arena = append(ix.arena, k.rest...)
	}
	ix.arena = append(ix.arena, enc...)
	return off
}

// growArena makes room for need more bytes, growing the arena by an
// eighth (not doubling) so that a big index wastes little; while a
// snapshot is still short of the entries it expects, the arena doubles
// instead (compact trims it at the end).
func (ix *index) growArena(need int) {
	more := cap(ix.arena) / 8
	if ix.n < ix.hint {
		more = cap(ix.arena)
	}
	grown := makeArena(cap(ix.arena) + more + need + 4096)[:len(ix.arena)]
	copy(grown, ix.arena)
	ix.arena = grown
	ix.publish() // before any entry points past the old arena
}

// encode is the encoding of number; the last one is kept, since a
// website's domains come one after the other in a snapshot.
func (ix *index) encode(number string) []byte {
	if ix.lastEnc != nil && string(ix.lastNum) == number {
		return ix.lastEnc
	}
	var buf [266]byte
	enc := appendNumber(buf[:0], number)
	ix.lastNum, ix.lastEnc, ix.lastOff = append(ix.lastNum[:0], number...), append(ix.lastEnc[:0], enc...), 0
	return ix.lastEnc
}

// entryFor is the arena offset of a new entry of k with the encoded
// number enc, which encode just returned: for a short name, the number
// shared with the previous domain or the "no number" at offset 0.
func (ix *index) entryFor(k key, enc []byte) uint32 {
	if k.long() {
		return ix.appendArena(k, enc)
	}
	if enc[0] == numNone {
		return 0
	}
	if ix.lastOff == 0 {
		ix.lastOff = ix.appendArena(k, enc)
	}
	return ix.lastOff
}

// Writer side of the table.

// entryKey is the key of the entry with first word w0, second w1 and
// arena offset off.
func (ix *index) entryKey(w0, w1 uint64, off uint32) key {
	k := key{t0: w0 &^ reasonBits, t1: w1}
	if k.long() {
		k.rest = restAt(ix.arena, off)
	}
	return k
}

// entryHash is the table's hash of the entry with first word w0, second
// w1 and arena offset off: of its name, unpacked (a move or a resize).
func (ix *index) entryHash(w0, w1 uint64, off uint32) uint64 {
	var buf [256]byte
	return ix.hs.name(unsafe.String(&buf[0], len(ix.entryKey(w0, w1, off).appendName(buf[:0]))))
}

// entryAt returns the entry of ref (a bucket's entry, 3 × bucket + slot,
// or past the buckets a stash entry).
func (ix *index) entryAt(ref int) (w0, w1 uint64, off uint32) {
	nb3 := bucketSlots * len(ix.tab.buckets)
	if ref < nb3 {
		b, e := &ix.tab.buckets[ref/bucketSlots], ref%bucketSlots
		return b[2*e], b[2*e+1], entryOff(b, e)
	}
	s := ix.tab.stash[3*(ref-nb3):]
	return s[0], s[1], uint32(s[2])
}

// putRef stores the entry of ref.
func (ix *index) putRef(ref int, w0, w1 uint64, off uint32) {
	nb3 := bucketSlots * len(ix.tab.buckets)
	if ref < nb3 {
		putEntry(&ix.tab.buckets[ref/bucketSlots], ref%bucketSlots, w0, w1, off)
		return
	}
	s := ix.tab.stash[3*(ref-nb3):]
	atomic.StoreUint64(&s[1], w1)
	atomic.StoreUint64(&s[2], uint64(off))
	atomic.StoreUint64(&s[0], w0)
}

// matches reports whether the entry (w0, w1, off) holds k (writer side).
func (ix *index) matches(w0, w1 uint64, off uint32, k key) bool {
	if w0&reasonBits == 0 || w0&^reasonBits != k.t0 || w1 != k.t1 {
		return false
	}
	if !k.long() {
		return true
	}
	m, _ := restMatches(ix.arena, off, k.rest)
	return m
}

// locate returns the ref of k's entry, if there is one.
func (ix *index) locate(k key, h uint64) (int, bool) {
	i1, i2 := homes(h, len(ix.tab.buckets))
	for _, i := range [2]int{i1, i2} {
		b := &ix.tab.buckets[i]
		for e := range bucketSlots {
			if ix.matches(b[2*e], b[2*e+1], entryOff(b, e), k) {
				return bucketSlots*i + e, true
			}
		}
	}
	s := ix.tab.stash
	for j := 0; j < len(s); j += 3 {
		if ix.matches(s[j], s[j+1], uint32(s[j+2]), k) {
			return bucketSlots*len(ix.tab.buckets) + j/3, true
		}
	}
	return 0, false
}

func (ix *index) rand() uint64 {
	ix.rng ^= ix.rng << 13
	ix.rng ^= ix.rng >> 7
	ix.rng ^= ix.rng << 17
	return ix.rng
}

// place puts an entry of hash h into tab: into the emptier of its two
// buckets, or, both full, in place of an entry that moves to its other
// bucket, and so on (a random walk), or at last into the stash.
func (ix *index) place(tab *table, w0, w1 uint64, off uint32, h uint64) {
	nb := len(tab.buckets)
	i1, i2 := homes(h, nb)
	f1, u1 := freeSlot(&tab.buckets[i1])
	f2, u2 := freeSlot(&tab.buckets[i2])
	switch {
	case f1 >= 0 && (f2 < 0 || u1 <= u2):
		putEntry(&tab.buckets[i1], f1, w0, w1, off)
		return
	case f2 >= 0:
		putEntry(&tab.buckets[i2], f2, w0, w1, off)
		return
	}
	i := i1
	if ix.rand()&1 != 0 {
		i = i2
	}
	for range maxKicks {
		b := &tab.buckets[i]
		e := int(ix.rand() % bucketSlots)
		vw0, vw1, voff := b[2*e], b[2*e+1], entryOff(b, e)
		putEntry(b, e, w0, w1, off)
		w0, w1, off = vw0, vw1, voff
		a1, a2 := homes(ix.entryHash(w0, w1, off), nb)
		if a1 == i {
			a1 = a2
		}
		if f, _ := freeSlot(&tab.buckets[a1]); f >= 0 {
			putEntry(&tab.buckets[a1], f, w0, w1, off)
			return
		}
		i = a1
	}
	ix.stashPut(tab, w0, w1, off)
}

// stashPut puts an entry into the stash: into an empty place, or onto a
// new, longer copy (published when tab is the live table).
func (ix *index) stashPut(tab *table, w0, w1 uint64, off uint32) {
	s := tab.stash
	for j := 0; j < len(s); j += 3 {
		if s[j]&reasonBits == 0 {
			atomic.StoreUint64(&s[j+1], w1)
			atomic.StoreUint64(&s[j+2], uint64(off))
			atomic.StoreUint64(&s[j], w0)
			return
		}
	}
	tab.stash = append(append(make([]uint64, 0, len(s)+3), s...), w0, w1, uint64(off))
	if tab == &ix.tab {
		ix.publish()
	}
}

// each calls fn with every entry of tab.
func each(tab *table, fn func(w0, w1 uint64, off uint32)) {
	for i := range tab.buckets {
		b := &tab.buckets[i]
		for e := range bucketSlots {
			if b[2*e]&reasonBits != 0 {
				fn(b[2*e], b[2*e+1], entryOff(b, e))
			}
		}
	}
	s := tab.stash
	for j := 0; j < len(s); j += 3 {
		if s[j]&reasonBits != 0 {
			fn(s[j], s[j+1], uint32(s[j+2]))
		}
	}
}

// resize rebuilds the table with nb buckets while readers go on with the
// old one, and publishes it.
func (ix *index) resize(nb int) {
	tab := table{buckets: makeBuckets(nb)}
	each(&ix.tab, func(w0, w1 uint64, off uint32) {
		ix.place(&tab, w0, w1, off, ix.entryHash(w0, w1, off))
	})
	ix.tab = tab
	ix.stashLimit = max(64, 2*len(tab.stash)/3)
	ix.publish()
}

// maxEntry bounds the arena bytes of one entry: a tail of up to 255
// bytes and a number of up to 2 + 255.
const maxEntry = 2 + 255 + 2 + 255

// prepare makes room for rows more entries and bytes more arena before
// the writer starts a change (seq odd): copies happen while readers go on
// with the old table and arena.
func (ix *index) prepare(rows, bytes int) {
	if nb := len(ix.tab.buckets); float64(ix.n+rows) > maxLoad*float64(bucketSlots*nb) {
		// By an eighth at least: changes that add domain after domain
		// rebuild the table a few times, not once every few domains.
		ix.resize(max(tableBuckets(ix.n+rows, buildLoad), nb+nb/8))
	}
	if len(ix.arena)+bytes > cap(ix.arena) {
		ix.growArena(bytes)
	}
}

// settle grows the table after a change when the stash got long (only
// hashes that collide far beyond chance do that).
func (ix *index) settle() {
	if len(ix.tab.stash)/3 > ix.stashLimit {
		ix.resize(max(tableBuckets(ix.n, buildLoad), len(ix.tab.buckets)+len(ix.tab.buckets)/8+1))
	}
}

// set stores name (ASCII, at most 255 bytes) with its reason and number.
func (ix *index) set(name string, code uint8, number string) {
	if code == codeEmpty || code > codeLapsed || len(name) == 0 || len(name) > 255 {
		return
	}
	k := keyOf(name)
	h := ix.hs.name(name)
	ix.prepare(1, maxEntry)
	ix.seq.Add(1)
	ix.setKeyed(name, k, h, code, number)
	ix.seq.Add(1)
	ix.settle()
}

// setKeyed is set of a valid name with its key and hash, while seq is odd.
func (ix *index) setKeyed(name string, k key, h uint64, code uint8, number string) {
	enc := ix.encode(number)
	if ref, ok := ix.locate(k, h); ok {
		w0, w1, off := ix.entryAt(ref)
		if cur, _ := numberAt(ix.arena, off); string(cur) != string(enc) {
			// A new entry, never a rewrite: the old one may be shared.
			if off != 0 {
				ix.garbage += entrySize(ix.arena, off)
			}
			off = ix.entryFor(k, enc)
		}
		ix.putRef(ref, w0&^reasonBits|uint64(code), w1, off)
		return
	}
	ix.place(&ix.tab, k.t0|uint64(code), k.t1, ix.entryFor(k, enc), h)
	ix.n++
	ix.addParent(name)
	ix.ptabMark(k, false) // name may be a parent, now in the index
}

// remove deletes name; it reports whether it was there.
func (ix *index) remove(name string) bool {
	k := keyOf(name)
	ref, ok := ix.locate(k, ix.hs.name(name))
	if !ok {
		return false
	}
	_, _, off := ix.entryAt(ref)
	ix.seq.Add(1)
	ix.putRef(ref, 0, 0, 0)
	ix.n--
	ix.ptabMark(k, true) // name may be a parent, no longer in the index
	ix.dropParent(name)
	ix.seq.Add(1)
	if off != 0 {
		ix.garbage += entrySize(ix.arena, off)
	}
	return true
}

// compact drops the arena's garbage when it is over a quarter of the
// arena, and trims unused capacity over a sixteenth: the index keeps to
// its memory budget after many changes and after a snapshot load. Readers
// keep the old table and arena until they are done with them: the new
// ones are new allocations.
func (ix *index) compact() {
	if ix.garbage <= len(ix.arena)/4 && cap(ix.arena)-len(ix.arena) <= len(ix.arena)/16+4096 {
		return
	}
	if ix.garbage == 0 {
		// Only spare capacity to drop (a snapshot just built): the entries
		// keep their offsets, and the table stays.
		used := len(ix.arena)
		ix.arena = append(makeArena(used+used/64+4096), ix.arena...)
		ix.publish()
		return
	}
	// Mark the entries in use (numbers are shared: an entry may have many
	// users), copy them in arena order, and map each old offset to the
	// new one by its rank among the marks.
	live := make([]uint64, (len(ix.arena)+63)/64)
	mark := func(_, _ uint64, off uint32) { live[off>>6] |= 1 << (off & 63) }
	mark(0, 0, 0)
	each(&ix.tab, mark)
	rank := make([]uint32, len(live)) // marks before each word
	marks, size := 0, 0
	for i, w := range live {
		rank[i] = uint32(marks)
		marks += bits.OnesCount64(w)
		for ; w != 0; w &= w - 1 {
			size += entrySize(ix.arena, uint32(i*64+bits.TrailingZeros64(w)))
		}
	}
	arena := makeArena(size + size/64 + 4096)
	moved := make([]uint32, 0, marks)
	for i, w := range live {
		for ; w != 0; w &= w - 1 {
			off := i*64 + bits.TrailingZeros64(w)
			moved = append(moved, uint32(len(arena)))
			arena = append(arena, ix.arena[off:off+entrySize(ix.arena, uint32(off))]...)
		}
	}
	remap := func(off uint32) uint32 {
		i := off >> 6
		return moved[rank[i]+uint32(bits.OnesCount64(live[i]&(1<<(off&63)-1)))]
	}
	tab := table{buckets: makeBuckets(len(ix.tab.buckets)), stash: append([]uint64(nil), ix.tab.stash...)}
	copy(tab.buckets, ix.tab.buckets)
	for i := range tab.buckets {
		b := &tab.buckets[i]
		for e := range bucketSlots {
			if b[2*e]&reasonBits != 0 {
				putEntry(b, e, b[2*e], b[2*e+1], remap(entryOff(b, e)))
			}
		}
	}
	for j := 0; j < len(tab.stash); j += 3 {
		if tab.stash[j]&reasonBits != 0 {
			tab.stash[j+2] = uint64(remap(uint32(tab.stash[j+2])))
		}
	}
	ix.tab, ix.arena, ix.garbage, ix.lastOff = tab, arena, 0, 0
	ix.publish()
}

// memBytes is the memory the index holds: table, stash, arena capacity
// and the parent set (its table, filter and map).
func (ix *index) memBytes() int {
	return int(unsafe.Sizeof(bucket{}))*len(ix.tab.buckets) + 8*len(ix.tab.stash) + cap(ix.arena) +
		int(unsafe.Sizeof(pent{}))*len(ix.ptab) + 8*len(ix.pbits) + ix.pbytes
}

// The parent set.

// parentOf is name without its first label; "" for a single label.
func parentOf(name string) string {
	for i := 0; i < len(name); i++ {
		if name[i] == '.' {
			return name[i+1:]
		}
	}
	return ""
}

// addParent counts an entry under its parent, adding the parent to the
// set when it is new.
func (ix *index) addParent(name string) {
	p := parentOf(name)
	if p == "" {
		return
	}
	if c := ix.parents[p]; c != nil {
		*c++
		return
	}
	one := int32(1)
	ix.parents[strings.Clone(p)] = &one
	ix.pbytes += len(p) + 48
	if 2*(ix.pn+1) > len(ix.ptab) || bloomWords(ix.pn+1) > len(ix.pbits) {
		ix.rebuildParents(max(len(ix.ptab), 2*(ix.pn+1)))
		return
	}
	ix.ptabAdd(ix.ptab, ix.pbits, p)
	ix.pn++
}

// dropParent uncounts an entry; a parent without entries leaves the set.
func (ix *index) dropParent(name string) {
	p := parentOf(name)
	if p == "" {
		return
	}
	c := ix.parents[p]
	if c == nil {
		return
	}
	if *c--; *c > 0 {
		return
	}
	delete(ix.parents, p)
	ix.pbytes -= len(p) + 48
	size := len(ix.ptab)
	for size > 16 && 8*len(ix.parents) < size {
		size /= 2
	}
	ix.rebuildParents(size)
}

// rebuildParents makes a new parent set of at least size slots (a power
// of two) and its Bloom filter, and publishes them.
func (ix *index) rebuildParents(size int) {
	n := 16
	for n < size {
		n *= 2
	}
	t, f := make([]pent, n), make([]uint64, bloomWords(len(ix.parents)))
	for p := range ix.parents {
		ix.ptabAdd(t, f, p)
	}
	ix.ptab, ix.pbits, ix.pn = t, f, len(ix.parents)
	ix.publish()
}

// The parent set's filter has 256 bits a parent or more (a power of two),
// one set a parent (a Bloom filter with one hash): a false positive
// (under 1 in 256) costs the walk one probe.
const minBloomWords = 128

func bloomWords(parents int) int {
	n := minBloomWords
	for n < 4*parents {
		n *= 2
	}
	return n
}

// bloomBit is the bit of a name of pre-hash pre in a filter of words words.
func bloomBit(pre uint64, words int) uint64 { return pre >> 20 & uint64(64*words-1) }

// ptabAdd adds parent p to t and f, marked when p is a short name not in
// the index.
func (ix *index) ptabAdd(t []pent, f []uint64, p string) {
	k := keyOf(p)
	pre := ix.hs.pre(k)
	b := bloomBit(pre, len(f))
	atomic.StoreUint64(&f[b>>6], f[b>>6]|1<<(b&63))
	want := pre&^3 | 1
	var t0, t1 uint64
	if !k.long() {
		t0, t1 = k.t0, k.t1
		if _, in := ix.locate(k, ix.hs.name(p)); !in {
			want |= 2
		}
	}
	m := len(t) - 1
	for i := int(pre>>32) & m; ; i = (i + 1) & m {
		e := &t[i]
		if e.tag == 0 {
			atomic.StoreUint64(&e.t0, t0)
			atomic.StoreUint64(&e.t1, t1)
			atomic.StoreUint64(&e.tag, want)
			return
		}
		if e.tag == want && e.t0 == t0 && e.t1 == t1 {
			return
		}
	}
}

// ptabMark marks the parent of key k (a short name) as not in the index,
// or unmarks it; nothing when k is no parent.
func (ix *index) ptabMark(k key, notIn bool) {
	if k.long() {
		return
	}
	pre := ix.hs.pre(k)
	t := ix.ptab
	m := len(t) - 1
	want := pre&^3 | 1
	for i := int(pre>>32) & m; t[i].tag != 0; i = (i + 1) & m {
		if e := &t[i]; e.tag&^2 == want && e.t0 == k.t0 && e.t1 == k.t1 {
			tag := want
			if notIn {
				tag |= 2
			}
			atomic.StoreUint64(&e.tag, tag)
			return
		}
	}
}

// The read side. A view is consulted without a lock; results are good
// only when seq did not move meanwhile (index.match).

// mayBeParent reports whether a name of pre-hash pre may be the parent of
// an entry (the filter: false positives only cost a probe).
func (v *view) mayBeParent(pre uint64) bool {
	b := pre >> 20 & v.pmask
	// b>>6 is below len(v.pbits) (pmask): no bounds check.
	w := atomic.LoadUint64((*uint64)(unsafe.Add(unsafe.Pointer(unsafe.SliceData(v.pbits)), b>>6*8)))
	return w&(1<<(b&63)) != 0
}

// notIn reports whether the name of key k and pre-hash pre is exactly a
// parent marked as not in the index.
func (v *view) notIn(pre uint64, k key) bool {
	t := v.ptab
	m := len(t) - 1
	want := pre&^3 | 3
	for i, n := int(pre>>32)&m, 0; n < len(t); i, n = (i+1)&m, n+1 {
		tag := atomic.LoadUint64(&t[i].tag)
		if tag == 0 {
			return false
		}
		if tag == want && atomic.LoadUint64(&t[i].t0) == k.t0 && atomic.LoadUint64(&t[i].t1) == k.t1 {
			return true
		}
	}
	return false
}

// probe looks key k (of hash h) up in the table and returns its reason
// code and ref. ok is false when what it read cannot be trusted (an offset
// past this view's arena: the writer moved on, and seq will say so).
func (v *view) probe(k key, h uint64) (code uint8, ref int, ok bool) {
	bs := v.buckets
	i1, i2 := homes(h, len(bs))
	// i1 and i2 are below len(bs) (homes): no bounds checks.
	p := (*bucket)(unsafe.Add(unsafe.Pointer(unsafe.SliceData(bs)), uintptr(i1)*unsafe.Sizeof(bucket{})))
	q := (*bucket)(unsafe.Add(unsafe.Pointer(unsafe.SliceData(bs)), uintptr(i2)*unsafe.Sizeof(bucket{})))
	// The first words of both buckets' entries, loaded before anything
	// depends on one of them: the two cache lines are fetched together.
	a0, a1, a2 := atomic.LoadUint64(&p[0]), atomic.LoadUint64(&p[2]), atomic.LoadUint64(&p[4])
	c0, c1, c2 := atomic.LoadUint64(&q[0]), atomic.LoadUint64(&q[2]), atomic.LoadUint64(&q[4])
	// An entry's first word matches when it differs from t0 (reason bits
	// clear) in its reason bits alone, and they are not 0 (empty): x-1 < 7.
	t0 := k.t0
	mp := b2u((a0^t0)-1 < reasonBits) | b2u((a1^t0)-1 < reasonBits)<<1 | b2u((a2^t0)-1 < reasonBits)<<2
	mq := b2u((c0^t0)-1 < reasonBits) | b2u((c1^t0)-1 < reasonBits)<<1 | b2u((c2^t0)-1 < reasonBits)<<2
	for b, i, m := p, i1, mp; ; b, i, m = q, i2, mq {
		for ; m != 0; m &= m - 1 {
			e := bits.TrailingZeros(m)
			if atomic.LoadUint64(&b[2*e+1]) != k.t1 {
				continue
			}
			if k.rest != "" {
				match, good := restMatches(v.arena, entryOff(b, e), k.rest)
				if !good {
					return codeEmpty, 0, false
				}
				if !match {
					continue
				}
			}
			return uint8(atomic.LoadUint64(&b[2*e]) & reasonBits), bucketSlots*i + e, true
		}
		if b == q {
			break
		}
	}
	if len(v.stash) != 0 {
		return v.probeStash(k)
	}
	return codeEmpty, 0, true
}

// b2u is 1 for true, without a branch.
func b2u(b bool) uint {
	if b {
		return 1
	}
	return 0
}

// probeStash is probe's look into the stash.
func (v *view) probeStash(k key) (code uint8, ref int, ok bool) {
	s := v.stash
	for j := 0; j+3 <= len(s); j += 3 {
		a := atomic.LoadUint64(&s[j])
		if a^k.t0 > reasonBits || a&reasonBits == 0 || atomic.LoadUint64(&s[j+1]) != k.t1 {
			continue
		}
		if k.rest != "" {
			m, good := restMatches(v.arena, uint32(atomic.LoadUint64(&s[j+2])), k.rest)
			if !good {
				return codeEmpty, 0, false
			}
			if !m {
				continue
			}
		}
		return uint8(a & reasonBits), bucketSlots*len(v.buckets) + j/3, true
	}
	return codeEmpty, 0, true
}

// offset is the arena offset of the entry of ref; ok is false when ref
// is out of this view (a torn read).
func (v *view) offset(ref int) (uint32, bool) {
	nb3 := bucketSlots * len(v.buckets)
	if ref < nb3 {
		return entryOff(&v.buckets[ref/bucketSlots], ref%bucketSlots), true
	}
	j := 3*(ref-nb3) + 2
	if j >= len(v.stash) {
		return 0, false
	}
	return uint32(atomic.LoadUint64(&v.stash[j])), true
}

// walk walks host's labels and returns the entry of the domain the host
// falls under (see index.match). One pass from the right packs every
// suffix of the host (pack.go). valid reports whether host is a name that
// normalizeHost returns unchanged: labels of 1 to 63 characters of the
// alphabet, lower case, a last label that is not a number (the caller
// checks the length); the packing checks the characters of the labels it
// packs, and validPrefix those left of the domain found, which the walk
// does not pack. When valid is false the answer means nothing.
func (v *view) walk(host string) (code uint8, ref int, domain string, ok, valid bool) {
	// The first candidate, the last two labels, is hashed from the host's
	// bytes and its two buckets are prefetched first: the lines are on
	// their way while the labels are packed and checked (hasher.name).
	first, h := -2, uint64(0) // the first candidate's start, and its hash
	if last, j := lastDots(host); last > 0 {
		first, h = j+1, v.hs.name(host[j+1:])
		v.touch(h)
	}
	p, i := packed{}.label(host, len(host)-1)
	n := len(host) - 1 - i // the last label's length; a number only if it ends in a digit
	valid = n >= 1 && n <= 63 && (host[len(host)-1] > '9' || !numeric(host[i+1:]))
	if i <= 0 {
		return codeEmpty, 0, "", true, valid && i < 0 && p.bad>>63 == 0 // a single label, or a leading dot
	}
	hs := &v.hs
	// The first candidate is probed without asking whether the last label
	// is a parent of some entry: it nearly always is (com, cn, net …), and
	// not asking saves hashing the last label on every check; a last label
	// that parents nothing costs one probe.
	parent := true
	for {
		var j int
		p, j = p.add('.').label(host, i-1)
		if n := i - 1 - j; n < 1 || n > 63 {
			valid = false
		}
		k := p.key(host, j+1)
		pre := hs.pre(k)
		present := v.mayBeParent(pre)
		if parent && !(present && v.notIn(pre, k)) {
			if j+1 != first {
				h = hs.name(host[j+1:])
			}
			code, ref, ok := v.probe(k, h)
			if !ok || code != codeEmpty {
				return code, ref, host[j+1:], ok, valid && p.bad>>63 == 0 && validPrefix(host[:j+1])
			}
		}
		if j < 0 {
			return codeEmpty, 0, "", true, valid && p.bad>>63 == 0
		}
		parent, i = present, j
	}
}

// touch prefetches both buckets of hash h, for their lines to be in
// cache when probe reads them. A prefetch, unlike a load, does not wait
// for its line: the check goes on, and on to the next check, meanwhile.
func (v *view) touch(h uint64) {
	bs := v.buckets
	i1, i2 := homes(h, len(bs))
	p := (*bucket)(unsafe.Add(unsafe.Pointer(unsafe.SliceData(bs)), uintptr(i1)*unsafe.Sizeof(bucket{})))
	q := (*bucket)(unsafe.Add(unsafe.Pointer(unsafe.SliceData(bs)), uintptr(i2)*unsafe.Sizeof(bucket{})))
	prefetch2(unsafe.Pointer(p), unsafe.Pointer(q))
}

// numeric reports whether s is all digits (a last label that is a number:
// an IPv4 address, or no domain).
func numeric(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// validPrefix reports whether s, the part of a host left of the domain
// the walk found (its dot included, or ""), is labels of 1 to 63
// lower-case characters of the alphabet, each followed by a dot.
func validPrefix(s string) bool {
	n := 0
	for i := 0; i < len(s); i++ {
		switch hostClass[s[i]] {
		case clsName:
			if n++; n > 63 {
				return false
			}
		case clsDot:
			if n == 0 {
				return false
			}
			n = 0
		default:
			return false
		}
	}
	return true
}

// match walks host's labels and returns the reason code of the registrable
// domain the host falls under (Rule GATE-1: subdomains follow their
// registrable domain), a reference to its entry and that domain. The index
// holds only registrable domains (validate.NormalizeDomain refuses
// subdomains and public suffixes), and of a host's ancestors at most one
// is registrable, so the walk may go either way; it starts from the two
// right-most labels because most hosts are an apex or www. and are found
// in one probe; it probes the table for a candidate only when the
// candidate's parent is the parent of some entry and the candidate is not
// a parent known to be out of the index. A single-label host matches
// nothing. It takes no lock (see index).
func (ix *index) match(host string) (code uint8, ref uint32, domain string) {
	for {
		s := ix.seq.Load()
		code, ref, domain, ok, _ := ix.view.Load().walk(host)
		if ok && s&1 == 0 && ix.seq.Load() == s {
			return code, uint32(ref), domain
		}
		runtime.Gosched() // a writer is mid-change: let it finish
	}
}

// matchHost is match for a host as a request sends it, trimmed of one
// trailing dot, at most MaxHost bytes and not empty: valid reports
// whether it was already normalised (normalizeHost would return it
// unchanged); if not, the answer means nothing and the caller normalises
// it and asks match. Checking the host while walking it saves the
// separate pass over it (Gate.Check).
func (ix *index) matchHost(host string) (code uint8, domain string, valid bool) {
	for {
		s := ix.seq.Load()
		code, _, domain, ok, valid := ix.view.Load().walk(host)
		if ok && s&1 == 0 && ix.seq.Load() == s {
			return code, domain, valid
		}
		runtime.Gosched()
	}
}

// matchNumber is match with the website number of the entry (a second
// access, to the arena).
func (ix *index) matchNumber(host string) (code uint8, domain, number string) {
	for {
		s := ix.seq.Load()
		v := ix.view.Load()
		code, ref, domain, ok, _ := v.walk(host)
		number = ""
		if ok && code != codeEmpty {
			var off uint32
			if off, ok = v.offset(ref); ok {
				var enc []byte
				if enc, ok = numberAt(v.arena, off); ok {
					number, _ = decodeNumber(enc)
				}
			}
		}
		if ok && s&1 == 0 && ix.seq.Load() == s {
			return code, domain, number
		}
		runtime.Gosched()
	}
}

// lookup returns the reason code of name (codeEmpty when unknown) and the
// arena offset of its entry (tests; readers use match).
func (ix *index) lookup(name string) (uint8, uint32) {
	for {
		s := ix.seq.Load()
		v := ix.view.Load()
		k := keyOf(name)
		code, ref, ok := v.probe(k, v.hs.name(name))
		var off uint32
		if ok && code != codeEmpty {
			off, ok = v.offset(ref)
		}
		if ok && s&1 == 0 && ix.seq.Load() == s {
			return code, off
		}
		runtime.Gosched()
	}
}

// number returns the website number of the entry at arena offset off.
func (ix *index) number(off uint32) string {
	enc, _ := numberAt(ix.arena, off)
	num, _ := decodeNumber(enc)
	return num
}
