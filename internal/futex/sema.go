package futex

import (
	"context"
	"sync/atomic"
)

// Sema is a counting semaphore for memory shared between processes. The
// zero value has count 0; set the initial count with Init before sharing
// it. Units are not owned: a process that dies holding one does not give
// it back.
type Sema struct {
	count   uint32        // the futex word
	waiters atomic.Uint32 // goroutines in Acquire's slow path, any process
}

// Init sets the count. Call it only before the semaphore is shared.
func (s *Sema) Init(n uint32) { atomic.StoreUint32(&s.count, n) }

// Value returns the current count.
func (s *Sema) Value() uint32 { return atomic.LoadUint32(&s.count) }

// TryAcquire takes one unit if one is available, without waiting.
func (s *Sema) TryAcquire() bool {
	for {
		c := atomic.LoadUint32(&s.count)
		if c == 0 {
			return false
		}
		if atomic.CompareAndSwapUint32(&s.count, c, c-1) {
			return true
		}
	}
}

// Acquire takes one unit, waiting until one is released or ctx is done;
// then it returns ctx's error and takes nothing.
func (s *Sema) Acquire(ctx context.Context) error {
	if s.TryAcquire() {
		return nil
	}
	// Release reads waiters after it raises the count, and we raise
	// waiters before we re-read the count: one of us sees the other.
	s.waiters.Add(1)
	defer s.waiters.Add(^uint32(0))
	for {
		if s.TryAcquire() {
			return nil
		}
		if err := WaitContext(ctx, &s.count, 0, 0); err != nil {
			// A Release may have woken us alone for a unit we now leave
			// behind: pass the wake-up on so no other waiter sleeps
			// beside a free unit.
			if atomic.LoadUint32(&s.count) > 0 {
				Wake(&s.count, 1)
			}
			return err
		}
	}
}

// Release adds n units and wakes up to n waiters. If limit is non-zero and
// the count would exceed it, Release changes nothing and reports false
// (BoundedSemaphore's check).
func (s *Sema) Release(n, limit uint32) bool {
	for {
		c := atomic.LoadUint32(&s.count)
		if limit != 0 && uint64(c)+uint64(n) > uint64(limit) {
			return false
		}
		if atomic.CompareAndSwapUint32(&s.count, c, c+n) {
			break
		}
	}
	if s.waiters.Load() != 0 {
		Wake(&s.count, int(min(n, All)))
	}
	return true
}
