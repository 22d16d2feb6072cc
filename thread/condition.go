package thread

import (
	"context"
	"sync"
)

// Locker is a lock a Condition can wait with. *Lock, *RLock and *Condition
// implement it, and so may other types. For a Locker not from this package,
// a Condition decides whether the caller holds it as Python does for a
// foreign lock: it is held if TryAcquire fails. That is right only for a
// non-reentrant lock.
type Locker interface {
	Acquire(ctx context.Context) error
	TryAcquire() bool
	Release() error
}

// condLock is what a Condition needs beyond Locker: Python's _is_owned,
// _release_save and _acquire_restore. Lock and RLock implement it; other
// Lockers get lockerAdapter, Python's fallbacks for foreign locks.
type condLock interface {
	Locker
	owned() bool
	releaseSave() (int32, error)
	acquireRestore(int32)
}

type lockerAdapter struct{ Locker }

// owned is Python's fallback for _is_owned: a lock that can be taken now
// was not held.
func (a lockerAdapter) owned() bool {
	if a.TryAcquire() {
		_ = a.Release()
		return false
	}
	return true
}

func (a lockerAdapter) releaseSave() (int32, error) { return 0, a.Release() }

func (a lockerAdapter) acquireRestore(int32) {
	for a.Acquire(context.Background()) != nil {
		// Only a misbehaving Locker fails without a deadline; keep trying,
		// since Wait must return with the lock held.
	}
}

// Condition is a condition variable: goroutines that hold its lock wait
// until another goroutine notifies them. Python: threading.Condition.
//
// The zero value is a Condition over its own RLock, as Python's
// Condition() is; NewCondition takes any other Locker. A Condition must not
// be copied after first use.
//
// Notifications are exact: Notify(n) wakes min(n, waiting) waiters, each
// of whose Wait returns nil, and a waiter whose context ends at the same
// moment either takes the notification or leaves it for the next waiter —
// a notification is never lost. There are no spurious wake-ups, though, as
// in Python, waiting in a loop (or WaitFor) is the robust pattern. Waiters
// are woken in FIFO order.
type Condition struct {
	lock condLock // nil means own
	own  RLock
	mu   sync.Mutex // guards q
	q    waitQueue
}

// NewCondition returns a Condition that waits with lock, or with a new
// RLock if lock is nil. Python: Condition(lock=None).
func NewCondition(lock Locker) *Condition {
	c := new(Condition)
	switch l := lock.(type) {
	case nil:
	case condLock:
		c.lock = l
	default:
		c.lock = lockerAdapter{l}
	}
	return c
}

func (c *Condition) locker() condLock {
	if c.lock != nil {
		return c.lock
	}
	return &c.own
}

// Acquire acquires the underlying lock. Python: acquire().
func (c *Condition) Acquire(ctx context.Context) error { return c.locker().Acquire(ctx) }

// TryAcquire acquires the underlying lock if that needs no waiting.
// Python: acquire(blocking=False).
func (c *Condition) TryAcquire() bool { return c.locker().TryAcquire() }

// Release releases the underlying lock. Python: release().
func (c *Condition) Release() error { return c.locker().Release() }

// Lock acquires the underlying lock with no deadline, so that a Condition
// is a sync.Locker. It is Python's "with cond:" entry.
func (c *Condition) Lock() {
	if err := c.locker().Acquire(context.Background()); err != nil {
		panic(err)
	}
}

// Unlock releases the underlying lock and panics if that fails, so that a
// Condition is a sync.Locker.
func (c *Condition) Unlock() {
	if err := c.locker().Release(); err != nil {
		panic(err)
	}
}

func (c *Condition) owned() bool                 { return c.locker().owned() }
func (c *Condition) releaseSave() (int32, error) { return c.locker().releaseSave() }
func (c *Condition) acquireRestore(saved int32)  { c.locker().acquireRestore(saved) }

// Wait releases the lock, blocks until notified or until ctx is done, and
// takes the lock back before returning, whatever the outcome. It returns
// nil when notified and ctx.Err() when ctx ended first. It returns
// ErrNotHeld at once if the caller does not hold the lock. Python:
// wait(timeout), which returns False on timeout.
//
// An RLock held several times is released completely and restored to the
// same depth. Re-taking the lock after ctx ended is not limited by ctx: a
// Condition's caller always gets the lock back.
func (c *Condition) Wait(ctx context.Context) error {
	l := c.locker()
	if !l.owned() {
		return ErrNotHeld
	}
	// Enqueue before releasing the lock, so a Notify made by whoever takes
	// the lock next cannot miss this waiter.
	c.mu.Lock()
	w := c.q.push()
	c.mu.Unlock()
	saved, err := l.releaseSave()
	if err != nil {
		c.mu.Lock()
		select {
		case <-w.ready: // a notification raced in: pass it on
			if next := c.q.pop(); next != nil {
				next.grant()
			}
		default:
			c.q.remove(w)
		}
		c.mu.Unlock()
		return err
	}
	err = block(ctx, &c.mu, &c.q, w, nil)
	l.acquireRestore(saved)
	return err
}

// WaitFor waits until pred returns true, calling it with the lock held
// before each wait and after each wake-up, and returns pred's last result.
// When ctx ends it calls pred one last time and returns its result with
// ctx.Err() if that is still false. Python: wait_for(predicate, timeout),
// which returns the last result and lets the caller tell a timeout from it.
//
// Unlike Python, WaitFor checks that the caller holds the lock before it
// calls pred, and returns false, ErrNotHeld if not.
func (c *Condition) WaitFor(ctx context.Context, pred func() bool) (bool, error) {
	if !c.locker().owned() {
		return false, ErrNotHeld
	}
	for !pred() {
		if err := c.Wait(ctx); err != nil {
			if pred() {
				return true, nil
			}
			return false, err
		}
	}
	return true, nil
}

// Notify wakes up to n goroutines waiting on the condition; it panics if n
// is negative. The caller must hold the lock, or Notify returns ErrNotHeld.
// The woken goroutines return from Wait only once they re-take the lock,
// that is after the notifier releases it. Python: notify(n=1).
func (c *Condition) Notify(n int) error {
	if n < 0 {
		panic("thread: Condition.Notify with negative n")
	}
	if !c.locker().owned() {
		return ErrNotHeld
	}
	c.mu.Lock()
	for ; n > 0; n-- {
		w := c.q.pop()
		if w == nil {
			break
		}
		w.grant()
	}
	c.mu.Unlock()
	return nil
}

// NotifyAll wakes every goroutine waiting on the condition. The caller must
// hold the lock, or NotifyAll returns ErrNotHeld. Python: notify_all().
func (c *Condition) NotifyAll() error {
	if !c.locker().owned() {
		return ErrNotHeld
	}
	c.mu.Lock()
	for w := c.q.pop(); w != nil; w = c.q.pop() {
		w.grant()
	}
	c.mu.Unlock()
	return nil
}
