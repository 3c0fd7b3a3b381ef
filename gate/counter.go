package gate

import (
	"runtime"
	"sync/atomic"
	_ "unsafe" // go:linkname
)

// lookupCounts counts lookups by reason code, one shard per P (the
// scheduler's processors) so that a check executes no locked instruction.
// An atomic add per check (a prometheus.Counter) is a full memory barrier
// on amd64: it keeps the processor from overlapping one check's cache
// misses with the next one's, and in BenchmarkCheck it doubled the time
// of a check over ten million domains. While a goroutine is pinned to its
// P no other goroutine runs there, so the shard is its alone (sync.Pool
// works the same way). Readers load the shards atomically.
type lookupCounts struct {
	shards []countShard
	spill  [8]atomic.Uint64 // Ps beyond the shards (GOMAXPROCS raised since)
}

// countShard is one P's counts, padded to two cache lines against false
// sharing.
type countShard struct {
	n [8]uint64
	_ [64]byte
}

func newLookupCounts() *lookupCounts {
	return &lookupCounts{shards: make([]countShard, runtime.GOMAXPROCS(0))}
}

//go:linkname procPin runtime.procPin
func procPin() int

//go:linkname procUnpin runtime.procUnpin
func procUnpin()

// add counts one lookup of code.
func (c *lookupCounts) add(code uint8) {
	p := procPin()
	if p < len(c.shards) {
		bump(&c.shards[p].n[code&7])
		procUnpin()
		return
	}
	procUnpin()
	c.spill[code&7].Add(1)
}

// total is the count of code over every shard.
func (c *lookupCounts) total(code uint8) uint64 {
	t := c.spill[code&7].Load()
	for i := range c.shards {
		t += atomic.LoadUint64(&c.shards[i].n[code&7])
	}
	return t
}
