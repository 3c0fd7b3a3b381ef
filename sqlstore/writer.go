package sqlstore

import (
	"context"
	"slices"
	"sync"
	"time"
)

// writerSlot is SQLite's write lock as seen in this process (DB.writer):
// a transaction takes it before BEGIN IMMEDIATE, so writers queue here,
// each woken the moment the lock is handed to it, instead of in SQLite's
// busy handler, which sleeps 1, 2, 5, 10 … up to 100 ms between tries and
// made a write's p99 under load ten times its p50.
//
// Waiters are served in two classes, each first come, first served: work
// done for a request before work of the process's own background loops
// (the outbox, the registry's event feed, timers: contexts marked with
// Background). Under load the slot has a queue, and a request waits
// behind every transaction ahead of it; the background loops can wait a
// little longer without anyone waiting on an answer. A background waiter
// that has waited backgroundMaxWait goes next all the same, so that a
// steady stream of requests cannot stall the loops.
type writerSlot struct {
	mu         sync.Mutex
	held       bool
	fore, back []*slotWaiter
}

type slotWaiter struct {
	ready   chan struct{} // closed when the slot is handed to this waiter
	since   time.Time
	granted bool // under writerSlot.mu
}

// backgroundMaxWait bounds how long a background waiter lets requests go
// first.
const backgroundMaxWait = 100 * time.Millisecond

type backgroundKey struct{}

// Background marks ctx as the context of a background loop: its SQLite
// write transactions queue for the writer slot after those of requests
// (writerSlot). Nothing else changes.
func Background(ctx context.Context) context.Context {
	return context.WithValue(ctx, backgroundKey{}, true)
}

func isBackground(ctx context.Context) bool {
	b, _ := ctx.Value(backgroundKey{}).(bool)
	return b
}

// take waits for the slot. It returns ok false, with nothing held, when
// wait passes first (the caller goes on to SQLite's own busy handling),
// and ctx's error when ctx ends first.
func (s *writerSlot) take(ctx context.Context, background bool, wait time.Duration) (ok bool, err error) {
	s.mu.Lock()
	if !s.held {
		s.held = true
		s.mu.Unlock()
		return true, nil
	}
	w := &slotWaiter{ready: make(chan struct{}), since: time.Now()}
	if background {
		s.back = append(s.back, w)
	} else {
		s.fore = append(s.fore, w)
	}
	s.mu.Unlock()
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-w.ready:
		return true, nil
	case <-ctx.Done():
		err = ctx.Err()
	case <-t.C:
	}
	s.mu.Lock()
	if w.granted { // handed over meanwhile: pass it on
		s.mu.Unlock()
		s.release()
		return false, err
	}
	s.fore = slices.DeleteFunc(s.fore, func(x *slotWaiter) bool { return x == w })
	s.back = slices.DeleteFunc(s.back, func(x *slotWaiter) bool { return x == w })
	s.mu.Unlock()
	return false, err
}

// release hands the slot to the next waiter, or frees it.
func (s *writerSlot) release() {
	s.mu.Lock()
	var next *slotWaiter
	switch {
	case len(s.back) > 0 && (len(s.fore) == 0 || time.Since(s.back[0].since) >= backgroundMaxWait):
		next, s.back = s.back[0], s.back[1:]
	case len(s.fore) > 0:
		next, s.fore = s.fore[0], s.fore[1:]
	default:
		s.held = false
	}
	if next != nil {
		next.granted = true
	}
	s.mu.Unlock()
	if next != nil {
		close(next.ready)
	}
}
