package gate

import (
	"hash/maphash"
	"math/bits"
	"runtime"
	"strings"
	"sync/atomic"
	"unsafe"

	"github.com/beian/beian"
)

// Reason codes as the index packs them into the low 3 bits of a slot; 0
// marks an empty slot. A domain missing from the index is unfiled.
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
// grows back to buildLoad when changes fill it past maxLoad.
const (
	buildLoad = 0.80
	maxLoad   = 0.88
)

// index is the servable-domain index (Rule GATE-1): a compact,
// pointer-free structure that the garbage collector never scans. Names and
// website numbers live in one byte arena, each entry a length byte, the
// ASCII name and the encoded number (number.go). The table is open
// addressing with linear probing over uint64 slots:
//
//	bits 63..32  offset of the entry in the arena
//	bits 31..3   fingerprint: bits 31..3 of the name's hash
//	bits  2..0   reason code (0: empty slot)
//
// A slot's home is the high half of hash × len(slots) (Lemire's fast
// range), so the table can have any size, not only powers of two. Probes
// compare fingerprints first and read the arena only on a fingerprint
// match: a lookup costs about one cache miss for a miss, two for a hit.
//
// Beside the table sits a small set of parent names (a name without its
// first label: "com", "com.cn"), the hashes of which stay in cache: the
// walk up a host's labels probes the big table for a candidate only when
// its parent is in the set, so an unfiled "www.example.com" costs one
// probe, not two.
//
// One writer at a time (Gate.mu) changes an index; readers take no lock.
// The writer publishes the headers of what readers see (view) atomically,
// stores slots atomically, never rewrites an arena entry once a slot
// points to it, and bumps seq around anything that could mislead a reader
// that overlaps it (the backward shift of a deletion, a new view); readers
// retry when seq moved (a sequence lock). On amd64 and arm64 the reader's
// atomic loads are plain loads: a check executes no locked instruction.
type index struct {
	seed    maphash.Seed
	slots   []uint64
	arena   []byte
	n       int // entries
	garbage int // arena bytes of replaced or deleted entries
	hint    int // entries expected by a snapshot being built

	lastNum []byte // the last number set, and its encoding (setHashed)
	lastEnc []byte

	// parents counts the entries under each parent name. The counts sit
	// behind pointers: assigning to an existing string key stores the new
	// key, and names may alias a buffer that is reused.
	parents map[string]*int32
	ptab    []uint64 // hashes|1 of parents; open addressing, a power of two
	pn      int      // parents in ptab

	seq  atomic.Uint64 // odd while a deletion shifts slots; +2 on every new view
	view atomic.Pointer[view]
}

// view is what a reader needs of an index, published as one pointer.
type view struct {
	seed  maphash.Seed
	slots []uint64
	arena []byte // up to its capacity: the writer appends past a view's length
	ptab  []uint64
}

// newIndex returns an empty index sized for about hint entries.
func newIndex(hint int) *index {
	ix := &index{seed: maphash.MakeSeed(), parents: map[string]*int32{}, ptab: make([]uint64, 16), hint: hint}
	ix.slots = makeSlots(tableSize(hint, buildLoad))
	ix.arena = makeArena(hint*32 + 64)
	ix.publish()
	return ix
}

// makeSlots and makeArena allocate the index's two big buffers, backed by
// huge pages where the kernel allows (adviseHuge).
func makeSlots(n int) []uint64 {
	s := make([]uint64, n)
	adviseHuge(unsafe.Pointer(unsafe.SliceData(s)), 8*n)
	return s
}

func makeArena(capacity int) []byte {
	a := make([]byte, 0, capacity)
	adviseHuge(unsafe.Pointer(unsafe.SliceData(a)), capacity)
	return a
}

func tableSize(n int, load float64) int {
	return max(16, int(float64(n)/load)+1)
}

// publish hands readers the current headers.
func (ix *index) publish() {
	ix.view.Store(&view{seed: ix.seed, slots: ix.slots, arena: ix.arena[:cap(ix.arena)], ptab: ix.ptab})
	ix.seq.Add(2)
}

func (ix *index) hash(name string) uint64 { return maphash.String(ix.seed, name) }

// home is the first slot of hash h in a table of size slots.
func home(h uint64, size int) int {
	hi, _ := bits.Mul64(h, uint64(size))
	return int(hi)
}

func fingerprint(h uint64) uint64 { return uint64(uint32(h) &^ 7) }

// nameAt returns the name of the entry at off, without copying.
func (ix *index) nameAt(off uint32) []byte {
	n := int(ix.arena[off])
	return ix.arena[off+1 : off+1+uint32(n)]
}

// find returns the slot of name and whether it holds name; when it does
// not, the slot is the empty one where name would go. Writer side.
func (ix *index) find(name string, h uint64) (int, bool) {
	fp := fingerprint(h)
	i, size := home(h, len(ix.slots)), len(ix.slots)
	for {
		s := ix.slots[i]
		if s&7 == 0 {
			return i, false
		}
		if s&0xFFFFFFF8 == fp && string(ix.nameAt(uint32(s>>32))) == name {
			return i, true
		}
		if i++; i == size {
			i = 0
		}
	}
}

// lookup returns the reason code of name (codeEmpty when unknown) and the
// arena offset of its entry (tests; readers use match).
func (ix *index) lookup(name string) (uint8, uint32) {
	for {
		s := ix.seq.Load()
		v := ix.view.Load()
		code, off, ok := v.probe(name, v.hash(name))
		if ok && s&1 == 0 && ix.seq.Load() == s {
			return code, off
		}
	}
}

// number returns the website number stored at the entry at off.
func (ix *index) number(off uint32) string {
	n := uint32(ix.arena[off])
	num, _ := decodeNumber(ix.arena[off+1+n:])
	return num
}

// entrySize is the arena size of the entry at off.
func (ix *index) entrySize(off uint32) int {
	n := int(ix.arena[off])
	return 1 + n + numberSize(ix.arena[int(off)+1+n:])
}

// set stores name (ASCII, at most 253 bytes) with its reason and number.
func (ix *index) set(name string, code uint8, number string) {
	ix.setHashed(name, ix.hash(name), code, number)
}

// setHashed is set with the hash of name.
func (ix *index) setHashed(name string, h uint64, code uint8, number string) {
	if code == codeEmpty || code > codeLapsed || len(name) == 0 || len(name) > 255 {
		return
	}
	var num []byte
	if ix.lastEnc != nil && string(ix.lastNum) == number {
		num = ix.lastEnc // a website's domains come one after the other in a snapshot
	} else {
		var enc [266]byte
		num = appendNumber(enc[:0], number)
		if len(num) <= 16 && len(number) <= 64 {
			ix.lastNum, ix.lastEnc = append(ix.lastNum[:0], number...), append(ix.lastEnc[:0], num...)
		}
	}
	i, ok := ix.find(name, h)
	if ok {
		s := ix.slots[i]
		off := uint32(s >> 32)
		at := int(off) + 1 + len(name)
		if old := ix.arena[at : at+numberSize(ix.arena[at:])]; string(old) != string(num) {
			// A new entry, never a rewrite: a reader may be comparing the old one.
			ix.garbage += 1 + len(name) + len(old)
			off = ix.appendEntry(name, num)
		}
		atomic.StoreUint64(&ix.slots[i], uint64(off)<<32|s&0xFFFFFFF8|uint64(code))
		return
	}
	ix.addParent(name)
	off := ix.appendEntry(name, num)
	atomic.StoreUint64(&ix.slots[i], uint64(off)<<32|fingerprint(h)|uint64(code))
	ix.n++
	if float64(ix.n) > maxLoad*float64(len(ix.slots)) {
		ix.resize(tableSize(ix.n, buildLoad))
	}
}

// appendEntry appends an entry to the arena, growing it by an eighth (not
// doubling) so that a big index wastes little, and returns its offset.
// While a snapshot is still short of the entries it expects, the arena
// doubles instead (compact trims it at the end).
func (ix *index) appendEntry(name string, num []byte) uint32 {
	need := 1 + len(name) + len(num)
	if len(ix.arena)+need > cap(ix.arena) {
		more := cap(ix.arena) / 8
		if ix.n < ix.hint {
			more = cap(ix.arena)
		}
		grown := makeArena(cap(ix.arena) + more + need + 4096)[:len(ix.arena)]
		copy(grown, ix.arena)
		ix.arena = grown
		ix.publish() // before any slot points past the old arena
	}
	off := uint32(len(ix.arena))
	ix.arena = append(ix.arena, byte(len(name)))
	ix.arena = append(ix.arena, name...)
	ix.arena = append(ix.arena, num...)
	return off
}

// remove deletes name; it reports whether it was there. Deletion shifts
// the following run back (no tombstones), so lookups never slow down.
func (ix *index) remove(name string) bool {
	h := ix.hash(name)
	i, ok := ix.find(name, h)
	if !ok {
		return false
	}
	ix.garbage += ix.entrySize(uint32(ix.slots[i] >> 32))
	ix.seq.Add(1) // readers retry until the shift is over
	size := len(ix.slots)
	j := i
	for {
		if j++; j == size {
			j = 0
		}
		s := ix.slots[j]
		if s&7 == 0 {
			break
		}
		k := home(ix.hash(string(ix.nameAt(uint32(s>>32)))), size)
		// Move s back to the hole at i unless its home lies cyclically in (i, j].
		if (i <= j && (k <= i || k > j)) || (i > j && k <= i && k > j) {
			atomic.StoreUint64(&ix.slots[i], s)
			i = j
		}
	}
	atomic.StoreUint64(&ix.slots[i], 0)
	ix.seq.Add(1)
	ix.n--
	ix.dropParent(name)
	return true
}

// resize rebuilds the table with size slots and publishes it.
func (ix *index) resize(size int) {
	old := ix.slots
	slots := makeSlots(size)
	for _, s := range old {
		if s&7 == 0 {
			continue
		}
		i := home(ix.hash(string(ix.nameAt(uint32(s>>32)))), size)
		for slots[i]&7 != 0 {
			if i++; i == size {
				i = 0
			}
		}
		slots[i] = s
	}
	ix.slots = slots
	ix.publish()
}

// compact drops the arena's garbage when it is over a quarter of the arena,
// and trims unused capacity over a sixteenth: the index keeps to its memory
// budget after many changes and after a snapshot load. Readers keep the
// old table and arena until they are done with them: the new ones are new
// allocations.
func (ix *index) compact() {
	used := len(ix.arena) - ix.garbage
	if ix.garbage <= len(ix.arena)/4 && cap(ix.arena)-len(ix.arena) <= len(ix.arena)/16+4096 {
		return
	}
	if ix.garbage == 0 {
		// Only spare capacity to drop (a snapshot just built): the entries
		// keep their offsets, and the table stays.
		arena := makeArena(used + used/64 + 4096)
		ix.arena = append(arena, ix.arena...)
		ix.publish()
		return
	}
	arena := makeArena(used + used/64 + 4096)
	slots := makeSlots(len(ix.slots))
	for i, s := range ix.slots {
		if s&7 == 0 {
			continue
		}
		off := uint32(s >> 32)
		size := ix.entrySize(off)
		slots[i] = uint64(len(arena))<<32 | s&0xFFFFFFFF
		arena = append(arena, ix.arena[off:int(off)+size]...)
	}
	ix.slots, ix.arena, ix.garbage = slots, arena, 0
	ix.publish()
}

// memBytes is the memory the index holds: table, arena capacity and the
// parent set.
func (ix *index) memBytes() int { return 8*len(ix.slots) + cap(ix.arena) + 8*len(ix.ptab) }

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
	if 2*(ix.pn+1) > len(ix.ptab) {
		ix.rebuildParents(2 * len(ix.ptab))
		return
	}
	ptabInsert(ix.ptab, ix.hash(p))
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
	size := len(ix.ptab)
	for size > 16 && 8*len(ix.parents) < size {
		size /= 2
	}
	ix.rebuildParents(size)
}

// rebuildParents makes a new parent set of size slots and publishes it.
func (ix *index) rebuildParents(size int) {
	ix.ptab = make([]uint64, size)
	for p := range ix.parents {
		ptabInsert(ix.ptab, ix.hash(p))
	}
	ix.pn = len(ix.parents)
	ix.publish()
}

func ptabInsert(t []uint64, h uint64) {
	m := len(t) - 1
	for i := int(h>>32) & m; ; i = (i + 1) & m {
		x := atomic.LoadUint64(&t[i])
		if x == h|1 {
			return
		}
		if x == 0 {
			atomic.StoreUint64(&t[i], h|1)
			return
		}
	}
}

// The read side. A view is consulted without a lock; results are good
// only when seq did not move meanwhile (index.match).

func (v *view) hash(name string) uint64 { return maphash.String(v.seed, name) }

// hasParent reports whether a name of hash h may be the parent of an
// entry (false positives only cost a probe).
func (v *view) hasParent(h uint64) bool {
	t := v.ptab
	m := len(t) - 1
	for i := int(h>>32) & m; ; i = (i + 1) & m {
		x := atomic.LoadUint64(&t[i])
		if x == h|1 {
			return true
		}
		if x == 0 {
			return false
		}
	}
}

// probe looks name (of hash h) up in the table. ok is false when what it
// read cannot be trusted (a slot pointing past this view's arena: the
// writer moved on, and seq will say so).
func (v *view) probe(name string, h uint64) (code uint8, off uint32, ok bool) {
	fp := fingerprint(h)
	slots, arena := v.slots, v.arena
	size := len(slots)
	i := home(h, size)
	for {
		s := atomic.LoadUint64(&slots[i])
		if s&7 == 0 {
			return codeEmpty, 0, true
		}
		if s&0xFFFFFFF8 == fp {
			o := int(s >> 32)
			if o+1+len(name) > len(arena) {
				return codeEmpty, 0, false
			}
			if int(arena[o]) == len(name) && string(arena[o+1:o+1+len(name)]) == name {
				return uint8(s & 7), uint32(o), true
			}
		}
		if i++; i == size {
			i = 0
		}
	}
}

// walk walks host's labels and returns the entry of the domain the host
// falls under (see index.match).
func (v *view) walk(host string) (code uint8, off uint32, domain string, ok bool) {
	i := len(host) - 1
	for i >= 0 && host[i] != '.' {
		i--
	}
	if i <= 0 {
		return codeEmpty, 0, "", true
	}
	ph := v.hash(host[i+1:])
	for {
		j := i - 1
		for j >= 0 && host[j] != '.' {
			j--
		}
		cand := host[j+1:]
		h := v.hash(cand)
		if v.hasParent(ph) {
			code, off, ok := v.probe(cand, h)
			if !ok || code != codeEmpty {
				return code, off, cand, ok
			}
		}
		if j < 0 {
			return codeEmpty, 0, "", true
		}
		ph, i = h, j
	}
}

// match walks host's labels and returns the index entry of the registrable
// domain the host falls under (Rule GATE-1: subdomains follow their
// registrable domain), with that domain. The index holds only registrable
// domains (validate.NormalizeDomain refuses subdomains and public
// suffixes), and of a host's ancestors at most one is registrable, so the
// walk may go either way; it starts from the two right-most labels because
// most hosts are an apex or www. and are found in one probe; it probes
// the table for a candidate only when the candidate's parent is the
// parent of some entry. A
// single-label host matches nothing. It takes no lock (see index).
func (ix *index) match(host string) (code uint8, off uint32, domain string) {
	for {
		s := ix.seq.Load()
		code, off, domain, ok := ix.view.Load().walk(host)
		if ok && s&1 == 0 && ix.seq.Load() == s {
			return code, off, domain
		}
		runtime.Gosched() // a writer is mid-change: let it finish
	}
}

// matchNumber is match with the website number of the entry.
func (ix *index) matchNumber(host string) (code uint8, domain, number string) {
	for {
		s := ix.seq.Load()
		v := ix.view.Load()
		code, off, domain, ok := v.walk(host)
		number = ""
		if ok && code != codeEmpty {
			at := int(off) + 1 + len(domain)
			if b := v.arena[at:]; len(b) >= 2 && len(b) >= numberSize(b) {
				number, _ = decodeNumber(b)
			} else {
				ok = false
			}
		}
		if ok && s&1 == 0 && ix.seq.Load() == s {
			return code, domain, number
		}
		runtime.Gosched()
	}
}
