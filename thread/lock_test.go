package thread

import (
	"context"
	"errors"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

// The tests mirror CPython's Lib/test/lock_tests.py (BaseLockTests,
// LockTests), with synctest standing in for its sleeps.

func TestLockAcquireRelease(t *testing.T) {
	var l Lock
	if l.Locked() {
		t.Fatal("zero Lock is locked")
	}
	if err := l.Acquire(bg); err != nil {
		t.Fatal(err)
	}
	if !l.Locked() {
		t.Fatal("not locked after Acquire")
	}
	if err := l.Release(); err != nil {
		t.Fatal(err)
	}
	if l.Locked() {
		t.Fatal("locked after Release")
	}
}

func TestLockTryAcquire(t *testing.T) {
	var l Lock
	if !l.TryAcquire() {
		t.Fatal("TryAcquire of a free lock failed")
	}
	if l.TryAcquire() {
		t.Fatal("TryAcquire of a held lock succeeded")
	}
	if err := <-goFn(func() error {
		if l.TryAcquire() {
			return errors.New("another goroutine took a held lock")
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	l.Unlock()
}

func TestLockReleaseUnlocked(t *testing.T) {
	var l Lock
	if err := l.Release(); !errors.Is(err, ErrNotHeld) {
		t.Fatalf("Release of unlocked lock = %v, want ErrNotHeld", err)
	}
	l.Lock()
	l.Unlock()
	if err := l.Release(); !errors.Is(err, ErrNotHeld) {
		t.Fatalf("second Release = %v, want ErrNotHeld", err)
	}
	defer func() {
		if r := recover(); r != ErrNotHeld {
			t.Fatalf("Unlock of unlocked lock panicked with %v, want ErrNotHeld", r)
		}
	}()
	l.Unlock()
}

func TestLockAcquireContended(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var l Lock
		l.Lock()
		const n = 5
		var wg sync.WaitGroup
		var mu sync.Mutex
		finished := 0
		for range n {
			wg.Go(func() {
				l.Lock()
				l.Unlock()
				mu.Lock()
				finished++
				mu.Unlock()
			})
		}
		synctest.Wait()
		if finished != 0 {
			t.Fatalf("%d goroutines got past a held lock", finished)
		}
		l.Unlock()
		wg.Wait()
		if finished != n {
			t.Fatalf("finished = %d, want %d", finished, n)
		}
	})
}

func TestLockReacquireBlocks(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var l Lock
		phase := make(chan int, 2)
		go func() {
			l.Lock()
			phase <- 1
			l.Lock() // not reentrant: waits for someone else's Release
			phase <- 2
		}()
		if got := <-phase; got != 1 {
			t.Fatal(got)
		}
		synctest.Wait()
		if ready(phase) {
			t.Fatal("second Acquire by the holder did not block")
		}
		l.Unlock() // from another goroutine: a Lock has no owner
		if got := <-phase; got != 2 {
			t.Fatal(got)
		}
		l.Unlock()
	})
}

func TestLockReleaseFromOtherGoroutine(t *testing.T) {
	var l Lock
	l.Lock()
	if err := <-goFn(l.Release); err != nil {
		t.Fatal(err)
	}
	if !l.TryAcquire() {
		t.Fatal("lock still held")
	}
	l.Unlock()
}

func TestLockTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var l Lock
		l.Lock()
		start := time.Now()
		ctx, cancel := context.WithTimeout(bg, 500*time.Millisecond)
		defer cancel()
		err := <-goFn(func() error { return l.Acquire(ctx) })
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Acquire = %v, want DeadlineExceeded", err)
		}
		if d := time.Since(start); d != 500*time.Millisecond {
			t.Fatalf("timed out after %v, want 500ms", d)
		}
		// gh-11618: the lock is in a proper state after a timeout.
		l.Unlock()
		if l.Locked() || !l.TryAcquire() {
			t.Fatal("lock in a bad state after a timed-out Acquire")
		}
		l.Unlock()
	})
}

func TestLockDoneContextTakesFreeLock(t *testing.T) {
	var l Lock
	if err := l.Acquire(cancelled()); err != nil {
		t.Fatalf("Acquire of a free lock with a done ctx = %v, want nil", err)
	}
	if err := l.Acquire(cancelled()); !errors.Is(err, context.Canceled) {
		t.Fatalf("Acquire of a held lock with a done ctx = %v, want Canceled", err)
	}
	l.Unlock()
}

func TestLockFIFOHandoff(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var l Lock
		l.Lock()
		order := make(chan int, 3)
		ctx2, cancel2 := context.WithCancel(bg)
		for i := range 3 {
			ctx := bg
			if i == 1 {
				ctx = ctx2
			}
			go func() {
				if l.Acquire(ctx) != nil {
					return
				}
				order <- i
				l.Unlock()
			}()
			synctest.Wait() // queue them in order 0, 1, 2
		}
		cancel2() // the middle waiter leaves; the others keep their places
		synctest.Wait()
		if !l.Locked() {
			t.Fatal("a withdrawn waiter unlocked the lock")
		}
		l.Unlock()
		if a, b := <-order, <-order; a != 0 || b != 2 {
			t.Fatalf("order %d, %d; want 0, 2", a, b)
		}
	})
}

func TestLockGrantWinsOverCancel(t *testing.T) {
	// A waiter granted the lock as its context ends owns the lock: the
	// grant is never dropped, so the lock cannot be left held by nobody.
	for range 200 {
		var l Lock
		l.Lock()
		ctx, cancel := context.WithCancel(bg)
		res := goFn(func() error { return l.Acquire(ctx) })
		go cancel()
		l.Unlock()
		if err := <-res; err == nil {
			l.Unlock()
		}
		if l.Locked() {
			t.Fatal("lock left held after a cancelled Acquire")
		}
	}
}

func TestLockIsSyncLocker(t *testing.T) {
	var l Lock
	c := sync.NewCond(&l)
	signalled := false
	go func() {
		l.Lock()
		signalled = true
		c.Signal()
		l.Unlock()
	}()
	l.Lock()
	for !signalled {
		c.Wait()
	}
	l.Unlock()
}

func TestLockDoesNotMakeThreads(t *testing.T) {
	// lock_tests.test_thread_leak: locks used from foreign goroutines do
	// not create Thread objects.
	var l Lock
	n := ActiveCount()
	var wg sync.WaitGroup
	for range 15 {
		wg.Go(func() { l.Lock(); l.Unlock() })
	}
	wg.Wait()
	if got := ActiveCount(); got != n {
		t.Fatalf("ActiveCount %d -> %d", n, got)
	}
}
