package audit

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"hash"
	"strings"

	"github.com/beian/beian/sqlstore"
)

// Genesis is the prev_hash of the first record of every chain, and the hash
// the head table is seeded with.
var Genesis = strings.Repeat("0", 64)

// hashVersion is the first field of every hashed encoding; a new encoding
// would take a new tag.
const hashVersion = "beian.audit.v1"

// computeHash returns the hash of r from its stored fields (r.Hash is not
// read). The encoding is documented in the package comment.
func computeHash(r Record) string {
	h := sha256.New()
	writeField(h, []byte(hashVersion))
	writeField(h, []byte(r.PrevHash))
	writeInt(h, r.Seq)
	writeInt(h, sqlstore.Micro(r.At))
	for _, s := range []string{r.Actor, r.Action, r.Entity, r.EntityID, r.Before, r.After} {
		writeField(h, []byte(s))
	}
	return hex.EncodeToString(h.Sum(nil))
}

// writeField writes b prefixed with its length.
func writeField(h hash.Hash, b []byte) {
	var n [8]byte
	binary.BigEndian.PutUint64(n[:], uint64(len(b)))
	h.Write(n[:])
	h.Write(b)
}

// writeInt writes v as an 8-byte field.
func writeInt(h hash.Hash, v int64) {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], uint64(v))
	writeField(h, b[:])
}

// short abbreviates a hash for messages.
func short(h string) string {
	if len(h) <= 12 {
		return h
	}
	return h[:12] + "…"
}
