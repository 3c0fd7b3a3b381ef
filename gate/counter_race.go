//go:build race

package gate

import "sync/atomic"

// bump is atomic under the race detector, which does not know that a
// pinned P's shard is its own (lookupCounts).
func bump(n *uint64) { atomic.AddUint64(n, 1) }
