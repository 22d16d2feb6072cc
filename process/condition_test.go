package process

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"
)

// TestConditionProducerConsumer hands items through a shared Value under
// a Condition, waiters on both mappings: none is lost or seen twice.
func TestConditionProducerConsumer(t *testing.T) {
	for _, useLock := range []bool{false, true} {
		var lock SharedLocker
		if useLock {
			l, err := NewLock()
			if err != nil {
				t.Fatal(err)
			}
			defer l.Close()
			lock = l
		}
		c, err := NewCondition(lock)
		if err != nil {
			t.Fatal(err)
		}
		other := sharedRoundTrip(t, c)
		items, err := NewRawValue[int64](0)
		if err != nil {
			t.Fatal(err)
		}
		const perProducer, producers = 300, 3
		var consumed int64
		var wg sync.WaitGroup
		ctx := context.Background()
		for p := range producers {
			cond := []*Condition{c, other}[p%2]
			wg.Go(func() {
				for range perProducer {
					cond.Lock()
					items.Add(1)
					if err := cond.Notify(1); err != nil {
						t.Error(err)
					}
					cond.Unlock()
				}
			})
			wg.Go(func() {
				cond := []*Condition{other, c}[p%2]
				for range perProducer {
					cond.Lock()
					if ok, err := cond.WaitFor(ctx, func() bool { return items.Load() > 0 }); !ok || err != nil {
						t.Error(ok, err)
					}
					items.Add(-1)
					consumed++
					cond.Unlock()
				}
			})
		}
		wg.Wait()
		if consumed != producers*perProducer || items.Load() != 0 {
			t.Fatalf("consumed %d, left %d", consumed, items.Load())
		}
		items.Close()
		other.Close()
		c.Close()
	}
}

func TestConditionNotifyCounts(t *testing.T) {
	c, err := NewCondition(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx := context.Background()
	if err := c.Notify(1); !errors.Is(err, ErrNotHeld) {
		t.Fatalf("Notify without the lock: %v", err)
	}
	if err := c.Wait(ctx); !errors.Is(err, ErrNotHeld) {
		t.Fatalf("Wait without the lock: %v", err)
	}
	const waiters = 4
	woken := make(chan error, waiters)
	for range waiters {
		go func() {
			c.Lock()
			c.Lock() // an RLock two levels deep is released and restored
			woken <- c.Wait(ctx)
			c.Unlock()
			c.Unlock()
		}()
	}
	waitFor := func(n int) {
		for {
			c.Lock()
			w := c.c.Waiters()
			c.Unlock()
			if w == n {
				return
			}
			time.Sleep(100 * time.Microsecond)
		}
	}
	waitFor(waiters)
	c.Lock()
	c.Notify(1)
	c.Unlock()
	if err := <-woken; err != nil {
		t.Fatal(err)
	}
	select {
	case <-woken:
		t.Fatal("Notify(1) woke two")
	case <-time.After(5 * time.Millisecond):
	}
	c.Lock()
	c.NotifyAll()
	c.Unlock()
	for range waiters - 1 {
		if err := <-woken; err != nil {
			t.Fatal(err)
		}
	}
	// A timed-out wait returns with the lock held again.
	c.Lock()
	short, cancel := context.WithTimeout(ctx, time.Millisecond)
	defer cancel()
	if err := c.Wait(short); !errors.Is(err, context.DeadlineExceeded) || !c.lock.heldByCaller() {
		t.Fatalf("timed-out Wait: %v", err)
	}
	if ok, err := c.WaitFor(short, func() bool { return false }); ok || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("WaitFor: %v %v", ok, err)
	}
	c.Unlock()
}
