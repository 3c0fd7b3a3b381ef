package sqlstore

import (
	"errors"
	"testing"
	"time"
)

// A parallel Fanout runs its functions at once (here each waits for the
// other: one after another they would never finish); a serial one runs
// them in order and skips the rest after an error; both return the first
// error.
func TestFanout(t *testing.T) {
	a, b := make(chan struct{}), make(chan struct{})
	f := &Fanout{Parallel: true}
	f.Do(func() error { close(a); <-b; return nil })
	f.Do(func() error { close(b); <-a; return errors.New("second") })
	done := make(chan error)
	go func() { done <- f.Wait() }()
	select {
	case err := <-done:
		if err == nil || err.Error() != "second" {
			t.Fatalf("parallel: %v, want the error of the second", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("parallel functions did not run at once")
	}

	var ran []int
	s := &Fanout{}
	s.Do(func() error { ran = append(ran, 1); return nil })
	s.Do(func() error { ran = append(ran, 2); return errors.New("two") })
	s.Do(func() error { ran = append(ran, 3); return nil })
	if err := s.Wait(); err == nil || err.Error() != "two" || len(ran) != 2 || ran[0] != 1 || ran[1] != 2 {
		t.Fatalf("serial: ran %v, err %v; want [1 2] and two", ran, err)
	}
	if (&DB{Driver: Postgres}).Fanout().Parallel != true || (&DB{Driver: SQLite}).Fanout().Parallel != false {
		t.Fatal("DB.Fanout: parallel on PostgreSQL only")
	}
}
