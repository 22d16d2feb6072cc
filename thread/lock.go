package thread

import (
	"context"
	"sync"
	"sync/atomic"
)

// Lock state bits.
const (
	locked  = 1 << iota // the lock is held
	waiting             // waiters are queued, so Release must hand the lock over
)

// Lock is a mutual-exclusion lock that is not owned by a goroutine: any
// goroutine may release it, as in Python. Python: threading.Lock.
//
// The zero value is an unlocked Lock. A Lock must not be copied after first
// use.
//
// Uncontended, Acquire and Release are one compare-and-swap each. A
// contended Acquire parks in a FIFO queue, and Release hands the lock
// directly to the oldest waiter, so no waiter starves; a waiter whose
// context ends leaves the queue without disturbing the others.
type Lock struct {
	state atomic.Int32
	mu    sync.Mutex // guards q
	q     waitQueue
}

// Acquire blocks until it holds the lock or ctx is done, and then returns
// ctx.Err(). Python: acquire(), acquire(timeout=t) as a context deadline.
//
// The context only limits waiting: a free lock is taken even if ctx is
// already done, as Python's acquire(timeout=0) takes a free lock. Acquiring
// a Lock the caller already holds blocks (it is not reentrant; see RLock).
func (l *Lock) Acquire(ctx context.Context) error {
	if l.state.CompareAndSwap(0, locked) {
		return nil
	}
	return l.acquireSlow(ctx)
}

func (l *Lock) acquireSlow(ctx context.Context) error {
	l.mu.Lock()
	for {
		s := l.state.Load()
		if s&locked == 0 {
			if l.state.CompareAndSwap(s, s|locked) {
				l.mu.Unlock()
				return nil
			}
			continue
		}
		// Setting waiting forces the holder's Release into the slow path,
		// which needs mu, so it sees the waiter pushed below.
		if l.state.CompareAndSwap(s, s|waiting) {
			break
		}
	}
	w := l.q.push()
	l.mu.Unlock()
	return block(ctx, &l.mu, &l.q, w, l.withdrawn)
}

// withdrawn runs under mu when a waiter gave up.
func (l *Lock) withdrawn() {
	if l.q.len == 0 {
		l.state.And(^int32(waiting))
	}
}

// TryAcquire takes the lock if it is free and reports whether it did.
// Python: acquire(blocking=False).
func (l *Lock) TryAcquire() bool {
	return l.state.CompareAndSwap(0, locked)
}

// Release unlocks the lock, handing it to the oldest waiter if there is
// one. Any goroutine may release a Lock. Releasing an unlocked Lock returns
// ErrNotHeld. Python: release(), which raises RuntimeError when unlocked.
func (l *Lock) Release() error {
	if l.state.CompareAndSwap(locked, 0) {
		return nil
	}
	return l.releaseSlow()
}

func (l *Lock) releaseSlow() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	// While the lock is held, state changes only under mu, so it is stable
	// here.
	if l.state.Load()&locked == 0 {
		return ErrNotHeld
	}
	if w := l.q.pop(); w != nil {
		if l.q.len == 0 {
			l.state.Store(locked)
		}
		w.grant() // the lock stays locked: it now belongs to w
		return nil
	}
	l.state.Store(0)
	return nil
}

// Locked reports whether the lock is held by anyone. Python: locked().
func (l *Lock) Locked() bool {
	return l.state.Load()&locked != 0
}

// Lock acquires the lock, waiting as long as it takes, so that a Lock is a
// sync.Locker. It is Python's "with lock:" entry.
func (l *Lock) Lock() {
	if !l.TryAcquire() {
		_ = l.acquireSlow(context.Background()) // cannot fail without a deadline
	}
}

// Unlock releases the lock, so that a Lock is a sync.Locker. Like
// sync.Mutex.Unlock, it treats releasing an unlocked lock as a programmer
// error and panics with ErrNotHeld; Release returns the error instead.
func (l *Lock) Unlock() {
	if err := l.Release(); err != nil {
		panic(err)
	}
}

// owned is Python's Lock._is_owned, used by Condition: a Lock has no owner,
// so "owned" means "held by someone".
func (l *Lock) owned() bool { return l.Locked() }

func (l *Lock) releaseSave() (int32, error) { return 0, l.Release() }

func (l *Lock) acquireRestore(int32) { l.Lock() }
