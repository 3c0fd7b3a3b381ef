package gate

import "unsafe"

// bulkLoader feeds a snapshot's rows into an index in batches: it packs
// and hashes a batch, reads the two buckets of every row (independent
// loads, which the processor overlaps: one cache miss's wait for the
// whole batch instead of one per row), then sets the rows, whose buckets
// are in cache by then, in one change of the index (one seq increment
// before and one after). Over ten million domains the table is far bigger
// than any cache, and a row's insertion would otherwise wait for memory
// alone.
type bulkLoader struct {
	ix   *index
	buf  []byte // the batch's names and numbers
	rows []bulkRow
	sink uint64
}

type bulkRow struct {
	name, num [2]int // start and end in buf
	code      uint8
}

const bulkBatch = 64

func newBulkLoader(ix *index) *bulkLoader {
	return &bulkLoader{ix: ix, buf: make([]byte, 0, bulkBatch*64), rows: make([]bulkRow, 0, bulkBatch)}
}

// add queues a row; domain and number are copied.
func (b *bulkLoader) add(domain, number []byte, code uint8) {
	if code == codeEmpty || code > codeLapsed || len(domain) == 0 || len(domain) > 255 {
		return
	}
	r := bulkRow{code: code}
	r.name[0] = len(b.buf)
	b.buf = append(b.buf, domain...)
	r.name[1], r.num[0] = len(b.buf), len(b.buf)
	b.buf = append(b.buf, number...)
	r.num[1] = len(b.buf)
	b.rows = append(b.rows, r)
	if len(b.rows) == bulkBatch {
		b.flush()
	}
}

// flush sets the queued rows.
func (b *bulkLoader) flush() {
	if len(b.rows) == 0 {
		return
	}
	ix := b.ix
	var keys [bulkBatch]key
	var hashes [bulkBatch]uint64
	bytes := 0
	for i, r := range b.rows {
		keys[i] = keyOf(b.str(r.name))
		hashes[i] = ix.hs.name(b.str(r.name))
		bytes += 2 + len(keys[i].rest) + 2 + r.num[1] - r.num[0] // a tail and a raw number at most
	}
	ix.prepare(len(b.rows), bytes)
	bs := ix.tab.buckets
	for i := range b.rows {
		i1, i2 := homes(hashes[i], len(bs))
		b.sink += bs[i1][0] + bs[i2][0]
	}
	ix.seq.Add(1)
	for i, r := range b.rows {
		ix.setKeyed(b.str(r.name), keys[i], hashes[i], r.code, b.str(r.num))
	}
	ix.seq.Add(1)
	ix.settle()
	b.rows, b.buf = b.rows[:0], b.buf[:0]
}

// str views part of the batch buffer; set copies what it keeps.
func (b *bulkLoader) str(at [2]int) string {
	if at[0] == at[1] {
		return ""
	}
	return unsafe.String(&b.buf[at[0]], at[1]-at[0])
}
