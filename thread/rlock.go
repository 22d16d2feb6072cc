package thread

import (
	"context"
	"sync/atomic"

	"github.com/petermattis/goid"
)

// RLock is a reentrant lock: the goroutine that holds it may acquire it
// again, and must release it as many times as it acquired it before another
// goroutine can take it. Only the holder may release it. Python:
// threading.RLock.
//
// Ownership belongs to the goroutine (its id, as Ident returns), exactly as
// Python's belongs to the OS thread; a goroutine that is not a Thread of
// this package can hold an RLock too. The zero value is an unlocked RLock.
// An RLock must not be copied after first use.
type RLock struct {
	lock  Lock
	owner atomic.Int64 // goroutine id of the holder; 0 when free
	count int32        // recursion depth; read and written only by the holder
}

// Acquire takes the lock, or deepens the caller's hold on it, blocking
// until it can or ctx is done (then it returns ctx.Err()). As with Lock, a
// done context only limits waiting. Python: acquire().
func (r *RLock) Acquire(ctx context.Context) error {
	me := goid.Get()
	if r.owner.Load() == me {
		r.count++
		return nil
	}
	if err := r.lock.Acquire(ctx); err != nil {
		return err
	}
	r.owner.Store(me)
	r.count = 1
	return nil
}

// TryAcquire takes or deepens the hold if that needs no waiting, and
// reports whether it did. Python: acquire(blocking=False).
func (r *RLock) TryAcquire() bool {
	me := goid.Get()
	if r.owner.Load() == me {
		r.count++
		return true
	}
	if !r.lock.TryAcquire() {
		return false
	}
	r.owner.Store(me)
	r.count = 1
	return true
}

// Release undoes one Acquire by the holder, freeing the lock when the last
// is undone. It returns ErrNotHeld if the calling goroutine does not hold
// the lock, whether it is free or held by another goroutine. Python:
// release(), which raises RuntimeError in both cases.
func (r *RLock) Release() error {
	if r.owner.Load() != goid.Get() {
		return ErrNotHeld
	}
	r.count--
	if r.count > 0 {
		return nil
	}
	r.owner.Store(0)
	return r.lock.Release()
}

// Locked reports whether any goroutine holds the lock. Python: locked()
// (added to RLock in 3.14).
func (r *RLock) Locked() bool { return r.lock.Locked() }

// Lock acquires the lock with no deadline, so that an RLock is a
// sync.Locker.
func (r *RLock) Lock() { _ = r.Acquire(context.Background()) }

// Unlock releases the lock, so that an RLock is a sync.Locker. It panics
// with ErrNotHeld if the caller does not hold the lock; Release returns the
// error instead.
func (r *RLock) Unlock() {
	if err := r.Release(); err != nil {
		panic(err)
	}
}

// owned is Python's RLock._is_owned: held by the calling goroutine.
func (r *RLock) owned() bool { return r.owner.Load() == goid.Get() }

// releaseSave frees the lock however deep the caller's hold is, so a
// Condition can wait on it, and returns the depth for acquireRestore.
// Python: RLock._release_save.
func (r *RLock) releaseSave() (int32, error) {
	if !r.owned() {
		return 0, ErrNotHeld
	}
	depth := r.count
	r.count = 0
	r.owner.Store(0)
	return depth, r.lock.Release()
}

// acquireRestore takes the lock back at the saved depth. Python:
// RLock._acquire_restore.
func (r *RLock) acquireRestore(depth int32) {
	r.lock.Lock()
	r.owner.Store(goid.Get())
	r.count = depth
}
