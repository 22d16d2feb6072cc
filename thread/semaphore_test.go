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

// The tests mirror CPython's lock_tests.BaseSemaphoreTests,
// SemaphoreTests and BoundedSemaphoreTests.

func TestSemaphoreConstructorPanics(t *testing.T) {
	for name, fn := range map[string]func(){
		"Semaphore":        func() { NewSemaphore(-1) },
		"BoundedSemaphore": func() { NewBoundedSemaphore(-1) },
		"Release(0)":       func() { NewSemaphore(1).Release(0) },
		"bounded Release0": func() { NewBoundedSemaphore(1).Release(0) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s did not panic", name)
				}
			}()
			fn()
		}()
	}
}

func TestSemaphoreAcquire(t *testing.T) {
	s := NewSemaphore(2)
	s.Acquire(bg)
	s.Acquire(bg)
	if s.TryAcquire() {
		t.Fatal("third permit from a semaphore of 2")
	}
	s.Release(1)
	if !s.TryAcquire() {
		t.Fatal("released permit not available")
	}
	s.Release(2)
	if s.Value() != 2 {
		t.Fatalf("Value = %d", s.Value())
	}
}

func TestSemaphoreZeroValue(t *testing.T) {
	var s Semaphore
	if s.TryAcquire() {
		t.Fatal("zero Semaphore has a permit")
	}
	s.Release(1)
	if !s.TryAcquire() {
		t.Fatal("no permit after Release")
	}
}

func TestSemaphoreAcquireContended(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := NewSemaphore(7)
		s.Acquire(bg)
		var mu sync.Mutex
		var results []int
		phase := 0
		var wg sync.WaitGroup
		for range 10 {
			wg.Go(func() {
				for range 2 {
					s.Acquire(bg)
					mu.Lock()
					results = append(results, phase)
					mu.Unlock()
				}
			})
		}
		check := func(want []int) {
			t.Helper()
			synctest.Wait()
			mu.Lock()
			defer mu.Unlock()
			got := slices.Sorted(slices.Values(results))
			if !slices.Equal(got, want) {
				t.Fatalf("results %v, want %v", got, want)
			}
		}
		check(slices.Repeat([]int{0}, 6))
		mu.Lock()
		phase = 1
		mu.Unlock()
		s.Release(7)
		check(append(slices.Repeat([]int{0}, 6), slices.Repeat([]int{1}, 7)...))
		mu.Lock()
		phase = 2
		mu.Unlock()
		for range 6 {
			s.Release(1)
		}
		check(slices.Concat(slices.Repeat([]int{0}, 6), slices.Repeat([]int{1}, 7), slices.Repeat([]int{2}, 6)))
		if s.TryAcquire() {
			t.Fatal("semaphore not exhausted")
		}
		s.Release(1) // the last waiter
		wg.Wait()
	})
}

func TestSemaphoreTryAcquireContended(t *testing.T) {
	s := NewSemaphore(4)
	s.Acquire(bg)
	var mu sync.Mutex
	var results []bool
	var wg sync.WaitGroup
	for range 5 {
		wg.Go(func() {
			a, b := s.TryAcquire(), s.TryAcquire()
			mu.Lock()
			results = append(results, a, b)
			mu.Unlock()
		})
	}
	wg.Wait()
	if got := len(slices.DeleteFunc(results, func(ok bool) bool { return !ok })); got != 3 {
		t.Fatalf("%d TryAcquires succeeded, want 3", got)
	}
}

func TestSemaphoreAcquireTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := NewSemaphore(2)
		short := func() error {
			ctx, cancel := context.WithTimeout(bg, 5*time.Millisecond)
			defer cancel()
			return s.Acquire(ctx)
		}
		if short() != nil || short() != nil {
			t.Fatal("Acquire with a timeout failed with permits free")
		}
		if err := short(); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Acquire = %v, want DeadlineExceeded", err)
		}
		s.Release(1)
		if err := short(); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(bg, 500*time.Millisecond)
		defer cancel()
		start := time.Now()
		if err := s.Acquire(ctx); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatal(err)
		}
		if d := time.Since(start); d != 500*time.Millisecond {
			t.Fatalf("timed out after %v", d)
		}
		if s.Value() != 0 {
			t.Fatalf("a timed-out Acquire changed the value to %d", s.Value())
		}
	})
}

func TestSemaphoreMultiRelease(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := NewSemaphore(0)
		var wg sync.WaitGroup
		for range 5 {
			wg.Go(func() { s.Acquire(bg) })
		}
		synctest.Wait()
		s.Release(3)
		synctest.Wait()
		s.Release(4) // two waiters left: two permits remain free
		wg.Wait()
		if s.Value() != 2 {
			t.Fatalf("Value = %d, want 2", s.Value())
		}
	})
}

func TestSemaphoreUnboundedRelease(t *testing.T) {
	s := NewSemaphore(1)
	s.Release(1)
	s.Acquire(bg)
	s.Acquire(bg)
	s.Release(1)
}

func TestBoundedSemaphoreRelease(t *testing.T) {
	b := NewBoundedSemaphore(1)
	if err := b.Release(1); !errors.Is(err, ErrTooManyReleases) {
		t.Fatalf("Release of a full bounded semaphore = %v", err)
	}
	b.Acquire(bg)
	if err := b.Release(1); err != nil {
		t.Fatal(err)
	}
	if err := b.Release(1); !errors.Is(err, ErrTooManyReleases) {
		t.Fatalf("over-release = %v", err)
	}

	b = NewBoundedSemaphore(3)
	b.Acquire(bg)
	b.Acquire(bg)
	if err := b.Release(3); !errors.Is(err, ErrTooManyReleases) {
		t.Fatalf("Release(3) with 2 held = %v", err)
	}
	if b.Value() != 1 {
		t.Fatalf("a refused Release changed the value to %d", b.Value())
	}
	if err := b.Release(2); err != nil || b.Value() != 3 {
		t.Fatalf("Release(2) = %v, value %d", err, b.Value())
	}
}

func TestBoundedSemaphoreReleaseToWaiters(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := NewBoundedSemaphore(2)
		b.Acquire(bg)
		b.Acquire(bg)
		var wg sync.WaitGroup
		for range 2 {
			wg.Go(func() { b.Acquire(bg) })
		}
		synctest.Wait()
		if err := b.Release(2); err != nil { // to the waiters: still 2 held
			t.Fatal(err)
		}
		wg.Wait()
		if b.TryAcquire() {
			t.Fatal("permit free while both are held")
		}
		if err := b.Release(2); err != nil {
			t.Fatal(err)
		}
		if err := b.Release(1); !errors.Is(err, ErrTooManyReleases) {
			t.Fatal(err)
		}
	})
}
