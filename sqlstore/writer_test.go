package sqlstore

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// waitQueued waits until the slot has n waiters in all.
func waitQueued(t *testing.T, s *writerSlot, n int) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		s.mu.Lock()
		got := len(s.fore) + len(s.back)
		s.mu.Unlock()
		if got == n {
			return
		}
	}
	t.Fatalf("the slot never had %d waiters", n)
}

// TestWriterSlotOrder: requests' transactions go before the background
// loops' that queued earlier, each class first come, first served.
func TestWriterSlotOrder(t *testing.T) {
	s := &writerSlot{}
	ctx := context.Background()
	if ok, err := s.take(ctx, false, time.Second); !ok || err != nil {
		t.Fatalf("take of a free slot: %v %v", ok, err)
	}
	var mu sync.Mutex
	var order []string
	var wg sync.WaitGroup
	queue := func(name string, background bool, n int) {
		wg.Go(func() {
			if ok, err := s.take(ctx, background, 10*time.Second); !ok || err != nil {
				t.Errorf("%s: %v %v", name, ok, err)
				return
			}
			mu.Lock()
			order = append(order, name)
			mu.Unlock()
			s.release()
		})
		waitQueued(t, s, n)
	}
	queue("background 1", true, 1)
	queue("background 2", true, 2)
	queue("request 1", false, 3)
	queue("request 2", false, 4)
	s.release()
	wg.Wait()
	want := []string{"request 1", "request 2", "background 1", "background 2"}
	if len(order) != len(want) {
		t.Fatalf("order %v, want %v", order, want)
	}
	for i := range want {
		if order[i] != want[i] {
			t.Fatalf("order %v, want %v", order, want)
		}
	}
	if ok, _ := s.take(ctx, false, time.Millisecond); !ok {
		t.Fatal("the slot is not free at the end")
	}
}

// TestWriterSlotBackgroundNotStarved: a background waiter that has waited
// backgroundMaxWait goes before the requests.
func TestWriterSlotBackgroundNotStarved(t *testing.T) {
	s := &writerSlot{}
	ctx := context.Background()
	s.take(ctx, false, time.Second)
	got := make(chan string, 2)
	go func() {
		if ok, _ := s.take(ctx, true, 10*time.Second); ok {
			got <- "background"
			s.release()
		}
	}()
	waitQueued(t, s, 1)
	time.Sleep(backgroundMaxWait + 20*time.Millisecond)
	go func() {
		if ok, _ := s.take(ctx, false, 10*time.Second); ok {
			got <- "request"
			s.release()
		}
	}()
	waitQueued(t, s, 2)
	s.release()
	if first := <-got; first != "background" {
		t.Fatalf("%s went first; the background waiter had waited past %v", first, backgroundMaxWait)
	}
	<-got
}

// TestWriterSlotCancelAndTimeout: a waiter whose context ends, or whose
// wait passes, leaves the queue holding nothing; the slot stays exclusive
// and ends free under many waiters that give up at random.
func TestWriterSlotCancelAndTimeout(t *testing.T) {
	s := &writerSlot{}
	s.take(context.Background(), false, time.Second)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() {
		ok, err := s.take(ctx, false, 10*time.Second)
		if ok {
			t.Error("a cancelled waiter got the slot")
		}
		done <- err
	}()
	waitQueued(t, s, 1)
	cancel()
	if err := <-done; err != context.Canceled {
		t.Fatalf("cancelled waiter: %v, want context.Canceled", err)
	}
	if ok, err := s.take(context.Background(), true, 5*time.Millisecond); ok || err != nil {
		t.Fatalf("timed-out waiter: ok %v err %v, want false, nil", ok, err)
	}
	waitQueued(t, s, 0)
	s.release()

	var inside, overlaps, got atomic.Int64
	var wg sync.WaitGroup
	for i := range 200 {
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(context.Background(), time.Duration(i%7)*100*time.Microsecond)
			defer cancel()
			ok, _ := s.take(ctx, i%3 == 0, time.Second)
			if !ok {
				return
			}
			if inside.Add(1) != 1 {
				overlaps.Add(1)
			}
			got.Add(1)
			time.Sleep(50 * time.Microsecond)
			inside.Add(-1)
			s.release()
		})
	}
	wg.Wait()
	if overlaps.Load() != 0 {
		t.Fatalf("%d times two holders at once", overlaps.Load())
	}
	if got.Load() == 0 {
		t.Fatal("no waiter got the slot")
	}
	if ok, _ := s.take(context.Background(), false, time.Millisecond); !ok {
		t.Fatal("the slot is not free at the end")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.fore)+len(s.back) != 0 {
		t.Fatalf("%d waiters left in the queue", len(s.fore)+len(s.back))
	}
}
