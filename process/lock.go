package process

import (
	"context"
	"errors"
	"fmt"
	"unsafe"

	"github.com/concurgo/concur/internal/futex"
	"github.com/concurgo/concur/internal/shm"
	"github.com/concurgo/concur/thread"
)

// ErrOwnerDead is matched (with errors.Is) by the error Acquire returns
// when it took a lock over from a process that died holding it. The lock
// IS held by the caller when this error is returned: the data it guards
// may be half-updated, so repair or check it, then Release as usual. This
// is the robust-mutex model of pthread's EOWNERDEAD. Python has no
// counterpart: a multiprocessing.Lock whose holder is killed stays locked
// forever.
var ErrOwnerDead = errors.New("process: the previous holder of the lock died holding it")

// OwnerDeadError is the error Acquire returns with the lock held after its
// previous holder died; it names that holder. It matches ErrOwnerDead.
type OwnerDeadError struct {
	Kind string // "Lock" or "RLock"
	Pid  int    // the pid of the process that died holding the lock
}

func (e *OwnerDeadError) Error() string {
	return fmt.Sprintf("process: %s acquired from pid %d, which died holding it", e.Kind, e.Pid)
}

// Is makes errors.Is(err, ErrOwnerDead) true.
func (e *OwnerDeadError) Is(target error) bool { return target == ErrOwnerDead }

// ErrNotHeld is returned by Release of a lock that is not held (an
// unlocked Lock, or an RLock not held by the calling goroutine), and by
// Condition methods called without their lock: Python's RuntimeError
// ("release unlocked lock", "cannot notify on un-acquired lock"). It is
// thread.ErrNotHeld, so code that works with both packages' locks checks
// one error.
var ErrNotHeld = thread.ErrNotHeld

// Lock is a mutual-exclusion lock shared between processes: Python's
// multiprocessing.Lock. Create it with NewLock and pass it to children as
// an argument; every copy is the same lock.
//
// Like Python's, and like thread.Lock, a Lock is held by no particular
// goroutine: any goroutine of any process sharing it may release it. It
// is not reentrant (see RLock).
//
// Unlike Python's, it is robust: when the process holding it dies (killed,
// crashed, exited without releasing), the next Acquire takes it over and
// returns an *OwnerDeadError (errors.Is(err, ErrOwnerDead)) with the lock
// held. A waiter notices a dead holder within about 50 ms. All processes
// sharing a Lock must share a pid namespace, which a parent and the
// children it starts always do.
//
// An uncontended Acquire and Release are one atomic compare-and-swap each;
// a contended Acquire spins briefly, then sleeps on a futex, holding its
// OS thread while it sleeps (as for any blocking system call): many
// goroutines of one process contending for a Lock are better served by a
// thread.Lock in front of it.
type Lock struct {
	seg  *shm.Segment
	m    *futex.Mutex
	part bool // the lock of a Value or Array, which owns the segment
}

var lockShape = sharedShape{kind: kindLock}

// lockOffset is where a Lock's state lives in its segment, and in the
// segments of Value and Array, which carry their own Lock.
const lockOffset = sharedHeaderSize

// NewLock creates an unlocked Lock in a new shared segment.
func NewLock() (*Lock, error) {
	seg, err := newSharedSegment(lockShape, lockOffset+int(unsafe.Sizeof(futex.Mutex{})))
	if err != nil {
		return nil, err
	}
	return lockIn(seg, false), nil
}

func lockIn(seg *shm.Segment, part bool) *Lock {
	return &Lock{seg: seg, m: (*futex.Mutex)(seg.At(lockOffset, unsafe.Sizeof(futex.Mutex{}))), part: part}
}

// Acquire blocks until it holds the lock or ctx is done; then it returns
// ctx's error and does not hold the lock. Python's timeout is ctx's
// deadline. If the previous holder died holding the lock, Acquire returns
// an *OwnerDeadError and the caller holds the lock.
func (l *Lock) Acquire(ctx context.Context) error {
	if l.m == nil {
		return closedError(kindLock)
	}
	dead, err := l.m.Lock(ctx)
	if err != nil {
		return err
	}
	sharedRaceAcquire()
	if dead != 0 {
		return &OwnerDeadError{Kind: "Lock", Pid: dead}
	}
	return nil
}

// TryAcquire takes the lock if it is free and reports whether it did:
// Python's acquire(blocking=False). It does not take over a lock whose
// holder died; Acquire does.
func (l *Lock) TryAcquire() bool {
	if l.m == nil {
		panicClosed(kindLock)
	}
	if !l.m.TryLock() {
		return false
	}
	sharedRaceAcquire()
	return true
}

// Release releases the lock, which any goroutine of any process may do.
// Releasing a lock that is not held returns ErrNotHeld.
func (l *Lock) Release() error {
	if l.m == nil {
		return closedError(kindLock)
	}
	sharedRaceRelease()
	if !l.m.Unlock() {
		return ErrNotHeld
	}
	return nil
}

// Lock acquires the lock with no deadline, so that a Lock is a
// sync.Locker ("with lock:" in Python). It cannot report that the previous
// holder died; it takes the lock either way. Use Acquire where the state
// the lock guards may need repair.
func (l *Lock) Lock() {
	if err := l.Acquire(context.Background()); err != nil && !errors.Is(err, ErrOwnerDead) {
		panic(err)
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

// Locked reports whether some process holds the lock: Python's locked().
func (l *Lock) Locked() bool {
	if l.m == nil {
		panicClosed(kindLock)
	}
	return l.m.Locked()
}

// Close unmaps the lock in this process; other processes' copies are not
// affected. The lock of a Value or Array closes with it; its Close returns
// an error. Python has no counterpart: its objects are freed by the
// garbage collector, as a Lock dropped without Close is here.
func (l *Lock) Close() error {
	if l.m == nil {
		return closedError(kindLock)
	}
	if l.part {
		return errors.New("process: the lock of a Value or Array is closed by closing the Value or Array")
	}
	l.m = nil
	return l.seg.Close()
}

// The hooks Condition uses to wait on a Lock. A Lock has no owning
// goroutine, so "held by the caller" means held by the calling process.

func (l *Lock) heldByCaller() bool { return l.m != nil && l.m.HeldBySelf() }

func (l *Lock) releaseAll() uint32 {
	sharedRaceRelease()
	l.m.Unlock()
	return 1
}

func (l *Lock) restore(uint32) error { return l.Acquire(context.Background()) }

// GobEncode lets a Lock travel to a child as an argument (or in a Conn
// message): its segment's file goes with the message.
func (l *Lock) GobEncode() ([]byte, error) {
	if l.part {
		return nil, errors.New("process: pass the Value or Array, not its lock: the lock travels with it")
	}
	return encodeSharedSegment(l.seg, lockShape)
}

// GobDecode maps a Lock received from another process.
func (l *Lock) GobDecode(data []byte) error {
	seg, _, err := decodeSharedSegment(data, lockShape)
	if err != nil {
		return err
	}
	*l = *lockIn(seg, false)
	return nil
}
