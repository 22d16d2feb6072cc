package process

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"unsafe"

	"github.com/concurgo/concur/internal/futex"
	"github.com/concurgo/concur/internal/shm"
)

// SharedLocker is a lock shared between processes that a Condition can
// wait with: *Lock or *RLock (the interface is closed to other types,
// since a Condition must send its lock to other processes with it).
type SharedLocker interface {
	Acquire(ctx context.Context) error
	TryAcquire() bool
	Release() error
	Lock()
	Unlock()

	heldByCaller() bool
	releaseAll() (levels uint32)
	restore(levels uint32) error
	GobEncode() ([]byte, error)
}

// Condition is a condition variable shared between processes: Python's
// multiprocessing.Condition, with the methods and contracts of
// thread.Condition. Create it with NewCondition and pass it to children
// as an argument; its lock travels with it.
//
// Notifications are counted: Notify(n) wakes min(n, waiting) waiters, and
// a waiter whose context ends just as it is notified keeps the
// notification (its Wait returns nil). Unlike thread.Condition, the order
// in which waiters wake is the kernel's (usually FIFO), and a waiter that
// arrives just after a Notify may take the wake-up meant for an earlier
// one; both are still exactly min(n, waiting) wake-ups. Wait in a loop,
// or use WaitFor.
//
// If a process dies while waiting, it still counts as a waiter: one later
// notification may go to it and be lost, or wake another waiter that was
// not notified. If a process dies holding the lock, the next Wait or
// Acquire to take it returns an *OwnerDeadError, as with Lock.
type Condition struct {
	seg     *shm.Segment
	c       *futex.Cond
	lock    SharedLocker
	ownLock bool // the lock was made or received with the Condition
}

var conditionShape = sharedShape{kind: kindCondition}

// NewCondition creates a Condition that waits with lock, or with a new
// RLock if lock is nil: Python's multiprocessing.Condition(lock=None).
func NewCondition(lock SharedLocker) (*Condition, error) {
	own := lock == nil
	if own {
		l, err := NewRLock()
		if err != nil {
			return nil, err
		}
		lock = l
	}
	seg, err := newSharedSegment(conditionShape, sharedHeaderSize+int(unsafe.Sizeof(futex.Cond{})))
	if err != nil {
		if own {
			lock.(*RLock).Close()
		}
		return nil, err
	}
	return conditionIn(seg, lock, own), nil
}

func conditionIn(seg *shm.Segment, lock SharedLocker, own bool) *Condition {
	return &Condition{
		seg:     seg,
		c:       (*futex.Cond)(seg.At(sharedHeaderSize, unsafe.Sizeof(futex.Cond{}))),
		lock:    lock,
		ownLock: own,
	}
}

func (c *Condition) check() error {
	if c.c == nil {
		return closedError(kindCondition)
	}
	return nil
}

// Acquire acquires the underlying lock. Python: acquire().
func (c *Condition) Acquire(ctx context.Context) error {
	if err := c.check(); err != nil {
		return err
	}
	return c.lock.Acquire(ctx)
}

// TryAcquire acquires the underlying lock if that needs no waiting.
// Python: acquire(blocking=False).
func (c *Condition) TryAcquire() bool {
	if err := c.check(); err != nil {
		panic(err)
	}
	return c.lock.TryAcquire()
}

// Release releases the underlying lock. Python: release().
func (c *Condition) Release() error {
	if err := c.check(); err != nil {
		return err
	}
	return c.lock.Release()
}

// Lock acquires the underlying lock with no deadline, so that a Condition
// is a sync.Locker ("with cond:").
func (c *Condition) Lock() {
	if err := c.check(); err != nil {
		panic(err)
	}
	c.lock.Lock()
}

// Unlock releases the underlying lock and panics if that fails, so that a
// Condition is a sync.Locker.
func (c *Condition) Unlock() {
	if err := c.check(); err != nil {
		panic(err)
	}
	c.lock.Unlock()
}

// Wait releases the lock, blocks until notified or until ctx is done, and
// takes the lock back before returning, whatever the outcome. It returns
// nil when notified and ctx.Err() when ctx ended first, ErrNotHeld at once
// if the caller does not hold the lock, and an *OwnerDeadError (with the
// lock held) if a process died holding the lock while this one waited.
// Python: wait(timeout), which returns False on timeout.
//
// An RLock held several times is released completely and restored to the
// same depth. Re-taking the lock is not limited by ctx.
func (c *Condition) Wait(ctx context.Context) error {
	if err := c.check(); err != nil {
		return err
	}
	if !c.lock.heldByCaller() {
		return ErrNotHeld
	}
	// Enqueued before the lock is released, so that a Notify made by
	// whoever takes the lock next counts this waiter.
	c.c.Enqueue()
	levels := c.lock.releaseAll()
	err := c.c.Wait(ctx)
	lerr := c.lock.restore(levels)
	if err != nil && c.c.Cancel() {
		err = nil // notified as the context ended: the notification wins
	}
	sharedRaceAcquire()
	if lerr != nil {
		return lerr
	}
	return err
}

// WaitFor waits until pred returns true, calling it with the lock held
// before each wait and after each wake-up, and returns pred's last result.
// When ctx ends it calls pred one last time and returns its result with
// ctx.Err() if that is still false. It returns false, ErrNotHeld if the
// caller does not hold the lock, and pred's result with an
// *OwnerDeadError, the lock held, if a process died holding the lock.
// Python: wait_for(predicate, timeout).
func (c *Condition) WaitFor(ctx context.Context, pred func() bool) (bool, error) {
	if err := c.check(); err != nil {
		return false, err
	}
	if !c.lock.heldByCaller() {
		return false, ErrNotHeld
	}
	for !pred() {
		if err := c.Wait(ctx); err != nil {
			if errors.Is(err, ErrOwnerDead) {
				return pred(), err // the lock is held: let the caller repair
			}
			if pred() {
				return true, nil
			}
			return false, err
		}
	}
	return true, nil
}

// Notify wakes up to n waiters, in any process; it panics if n is
// negative. The caller must hold the lock, or Notify returns ErrNotHeld.
// Python: notify(n=1).
func (c *Condition) Notify(n int) error {
	if n < 0 {
		panic("process: Condition.Notify with negative n")
	}
	if err := c.check(); err != nil {
		return err
	}
	if !c.lock.heldByCaller() {
		return ErrNotHeld
	}
	sharedRaceRelease()
	c.c.Signal(n)
	return nil
}

// NotifyAll wakes every waiter, in every process. The caller must hold
// the lock, or NotifyAll returns ErrNotHeld. Python: notify_all().
func (c *Condition) NotifyAll() error { return c.Notify(math.MaxInt32) }

// Close unmaps the Condition in this process, with its lock if the lock
// was made by NewCondition or received with the Condition; other
// processes' copies are not affected.
func (c *Condition) Close() error {
	if err := c.check(); err != nil {
		return err
	}
	c.c = nil
	err := c.seg.Close()
	if c.ownLock {
		err = errors.Join(err, closeSharedLock(c.lock))
	}
	return err
}

func closeSharedLock(l SharedLocker) error {
	switch l := l.(type) {
	case *Lock:
		return l.Close()
	case *RLock:
		return l.Close()
	}
	return nil
}

// GobEncode lets a Condition travel to a child as an argument, with its
// lock: one byte for the lock's kind, the Condition's handle with its
// length, then the lock's handle.
func (c *Condition) GobEncode() ([]byte, error) {
	cb, err := encodeSharedSegment(c.seg, conditionShape)
	if err != nil {
		return nil, err
	}
	kind := kindLock
	if _, ok := c.lock.(*RLock); ok {
		kind = kindRLock
	}
	lb, err := c.lock.GobEncode()
	if err != nil {
		return nil, err
	}
	b := append([]byte{byte(kind)}, binary.AppendUvarint(nil, uint64(len(cb)))...)
	return append(append(b, cb...), lb...), nil
}

// GobDecode maps a Condition and its lock received from another process.
func (c *Condition) GobDecode(data []byte) error {
	if len(data) < 2 {
		return errors.New("process: malformed Condition handle")
	}
	n, k := binary.Uvarint(data[1:])
	if k <= 0 || n > uint64(len(data)-1-k) {
		return errors.New("process: malformed Condition handle")
	}
	cb, lb := data[1+k:1+k+int(n)], data[1+k+int(n):]
	var lock SharedLocker
	switch sharedKind(data[0]) {
	case kindLock:
		l := new(Lock)
		if err := l.GobDecode(lb); err != nil {
			return err
		}
		lock = l
	case kindRLock:
		l := new(RLock)
		if err := l.GobDecode(lb); err != nil {
			return err
		}
		lock = l
	default:
		return fmt.Errorf("process: malformed Condition handle: lock kind %d", data[0])
	}
	seg, _, err := decodeSharedSegment(cb, conditionShape)
	if err != nil {
		closeSharedLock(lock)
		return err
	}
	*c = *conditionIn(seg, lock, true)
	return nil
}
