package process

import (
	"context"
	"errors"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

func TestSemaphoreLimitsConcurrency(t *testing.T) {
	s, err := NewSemaphore(2)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	other := sharedRoundTrip(t, s)
	defer other.Close()
	var inside, peak atomic.Int32
	var wg sync.WaitGroup
	for g := range 8 {
		sem := []*Semaphore{s, other}[g%2]
		wg.Go(func() {
			for range 200 {
				if err := sem.Acquire(context.Background()); err != nil {
					t.Error(err)
					return
				}
				n := inside.Add(1)
				for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
				}
				inside.Add(-1)
				sem.Release(1)
			}
		})
	}
	wg.Wait()
	if peak.Load() > 2 || s.Value() != 2 {
		t.Fatalf("peak %d, value %d", peak.Load(), s.Value())
	}
	s.Release(3) // unbounded: raises the value
	if other.Value() != 5 {
		t.Fatalf("value %d", other.Value())
	}
}

func TestSemaphoreTimeoutAndTry(t *testing.T) {
	s, err := NewSemaphore(0)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Millisecond)
	defer cancel()
	if err := s.Acquire(ctx); !errors.Is(err, context.DeadlineExceeded) || s.TryAcquire() {
		t.Fatalf("Acquire of an empty semaphore: %v", err)
	}
	defer func() {
		if recover() == nil {
			t.Fatal("Release(0) must panic")
		}
	}()
	s.Release(0)
}

func TestBoundedSemaphore(t *testing.T) {
	b, err := NewBoundedSemaphore(2)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	other := sharedRoundTrip(t, b)
	defer other.Close()
	if err := b.Release(1); !errors.Is(err, ErrTooManyReleases) {
		t.Fatalf("Release above the bound: %v", err)
	}
	if !other.TryAcquire() || b.Acquire(context.Background()) != nil || b.TryAcquire() {
		t.Fatal("acquire both permits")
	}
	if err := other.Release(2); err != nil || b.Value() != 2 {
		t.Fatalf("Release(2): %v, value %d", err, b.Value())
	}
	zero, err := NewBoundedSemaphore(0)
	if err != nil {
		t.Fatal(err)
	}
	defer zero.Close()
	if err := zero.Release(1); !errors.Is(err, ErrTooManyReleases) {
		t.Fatalf("BoundedSemaphore(0).Release: %v", err)
	}
	// A bounded semaphore is not received as an unbounded one.
	data, files, err := encodeMessage(b)
	if err != nil {
		t.Fatal(err)
	}
	fd, err := syscall.Dup(int(files[0].Fd()))
	if err != nil {
		t.Fatal(err)
	}
	var te *SharedTypeError
	if err := decodeMessage(data, []*os.File{os.NewFile(uintptr(fd), "dup")}, new(*Semaphore)); !errors.As(err, &te) {
		t.Fatalf("BoundedSemaphore received as a Semaphore: %v", err)
	}
}
