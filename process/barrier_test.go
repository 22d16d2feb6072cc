package process

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestBarrierRounds(t *testing.T) {
	const parties, rounds = 3, 50
	var actions atomic.Int32
	b, err := NewBarrier(parties, func() error { actions.Add(1); return nil })
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	other := sharedRoundTrip(t, b)
	defer other.Close()
	var phase [parties]int
	var wg sync.WaitGroup
	for p := range parties {
		bar := []*Barrier{b, other, other}[p]
		wg.Go(func() {
			seen := make(map[int]bool)
			for r := range rounds {
				phase[p] = r
				i, err := bar.Wait(context.Background())
				if err != nil {
					t.Error(err)
					return
				}
				seen[i] = true
				for q := range parties {
					if phase[q] < r {
						t.Errorf("party %d passed round %d before party %d reached it", p, r, q)
					}
				}
				if _, err := bar.Wait(context.Background()); err != nil {
					t.Error(err)
					return
				}
			}
			if len(seen) == 0 {
				t.Error("no index")
			}
		})
	}
	wg.Wait()
	// Copies in "other processes" have no action; ours ran only when we
	// were last.
	if n := actions.Load(); n == 0 || n > 2*rounds {
		t.Fatalf("action ran %d times", n)
	}
	if b.Broken() || b.NWaiting() != 0 || b.Parties() != parties {
		t.Fatal("state after the rounds")
	}
}

func TestBarrierBreaks(t *testing.T) {
	b, err := NewBarrier(2, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Millisecond)
	defer cancel()
	if i, err := b.Wait(ctx); i != -1 || !errors.Is(err, ErrBrokenBarrier) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("timed-out Wait: %d %v", i, err)
	}
	if _, err := b.Wait(context.Background()); !errors.Is(err, ErrBrokenBarrier) || !b.Broken() {
		t.Fatalf("Wait on a broken barrier: %v", err)
	}
	b.Reset()
	res := make(chan error)
	go func() { _, err := b.Wait(context.Background()); res <- err }()
	for b.NWaiting() == 0 {
		time.Sleep(100 * time.Microsecond)
	}
	b.Abort()
	if err := <-res; !errors.Is(err, ErrBrokenBarrier) {
		t.Fatalf("waiter of an aborted barrier: %v", err)
	}
	b.Reset()
	go func() { _, err := b.Wait(context.Background()); res <- err }()
	for b.NWaiting() == 0 {
		time.Sleep(100 * time.Microsecond)
	}
	b.Reset() // resets with a waiter: it is told the round broke
	if err := <-res; !errors.Is(err, ErrBrokenBarrier) || b.Broken() {
		t.Fatalf("waiter of a reset barrier: %v", err)
	}
	boom := errors.New("boom")
	a, err := NewBarrier(1, func() error { return boom })
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if _, err := a.Wait(context.Background()); !errors.Is(err, boom) || !a.Broken() {
		t.Fatalf("failing action: %v", err)
	}
}
