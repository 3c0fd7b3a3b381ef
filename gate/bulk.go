package gate

import "unsafe"

// bulkLoader feeds a snapshot's rows into an index in batches: it hashes
// a batch, reads the home slot of every row (independent loads, which
// the processor overlaps: one cache miss's wait for the whole batch
// instead of one per row), then sets the rows, whose slots are in cache
// by then. Over ten million domains the table is far bigger than any
// cache, and a row's probe would otherwise wait for memory alone.
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
	if code == codeEmpty || len(domain) == 0 || len(domain) > 255 {
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
	var hashes [bulkBatch]uint64
	slots := b.ix.slots
	for i, r := range b.rows {
		h := b.ix.hash(b.str(r.name))
		hashes[i] = h
		b.sink += slots[home(h, len(slots))]
	}
	for i, r := range b.rows {
		b.ix.setHashed(b.str(r.name), hashes[i], r.code, b.str(r.num))
	}
	b.rows, b.buf = b.rows[:0], b.buf[:0]
}

// str views part of the batch buffer; set copies what it keeps.
func (b *bulkLoader) str(at [2]int) string {
	if at[0] == at[1] {
		return ""
	}
	return unsafe.String(&b.buf[at[0]], at[1]-at[0])
}
