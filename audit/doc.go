// Package audit is the append-only, hash-chained audit log of beian
// (PRODUCT.md: "Every state change writes an append-only, hash-chained audit
// record; beian audit verify proves the chain is intact"). It is context
// neutral: the provider and the registry each keep their own chain in their
// own tables (<context>_audit and <context>_audit_head), and neither reads
// the other's.
//
// # Writing
//
// Append records one entry in the caller's transaction, so that the record
// commits or rolls back with the state change it describes; the records of
// a transaction are written at its end, just before the commit. Each record
// carries the hash of the one before it; the head table holds the last seq
// and hash. Writing locks the head row (SELECT … FOR UPDATE on PostgreSQL;
// SQLite transactions are already exclusive), so concurrent writers queue
// instead of forking the chain, and the schema's UNIQUE(prev_hash) is the
// backstop. The lock is held from that write to the commit: every state
// change of a context passes through it, but only for its inserts and its
// commit, wherever in the transaction Append was called.
//
// # Hash
//
// A record's hash is the lower-case hex SHA-256 of the concatenation of these
// fields, each written as its length (8 bytes, big-endian) followed by its
// bytes, so that no two different records encode to the same bytes:
//
//	"beian.audit.v1"   (a version tag)
//	prev_hash          (64 hex digits; the genesis prev_hash is 64 zeros)
//	seq                (8 bytes, big-endian two's complement)
//	at                 (microseconds since the epoch, 8 bytes, big-endian)
//	actor, action, entity, entity_id, before, after   (UTF-8 as stored)
//
// # Verifying
//
// Verify reads the whole chain in seq order, a page at a time inside one
// read-only snapshot, recomputes every hash, checks that seq has no gap, that
// every prev_hash links to the record before it and that the head table names
// the last record. A head kept elsewhere earlier (printed by `beian audit
// head`, mailed to an auditor, …) can be passed in to prove that nothing
// before it was rewritten or removed, which the chain alone cannot prove
// against someone able to recompute every hash after a change.
//
// # Personal data (PRIV-1)
//
// The log stores what callers pass, forever: it is append-only and cannot be
// redacted after the fact. Callers must never pass passwords, verification
// codes, authorization codes, session tokens or document contents; pass a
// hash, an ID or "[redacted]" instead. Staff views of documents are written
// here as records (action "document.view") so that Records can list them.
package audit
