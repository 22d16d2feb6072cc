package process

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"
)

func TestRLockReentrancy(t *testing.T) {
	l, err := NewRLock()
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	other := sharedRoundTrip(t, l)
	defer other.Close()
	ctx := context.Background()
	if err := l.Acquire(ctx); err != nil {
		t.Fatal(err)
	}
	if !l.TryAcquire() || l.Acquire(ctx) != nil {
		t.Fatal("the holder must re-acquire at once")
	}
	// Another goroutine cannot take or release it.
	done := make(chan error)
	go func() {
		if other.TryAcquire() {
			done <- errors.New("TryAcquire by another goroutine succeeded")
			return
		}
		done <- other.Release()
	}()
	if err := <-done; !errors.Is(err, ErrNotHeld) {
		t.Fatalf("Release by a non-holder: %v", err)
	}
	for i := range 3 {
		if err := l.Release(); err != nil {
			t.Fatalf("release %d: %v", i, err)
		}
	}
	if l.Locked() || !errors.Is(l.Release(), ErrNotHeld) {
		t.Fatal("after three releases the lock must be free")
	}
}

func TestRLockStress(t *testing.T) {
	l, err := NewRLock()
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	other := sharedRoundTrip(t, l)
	defer other.Close()
	var inside, total int
	var wg sync.WaitGroup
	for g := range 6 {
		lk := []*RLock{l, other}[g%2]
		wg.Go(func() {
			for range 300 {
				ctx, cancel := context.WithTimeout(context.Background(), time.Millisecond)
				err := lk.Acquire(ctx)
				cancel()
				if err != nil {
					continue
				}
				lk.Lock() // a second level
				inside++
				if inside != 1 {
					t.Error("two holders at once")
				}
				total++
				inside--
				lk.Unlock()
				lk.Release()
			}
		})
	}
	wg.Wait()
	if total == 0 || l.Locked() {
		t.Fatalf("total %d locked %v", total, l.Locked())
	}
}
