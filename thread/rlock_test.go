package thread

import (
	"context"
	"errors"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

// The tests mirror CPython's lock_tests.RLockTests.

func TestRLockReacquire(t *testing.T) {
	var r RLock
	r.Lock()
	r.Lock()
	r.Unlock()
	r.Lock()
	r.Unlock()
	if !r.Locked() {
		t.Fatal("released at depth 1")
	}
	r.Unlock()
	if r.Locked() {
		t.Fatal("still locked after the last Release")
	}
}

func TestRLockReleaseUnacquired(t *testing.T) {
	var r RLock
	if err := r.Release(); !errors.Is(err, ErrNotHeld) {
		t.Fatalf("Release = %v, want ErrNotHeld", err)
	}
	r.Lock()
	r.Lock()
	r.Unlock()
	r.Lock()
	r.Unlock()
	r.Unlock()
	if err := r.Release(); !errors.Is(err, ErrNotHeld) {
		t.Fatalf("Release = %v, want ErrNotHeld", err)
	}
	if _, err := r.releaseSave(); !errors.Is(err, ErrNotHeld) {
		t.Fatalf("releaseSave = %v, want ErrNotHeld", err)
	}
}

func TestRLockReleaseByOtherGoroutine(t *testing.T) {
	var r RLock
	held, release := make(chan struct{}), make(chan struct{})
	go func() {
		r.Lock()
		close(held)
		<-release
		r.Unlock()
	}()
	<-held
	if err := r.Release(); !errors.Is(err, ErrNotHeld) {
		t.Fatalf("Release by a non-owner = %v, want ErrNotHeld", err)
	}
	if r.TryAcquire() {
		t.Fatal("TryAcquire took an RLock held by another goroutine")
	}
	close(release)
}

func TestRLockOwned(t *testing.T) {
	var r RLock
	if r.owned() {
		t.Fatal("owned before Acquire")
	}
	r.Lock()
	r.Lock()
	if !r.owned() {
		t.Fatal("not owned by the holder")
	}
	if other := <-goFn(func() error {
		if r.owned() {
			return errors.New("owned by a goroutine that does not hold it")
		}
		return nil
	}); other != nil {
		t.Fatal(other)
	}
	r.Unlock()
	if !r.owned() {
		t.Fatal("not owned at depth 1")
	}
	r.Unlock()
	if r.owned() {
		t.Fatal("owned after the last Release")
	}
}

func TestRLockTryAcquire(t *testing.T) {
	var r RLock
	if !r.TryAcquire() || !r.TryAcquire() {
		t.Fatal("TryAcquire by the holder failed")
	}
	r.Unlock()
	r.Unlock()
	if r.Locked() {
		t.Fatal("locked after balanced releases")
	}
}

func TestRLockTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var r RLock
		held, release := make(chan struct{}), make(chan struct{})
		go func() {
			r.Lock()
			close(held)
			<-release
			r.Unlock()
		}()
		<-held
		ctx, cancel := context.WithTimeout(bg, time.Second)
		defer cancel()
		start := time.Now()
		if err := r.Acquire(ctx); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Acquire = %v, want DeadlineExceeded", err)
		}
		if d := time.Since(start); d != time.Second {
			t.Fatalf("timed out after %v", d)
		}
		close(release)
		r.Lock() // the failed Acquire left no trace
		r.Unlock()
	})
}

func TestRLockHandsOver(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var r RLock
		r.Lock()
		r.Lock()
		got := goFn(func() error {
			r.Lock()
			defer r.Unlock()
			if !r.owned() {
				return errors.New("new holder does not own the lock")
			}
			return nil
		})
		synctest.Wait()
		r.Unlock()
		synctest.Wait()
		if ready(got) {
			t.Fatal("lock handed over while held at depth 1")
		}
		r.Unlock()
		if err := <-got; err != nil {
			t.Fatal(err)
		}
	})
}

func TestRLockReleaseSaveRestore(t *testing.T) {
	var r RLock
	r.Lock()
	r.Lock()
	r.Lock()
	depth, err := r.releaseSave()
	if err != nil || depth != 3 || r.Locked() {
		t.Fatalf("releaseSave = %d, %v; locked %v", depth, err, r.Locked())
	}
	r.acquireRestore(depth)
	for range 3 {
		if err := r.Release(); err != nil {
			t.Fatal(err)
		}
	}
	if r.Locked() {
		t.Fatal("restored depth was wrong")
	}
}

func TestRLockIsSyncLocker(t *testing.T) {
	var _ sync.Locker = new(RLock)
	defer func() {
		if r := recover(); r != ErrNotHeld {
			t.Fatalf("Unlock of a free RLock panicked with %v", r)
		}
	}()
	new(RLock).Unlock()
}
