package process

import (
	"context"
	"errors"
	"os"
	"sync/atomic"
	"unsafe"

	"github.com/concurgo/concur/internal/futex"
	"github.com/concurgo/concur/internal/shm"
	"github.com/petermattis/goid"
)

// RLock is a reentrant lock shared between processes: Python's
// multiprocessing.RLock. It is held by one goroutine of one process, which
// may acquire it again; it is free again when that goroutine has released
// it as many times as it acquired it. Only the holding goroutine may
// release it (Python: the holding thread of the holding process).
//
// It is robust like Lock: when the holding process dies, the next Acquire
// takes it over with a count of one and returns an *OwnerDeadError
// (errors.Is(err, ErrOwnerDead)); the dead holder's recursion count is
// discarded.
type RLock struct {
	seg *shm.Segment
	st  *rlockState
}

// rlockState is an RLock in shared memory. The owner fields are written
// only by the holder, after taking mu and before releasing it; pid keeps
// a goroutine id left behind by a dead process from matching a goroutine
// of this one.
type rlockState struct {
	mu    futex.Mutex
	goid  atomic.Int64
	pid   atomic.Uint32
	count atomic.Uint32
}

var rlockShape = sharedShape{kind: kindRLock}

// NewRLock creates an unlocked RLock in a new shared segment.
func NewRLock() (*RLock, error) {
	seg, err := newSharedSegment(rlockShape, sharedHeaderSize+int(unsafe.Sizeof(rlockState{})))
	if err != nil {
		return nil, err
	}
	return rlockIn(seg), nil
}

func rlockIn(seg *shm.Segment) *RLock {
	return &RLock{seg: seg, st: (*rlockState)(seg.At(sharedHeaderSize, unsafe.Sizeof(rlockState{})))}
}

var selfPid = uint32(os.Getpid())

func (s *rlockState) heldBy(g int64) bool {
	return s.pid.Load() == selfPid && s.goid.Load() == g
}

// Acquire blocks until the calling goroutine holds the lock, or ctx is
// done; then it returns ctx's error. If the goroutine holds it already,
// Acquire only counts one more level and returns at once. If the previous
// holder's process died holding it, Acquire returns an *OwnerDeadError
// and the caller holds the lock.
func (l *RLock) Acquire(ctx context.Context) error {
	if l.st == nil {
		return closedError(kindRLock)
	}
	g := goid.Get()
	if l.st.heldBy(g) {
		l.st.count.Add(1)
		return nil
	}
	dead, err := l.st.mu.Lock(ctx)
	if err != nil {
		return err
	}
	l.st.own(g, 1)
	if dead != 0 {
		return &OwnerDeadError{Kind: "RLock", Pid: dead}
	}
	return nil
}

// TryAcquire acquires the lock if that needs no waiting, and reports
// whether it did: Python's acquire(blocking=False).
func (l *RLock) TryAcquire() bool {
	if l.st == nil {
		panicClosed(kindRLock)
	}
	g := goid.Get()
	if l.st.heldBy(g) {
		l.st.count.Add(1)
		return true
	}
	if !l.st.mu.TryLock() {
		return false
	}
	l.st.own(g, 1)
	return true
}

func (s *rlockState) own(g int64, count uint32) {
	sharedRaceAcquire()
	s.count.Store(count)
	s.goid.Store(g)
	s.pid.Store(selfPid)
}

// Release undoes one Acquire of the calling goroutine; the lock is free
// when every level is undone. It returns ErrNotHeld if the calling
// goroutine does not hold the lock.
func (l *RLock) Release() error {
	if l.st == nil {
		return closedError(kindRLock)
	}
	if !l.st.heldBy(goid.Get()) {
		return ErrNotHeld
	}
	if l.st.count.Add(^uint32(0)) == 0 {
		l.st.disown()
	}
	return nil
}

// disown frees the lock, whatever its count.
func (s *rlockState) disown() {
	s.pid.Store(0)
	s.goid.Store(0)
	s.count.Store(0)
	sharedRaceRelease()
	s.mu.Unlock()
}

// Lock acquires the lock with no deadline, so that an RLock is a
// sync.Locker. Like Lock.Lock, it cannot report a dead previous holder.
func (l *RLock) Lock() {
	if err := l.Acquire(context.Background()); err != nil && !errors.Is(err, ErrOwnerDead) {
		panic(err)
	}
}

// Unlock releases one level, so that an RLock is a sync.Locker; it panics
// with ErrNotHeld if the calling goroutine does not hold the lock.
func (l *RLock) Unlock() {
	if err := l.Release(); err != nil {
		panic(err)
	}
}

// Locked reports whether some goroutine of some process holds the lock.
func (l *RLock) Locked() bool {
	if l.st == nil {
		panicClosed(kindRLock)
	}
	return l.st.mu.Locked()
}

// Close unmaps the lock in this process; other processes' copies are not
// affected.
func (l *RLock) Close() error {
	if l.st == nil {
		return closedError(kindRLock)
	}
	l.st = nil
	return l.seg.Close()
}

// GobEncode lets an RLock travel to a child as an argument.
func (l *RLock) GobEncode() ([]byte, error) { return encodeSharedSegment(l.seg, rlockShape) }

// GobDecode maps an RLock received from another process.
func (l *RLock) GobDecode(data []byte) error {
	seg, _, err := decodeSharedSegment(data, rlockShape)
	if err != nil {
		return err
	}
	*l = *rlockIn(seg)
	return nil
}

// The hooks Condition uses to wait on an RLock: release every level, then
// restore them.

func (l *RLock) heldByCaller() bool { return l.st != nil && l.st.heldBy(goid.Get()) }

func (l *RLock) releaseAll() (levels uint32) {
	levels = l.st.count.Load()
	l.st.disown()
	return levels
}

func (l *RLock) restore(levels uint32) error {
	dead, err := l.st.mu.Lock(context.Background())
	if err != nil {
		return err
	}
	l.st.own(goid.Get(), levels)
	if dead != 0 {
		return &OwnerDeadError{Kind: "RLock", Pid: dead}
	}
	return nil
}
