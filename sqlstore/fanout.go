package sqlstore

import "sync"

// Fanout runs independent reads of one request at once or one after
// another. On PostgreSQL each read is a round trip to another process,
// and under load most of its time is waiting (for the backend, then for
// this process to be scheduled again): reads that need not see each other
// go at once, each on a connection of its own, and the caller waits for
// the slowest instead of their sum. SQLite's reads are calls inside this
// process, where running them at once only adds goroutines. Inside a
// transaction there is one connection: use a serial Fanout (the zero
// value).
type Fanout struct {
	Parallel bool

	wg  sync.WaitGroup
	mu  sync.Mutex
	err error
}

// Fanout returns a Fanout for reads outside a transaction on db: parallel
// on PostgreSQL, serial on SQLite.
func (db *DB) Fanout() *Fanout { return &Fanout{Parallel: db.Driver == Postgres} }

// Do runs fn, at once beside the others (Parallel) or now; a serial
// Fanout skips fn after an error. fn must write only what no other fn of
// the Fanout touches.
func (f *Fanout) Do(fn func() error) {
	if !f.Parallel {
		if f.err == nil {
			f.err = fn()
		}
		return
	}
	f.wg.Go(func() {
		if err := fn(); err != nil {
			f.mu.Lock()
			if f.err == nil {
				f.err = err
			}
			f.mu.Unlock()
		}
	})
}

// Wait waits for every fn and returns the first error of them.
func (f *Fanout) Wait() error {
	f.wg.Wait()
	return f.err
}
