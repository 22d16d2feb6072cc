package thread

import (
	"context"
	"sync"
)

// Semaphore is a counter of permits: Acquire takes one, waiting while there
// are none, and Release returns permits. Python: threading.Semaphore.
//
// The zero value is a Semaphore with no permits; NewSemaphore sets the
// initial value (Python's default is 1). Released permits go to waiters in
// FIFO order before anything else can take them, so no waiter starves. A
// Semaphore must not be copied after first use.
type Semaphore struct {
	mu    sync.Mutex // guards value and q
	value int        // free permits; never positive while q is not empty
	q     waitQueue
}

// NewSemaphore returns a Semaphore holding value permits. It panics if value
// is negative (Python raises ValueError).
func NewSemaphore(value int) *Semaphore {
	if value < 0 {
		panic("thread: NewSemaphore with negative value")
	}
	return &Semaphore{value: value}
}

// Acquire takes a permit, blocking until one is free or ctx is done (then it
// returns ctx.Err()). As with Lock, a done context only limits waiting.
// Python: acquire(), acquire(timeout=t).
func (s *Semaphore) Acquire(ctx context.Context) error {
	s.mu.Lock()
	if s.value > 0 {
		s.value--
		s.mu.Unlock()
		return nil
	}
	w := s.q.push()
	s.mu.Unlock()
	return block(ctx, &s.mu, &s.q, w, nil)
}

// TryAcquire takes a permit if one is free and reports whether it did.
// Python: acquire(blocking=False).
func (s *Semaphore) TryAcquire() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.value > 0 {
		s.value--
		return true
	}
	return false
}

// Release returns n permits, waking up to n waiters. An unbounded
// Semaphore may be released more often than it was acquired; that raises
// its value. It panics if n < 1 (Python raises ValueError). Python:
// release(n=1).
func (s *Semaphore) Release(n int) {
	if n < 1 {
		panic("thread: Semaphore.Release with n < 1")
	}
	s.mu.Lock()
	s.releaseLocked(n)
	s.mu.Unlock()
}

func (s *Semaphore) releaseLocked(n int) {
	for ; n > 0; n-- {
		w := s.q.pop()
		if w == nil {
			break
		}
		w.grant()
	}
	s.value += n
}

// Value returns the number of free permits, a snapshot that may be stale by
// the time it is used. Python: the private _value.
func (s *Semaphore) Value() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.value
}

// BoundedSemaphore is a Semaphore that refuses to be released above its
// initial value, which catches a release without a matching acquire.
// Python: threading.BoundedSemaphore.
//
// Its zero value has no permits and a bound of zero, so every Release
// fails: make one with NewBoundedSemaphore. A BoundedSemaphore must not be
// copied after first use.
type BoundedSemaphore struct {
	sem   Semaphore
	bound int
}

// NewBoundedSemaphore returns a BoundedSemaphore holding value permits,
// which is also its bound. It panics if value is negative.
func NewBoundedSemaphore(value int) *BoundedSemaphore {
	if value < 0 {
		panic("thread: NewBoundedSemaphore with negative value")
	}
	return &BoundedSemaphore{sem: Semaphore{value: value}, bound: value}
}

// Acquire takes a permit, as Semaphore.Acquire does.
func (b *BoundedSemaphore) Acquire(ctx context.Context) error { return b.sem.Acquire(ctx) }

// TryAcquire takes a permit if one is free, as Semaphore.TryAcquire does.
func (b *BoundedSemaphore) TryAcquire() bool { return b.sem.TryAcquire() }

// Release returns n permits, waking up to n waiters, unless that would
// raise the value above the initial value: then it releases nothing and
// returns ErrTooManyReleases. It panics if n < 1. Python: release(n=1),
// which raises ValueError.
func (b *BoundedSemaphore) Release(n int) error {
	if n < 1 {
		panic("thread: BoundedSemaphore.Release with n < 1")
	}
	b.sem.mu.Lock()
	defer b.sem.mu.Unlock()
	if b.sem.value+n > b.bound {
		return ErrTooManyReleases
	}
	b.sem.releaseLocked(n)
	return nil
}

// Value returns the number of free permits, a snapshot.
func (b *BoundedSemaphore) Value() int { return b.sem.Value() }
