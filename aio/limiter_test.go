package aio

import (
	"context"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"
)

// At most n calls of a fan-out hold the limiter at once.
func TestLimiterBoundsFanOut(t *testing.T) {
	lim := NewLimiter(3)
	var in, peak atomic.Int32
	fns := make([]func(context.Context) (int, error), 50)
	for i := range fns {
		fns[i] = func(ctx context.Context) (int, error) {
			if err := lim.Acquire(ctx); err != nil {
				return 0, err
			}
			defer lim.Release()
			n := in.Add(1)
			for {
				p := peak.Load()
				if n <= p || peak.CompareAndSwap(p, n) {
					break
				}
			}
			time.Sleep(time.Microsecond)
			in.Add(-1)
			return i, nil
		}
	}
	if _, err := Gather(bg, fns...); err != nil {
		t.Fatal(err)
	}
	if p := peak.Load(); p > 3 || p < 1 {
		t.Fatalf("%d calls held a 3-slot limiter at once", p)
	}
}

func TestLimiterAcquireTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		lim := NewLimiter(1)
		if !lim.TryAcquire() {
			t.Fatal("TryAcquire on a free limiter failed")
		}
		if lim.TryAcquire() {
			t.Fatal("TryAcquire on a full limiter succeeded")
		}
		ctx, cancel := context.WithTimeout(bg, time.Second)
		defer cancel()
		start := time.Now()
		if err := lim.Acquire(ctx); err != context.DeadlineExceeded || time.Since(start) != time.Second {
			t.Fatalf("Acquire on a full limiter = %v after %v", err, time.Since(start))
		}
		lim.Release()
		if err := lim.Acquire(ctx); err != context.DeadlineExceeded {
			t.Fatalf("Acquire with an ended ctx on a free limiter = %v, want the ctx error", err)
		}
	})
}

// Waiters get the slot in the order they arrived, as asyncio's do.
func TestLimiterFIFO(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		lim := NewLimiter(1)
		lim.Acquire(bg)
		var mu sync.Mutex
		var order []int
		var wg sync.WaitGroup
		for i := range 5 {
			wg.Go(func() {
				lim.Acquire(bg)
				mu.Lock()
				order = append(order, i)
				mu.Unlock()
				lim.Release()
			})
			synctest.Wait() // waiter i is queued before waiter i+1 starts
		}
		lim.Release()
		wg.Wait()
		if !slices.Equal(order, []int{0, 1, 2, 3, 4}) {
			t.Fatalf("waiters acquired in order %v", order)
		}
	})
}

func TestLimiterMisuse(t *testing.T) {
	for name, f := range map[string]func(){
		"release without acquire": func() { NewLimiter(1).Release() },
		"no slots":                func() { NewLimiter(0) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s did not panic", name)
				}
			}()
			f()
		}()
	}
}
