package thread

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

// The tests mirror CPython's lock_tests.ConditionTests.

func TestConditionAcquire(t *testing.T) {
	var c Condition // over its own RLock: reentrant
	c.Lock()
	c.Lock()
	c.Unlock()
	c.Unlock()

	var l Lock
	c2 := NewCondition(&l)
	c2.Lock()
	if l.TryAcquire() {
		t.Fatal("the Condition's lock is free while the Condition is held")
	}
	c2.Unlock()
	if !l.TryAcquire() {
		t.Fatal("lock held after the Condition released it")
	}
	if c2.TryAcquire() {
		t.Fatal("Condition acquired a lock held elsewhere")
	}
	l.Unlock()
}

func TestConditionUnacquired(t *testing.T) {
	var c Condition
	if err := c.Wait(bg); !errors.Is(err, ErrNotHeld) {
		t.Fatalf("Wait = %v, want ErrNotHeld", err)
	}
	if err := c.Notify(1); !errors.Is(err, ErrNotHeld) {
		t.Fatalf("Notify = %v, want ErrNotHeld", err)
	}
	if err := c.NotifyAll(); !errors.Is(err, ErrNotHeld) {
		t.Fatalf("NotifyAll = %v, want ErrNotHeld", err)
	}
	if ok, err := c.WaitFor(bg, func() bool { return true }); ok || !errors.Is(err, ErrNotHeld) {
		t.Fatalf("WaitFor = %v, %v; want false, ErrNotHeld", ok, err)
	}
	if err := c.Release(); !errors.Is(err, ErrNotHeld) {
		t.Fatalf("Release = %v, want ErrNotHeld", err)
	}
}

// checkNotify is lock_tests' _check_notify: notify(3), notify(5) and
// notify_all wake exactly the expected waiters, with no spurious wake-ups.
func checkNotify(t *testing.T, c *Condition) {
	const n = 5
	var mu sync.Mutex
	var results1, results2 []int
	phase := 0
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			c.Lock()
			err := c.Wait(bg)
			p := phase
			c.Unlock()
			mu.Lock()
			results1 = append(results1, p)
			mu.Unlock()
			if err != nil {
				t.Error(err)
			}
			c.Lock()
			err = c.Wait(bg)
			p = phase
			c.Unlock()
			mu.Lock()
			results2 = append(results2, p)
			mu.Unlock()
			if err != nil {
				t.Error(err)
			}
		})
	}
	snapshot := func() ([]int, []int) {
		synctest.Wait()
		mu.Lock()
		defer mu.Unlock()
		return slices.Clone(results1), slices.Clone(results2)
	}
	r1, _ := snapshot()
	if len(r1) != 0 {
		t.Fatalf("woken before any notify: %v", r1)
	}
	c.Lock()
	c.Notify(3)
	phase = 1
	c.Unlock()
	r1, r2 := snapshot()
	if !slices.Equal(r1, []int{1, 1, 1}) || len(r2) != 0 {
		t.Fatalf("after Notify(3): %v, %v", r1, r2)
	}
	c.Lock()
	c.Notify(5) // two in their first wait, three in their second
	phase = 2
	c.Unlock()
	r1, r2 = snapshot()
	if !slices.Equal(r1, []int{1, 1, 1, 2, 2}) || !slices.Equal(r2, []int{2, 2, 2}) {
		t.Fatalf("after Notify(5): %v, %v", r1, r2)
	}
	c.Lock()
	c.NotifyAll()
	phase = 3
	c.Unlock()
	wg.Wait()
	_, r2 = snapshot()
	if !slices.Equal(r2, []int{2, 2, 2, 3, 3}) {
		t.Fatalf("after NotifyAll: %v", r2)
	}
}

func TestConditionNotify(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var c Condition
		checkNotify(t, &c)
		checkNotify(t, &c) // internal state is still right
	})
	synctest.Test(t, func(t *testing.T) { checkNotify(t, NewCondition(new(Lock))) })
	synctest.Test(t, func(t *testing.T) { checkNotify(t, NewCondition(&chanLock{ch: make(chan struct{}, 1)})) })
}

func TestConditionTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var c Condition
		var wg sync.WaitGroup
		for range 5 {
			wg.Go(func() {
				c.Lock()
				defer c.Unlock()
				ctx, cancel := context.WithTimeout(bg, 500*time.Millisecond)
				defer cancel()
				start := time.Now()
				if err := c.Wait(ctx); !errors.Is(err, context.DeadlineExceeded) {
					t.Errorf("Wait = %v", err)
				}
				if d := time.Since(start); d != 500*time.Millisecond {
					t.Errorf("timed out after %v", d)
				}
				if !c.owned() {
					t.Error("lock not re-taken after a timeout")
				}
			})
		}
		wg.Wait()
	})
}

func TestConditionWaitFor(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var c Condition
		state := 0
		res := goFn(func() error {
			c.Lock()
			defer c.Unlock()
			ok, err := c.WaitFor(bg, func() bool { return state == 4 })
			if !ok || err != nil || state != 4 {
				return errors.New("WaitFor returned early")
			}
			return nil
		})
		for range 4 {
			time.Sleep(10 * time.Millisecond)
			c.Lock()
			state++
			c.Notify(1)
			c.Unlock()
		}
		if err := <-res; err != nil {
			t.Fatal(err)
		}
	})
}

func TestConditionWaitForTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var c Condition
		state := 0
		res := goFn(func() error {
			c.Lock()
			defer c.Unlock()
			ctx, cancel := context.WithTimeout(bg, 100*time.Millisecond)
			defer cancel()
			start := time.Now()
			ok, err := c.WaitFor(ctx, func() bool { return state == 4 })
			if ok || !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("WaitFor = %v, %v", ok, err)
			}
			if d := time.Since(start); d != 100*time.Millisecond {
				t.Errorf("timed out after %v", d)
			}
			return nil
		})
		for range 3 { // state never reaches 4
			time.Sleep(10 * time.Millisecond)
			c.Lock()
			state++
			c.Notify(1)
			c.Unlock()
		}
		<-res
	})
}

func TestConditionWaitForLastChance(t *testing.T) {
	// The predicate is asked once more after the timeout: Python's
	// wait_for returns its last value.
	synctest.Test(t, func(t *testing.T) {
		var c Condition
		calls := 0
		c.Lock()
		defer c.Unlock()
		ok, err := c.WaitFor(cancelled(), func() bool { calls++; return calls == 2 })
		if !ok || err != nil || calls != 2 {
			t.Fatalf("WaitFor = %v, %v after %d calls", ok, err, calls)
		}
	})
}

func TestConditionRLockDepth(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var c Condition
		c.Lock()
		c.Lock() // depth 2: Wait must free it completely
		taken := goFn(func() error {
			c.Lock()
			defer c.Unlock()
			return c.Notify(1)
		})
		if err := c.Wait(bg); err != nil {
			t.Fatal(err)
		}
		if err := <-taken; err != nil {
			t.Fatal(err)
		}
		c.Unlock()
		if !c.owned() {
			t.Fatal("depth not restored after Wait")
		}
		c.Unlock()
		if c.own.Locked() {
			t.Fatal("still locked")
		}
	})
}

func TestConditionNotifyNegativePanics(t *testing.T) {
	var c Condition
	c.Lock()
	defer c.Unlock()
	defer func() {
		if recover() == nil {
			t.Fatal("Notify(-1) did not panic")
		}
	}()
	c.Notify(-1)
}

func TestConditionNotifyNotLost(t *testing.T) {
	// A waiter whose deadline strikes as it is notified either takes the
	// notification (its Wait returns nil) or leaves it to the next waiter:
	// exactly one of the two wakes. CPython once lost it (gh-92530).
	for range 100 {
		synctest.Test(t, func(t *testing.T) {
			var c Condition
			wait := func(ctx context.Context) <-chan error {
				ch := goFn(func() error {
					c.Lock()
					defer c.Unlock()
					return c.Wait(ctx)
				})
				synctest.Wait() // queued in this order
				return ch
			}
			ctx, cancel := context.WithTimeout(bg, time.Second)
			defer cancel()
			timed, patient := wait(ctx), wait(bg)
			time.Sleep(time.Second) // wake with the deadline
			c.Lock()
			c.Notify(1)
			c.Unlock()
			synctest.Wait()
			timedErr := <-timed
			patientWoken := ready(patient)
			if (timedErr == nil) == patientWoken {
				t.Fatalf("timed waiter returned %v; patient woken: %v", timedErr, patientWoken)
			}
			if !patientWoken {
				c.Lock()
				c.Notify(1)
				c.Unlock()
				<-patient
			}
		})
	}
}

// chanLock is a Locker from outside the package: a Condition falls back to
// Python's ownership test for it.
type chanLock struct{ ch chan struct{} }

func (l *chanLock) Acquire(ctx context.Context) error {
	select {
	case l.ch <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (l *chanLock) TryAcquire() bool {
	select {
	case l.ch <- struct{}{}:
		return true
	default:
		return false
	}
}

func (l *chanLock) Release() error {
	select {
	case <-l.ch:
		return nil
	default:
		return ErrNotHeld
	}
}

func TestConditionOverCondition(t *testing.T) {
	var inner Condition
	outer := NewCondition(&inner)
	outer.Lock()
	outer.Lock() // the inner RLock's reentrancy shows through
	if !inner.owned() {
		t.Fatal("inner lock not held")
	}
	outer.Unlock()
	outer.Unlock()
	if err := outer.Notify(1); !errors.Is(err, ErrNotHeld) {
		t.Fatalf("Notify = %v", err)
	}
}
