package process

import (
	"context"
	"errors"
	"os"
	"sync"
	"testing"
	"time"
)

func TestLockSemantics(t *testing.T) {
	l, err := NewLock()
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	other := sharedRoundTrip(t, l)
	defer other.Close()
	ctx := context.Background()
	if err := l.Acquire(ctx); err != nil || !other.Locked() || other.TryAcquire() {
		t.Fatalf("Acquire: %v, locked %v", err, other.Locked())
	}
	short, cancel := context.WithTimeout(ctx, time.Millisecond)
	defer cancel()
	if err := other.Acquire(short); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Acquire of a held lock: %v", err)
	}
	// Any holder of a copy may release it, as in Python.
	if err := other.Release(); err != nil || l.Locked() {
		t.Fatalf("Release through the copy: %v", err)
	}
	if err := l.Release(); !errors.Is(err, ErrNotHeld) {
		t.Fatalf("Release of an unheld lock: %v", err)
	}
	if !l.TryAcquire() {
		t.Fatal("TryAcquire of a free lock")
	}
	l.Release()
}

func TestLockStress(t *testing.T) {
	l, err := NewLock()
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	other := sharedRoundTrip(t, l)
	defer other.Close()
	var inside, total int
	var wg sync.WaitGroup
	for g := range 8 {
		lk := []*Lock{l, other}[g%2]
		wg.Go(func() {
			for i := range 500 {
				if i%5 == 0 {
					ctx, cancel := context.WithTimeout(context.Background(), time.Microsecond)
					err := lk.Acquire(ctx)
					cancel()
					if err != nil {
						continue
					}
				} else if err := lk.Acquire(context.Background()); err != nil {
					t.Error(err)
					return
				}
				inside++
				if inside != 1 {
					t.Error("two holders at once")
				}
				total++
				inside--
				lk.Release()
			}
		})
	}
	wg.Wait()
	if total == 0 || l.Locked() {
		t.Fatalf("total %d, locked %v", total, l.Locked())
	}
}

func TestLockUseAfterClose(t *testing.T) {
	var zero Lock
	if err := zero.Acquire(context.Background()); !errors.Is(err, os.ErrClosed) {
		t.Fatalf("zero Lock: %v", err)
	}
	l, err := NewLock()
	if err != nil {
		t.Fatal(err)
	}
	l.Close()
	if err := l.Release(); !errors.Is(err, os.ErrClosed) {
		t.Fatalf("Release after Close: %v", err)
	}
	if err := l.Close(); !errors.Is(err, os.ErrClosed) {
		t.Fatalf("second Close: %v", err)
	}
}
