package gate

import (
	"hash/maphash"
	"math/bits"
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
// An index is not safe for concurrent use; Gate guards it.
type index struct {
	seed    maphash.Seed
	slots   []uint64
	arena   []byte
	n       int // entries
	garbage int // arena bytes of replaced or deleted entries
}

// newIndex returns an empty index sized for about hint entries.
func newIndex(hint int) *index {
	ix := &index{seed: maphash.MakeSeed()}
	ix.slots = makeSlots(tableSize(hint, buildLoad))
	ix.arena = makeArena(hint*24 + 64)
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

func (ix *index) hash(name string) uint64 { return maphash.String(ix.seed, name) }

// home is the first slot a hash probes.
func (ix *index) home(h uint64) int {
	hi, _ := bits.Mul64(h, uint64(len(ix.slots)))
	return int(hi)
}

// nameAt returns the name of the entry at off, without copying.
func (ix *index) nameAt(off uint32) []byte {
	n := int(ix.arena[off])
	return ix.arena[off+1 : off+1+uint32(n)]
}

// find returns the slot of name and whether it holds name; when it does
// not, the slot is the empty one where name would go.
func (ix *index) find(name string) (int, bool) {
	h := ix.hash(name)
	fp := uint64(uint32(h) &^ 7)
	i, size := ix.home(h), len(ix.slots)
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
// arena offset of its entry. It does not allocate.
func (ix *index) lookup(name string) (uint8, uint32) {
	i, ok := ix.find(name)
	if !ok {
		return codeEmpty, 0
	}
	s := ix.slots[i]
	return uint8(s & 7), uint32(s >> 32)
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
	if code == codeEmpty || code > codeLapsed || len(name) == 0 || len(name) > 255 {
		return
	}
	var enc [266]byte
	num := appendNumber(enc[:0], number)
	i, ok := ix.find(name)
	if ok {
		s := ix.slots[i]
		off := uint32(s >> 32)
		at := int(off) + 1 + len(name)
		old := ix.arena[at : at+numberSize(ix.arena[at:])]
		switch {
		case string(old) == string(num):
		case len(old) == len(num):
			copy(old, num)
		default:
			ix.garbage += 1 + len(name) + len(old)
			off = ix.appendEntry(name, num)
		}
		ix.slots[i] = uint64(off)<<32 | s&0xFFFFFFF8 | uint64(code)
		return
	}
	off := ix.appendEntry(name, num)
	h := ix.hash(name)
	ix.slots[i] = uint64(off)<<32 | uint64(uint32(h)&^7) | uint64(code)
	ix.n++
	if float64(ix.n) > maxLoad*float64(len(ix.slots)) {
		ix.resize(tableSize(ix.n, buildLoad))
	}
}

// appendEntry appends an entry to the arena, growing it by a quarter (not
// doubling) so that a big index wastes little, and returns its offset.
func (ix *index) appendEntry(name string, num []byte) uint32 {
	need := 1 + len(name) + len(num)
	if len(ix.arena)+need > cap(ix.arena) {
		grown := makeArena(cap(ix.arena) + cap(ix.arena)/4 + need + 4096)[:len(ix.arena)]
		copy(grown, ix.arena)
		ix.arena = grown
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
	i, ok := ix.find(name)
	if !ok {
		return false
	}
	ix.garbage += ix.entrySize(uint32(ix.slots[i] >> 32))
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
		k := ix.home(ix.hash(string(ix.nameAt(uint32(s >> 32)))))
		// Move s back to the hole at i unless its home lies cyclically in (i, j].
		if (i <= j && (k <= i || k > j)) || (i > j && k <= i && k > j) {
			ix.slots[i] = s
			i = j
		}
	}
	ix.slots[i] = 0
	ix.n--
	return true
}

// resize rebuilds the table with size slots.
func (ix *index) resize(size int) {
	old := ix.slots
	ix.slots = makeSlots(size)
	for _, s := range old {
		if s&7 == 0 {
			continue
		}
		i := ix.home(ix.hash(string(ix.nameAt(uint32(s >> 32)))))
		for ix.slots[i]&7 != 0 {
			if i++; i == size {
				i = 0
			}
		}
		ix.slots[i] = s
	}
}

// compact drops the arena's garbage when it is over a quarter of the arena,
// and trims unused capacity over an eighth: the index keeps to its memory
// budget after many changes and after a snapshot load.
func (ix *index) compact() {
	used := len(ix.arena) - ix.garbage
	if ix.garbage <= len(ix.arena)/4 && cap(ix.arena)-len(ix.arena) <= len(ix.arena)/8+4096 {
		return
	}
	arena := makeArena(used + used/16 + 4096)
	for i, s := range ix.slots {
		if s&7 == 0 {
			continue
		}
		off := uint32(s >> 32)
		size := ix.entrySize(off)
		ix.slots[i] = uint64(len(arena))<<32 | s&0xFFFFFFFF
		arena = append(arena, ix.arena[off:int(off)+size]...)
	}
	ix.arena, ix.garbage = arena, 0
}

// memBytes is the memory the index holds: table and arena capacity.
func (ix *index) memBytes() int { return 8*len(ix.slots) + cap(ix.arena) }
