package process

import (
	"context"
	"fmt"
	"math"
	"sync/atomic"
	"unsafe"

	"github.com/concurgo/concur/internal/futex"
	"github.com/concurgo/concur/internal/shm"
	"github.com/concurgo/concur/thread"
)

// ErrTooManyReleases is returned by BoundedSemaphore.Release when the
// release would raise the value above the initial value: Python's
// ValueError("semaphore or lock released too many times"). It is
// thread.ErrTooManyReleases.
var ErrTooManyReleases = thread.ErrTooManyReleases

// Semaphore is a counting semaphore shared between processes: Python's
// multiprocessing.Semaphore, with the methods of thread.Semaphore. Create
// it with NewSemaphore and pass it to children as an argument.
//
// Permits are not owned: if a process dies holding permits it acquired,
// they are not given back (as in Python). Where that matters, guard the
// resource with a Lock, which is recovered when its holder dies, or have
// the parent Release on the dead child's behalf when Join reports it.
type Semaphore struct {
	seg *shm.Segment
	st  *semaphoreState
}

// BoundedSemaphore is a Semaphore whose Release fails rather than raise
// the value above its initial value: Python's
// multiprocessing.BoundedSemaphore, with the methods of
// thread.BoundedSemaphore.
type BoundedSemaphore struct {
	sem Semaphore
}

type semaphoreState struct {
	sema  futex.Sema
	bound atomic.Uint32 // a BoundedSemaphore's initial value
}

var (
	semaphoreShape        = sharedShape{kind: kindSemaphore}
	boundedSemaphoreShape = sharedShape{kind: kindBoundedSemaphore}
)

// NewSemaphore creates a Semaphore holding value permits: Python's
// Semaphore(value=1). It panics if value is negative or above
// math.MaxUint32, as Python raises ValueError.
func NewSemaphore(value int) (*Semaphore, error) {
	s := new(Semaphore)
	return s, s.init(semaphoreShape, value)
}

// NewBoundedSemaphore creates a BoundedSemaphore holding value permits,
// which is also its bound: Python's BoundedSemaphore(value=1). It panics
// as NewSemaphore does.
func NewBoundedSemaphore(value int) (*BoundedSemaphore, error) {
	b := new(BoundedSemaphore)
	if err := b.sem.init(boundedSemaphoreShape, value); err != nil {
		return nil, err
	}
	b.sem.st.bound.Store(uint32(value))
	return b, nil
}

func (s *Semaphore) init(shape sharedShape, value int) error {
	if value < 0 || value > math.MaxUint32 {
		panic(fmt.Sprintf("process: semaphore initial value %d out of range", value))
	}
	seg, err := newSharedSegment(shape, sharedHeaderSize+int(unsafe.Sizeof(semaphoreState{})))
	if err != nil {
		return err
	}
	s.bind(seg)
	s.st.sema.Init(uint32(value))
	return nil
}

func (s *Semaphore) bind(seg *shm.Segment) {
	s.seg, s.st = seg, (*semaphoreState)(seg.At(sharedHeaderSize, unsafe.Sizeof(semaphoreState{})))
}

func (s *Semaphore) state() *semaphoreState {
	if s.st == nil {
		panicClosed(kindSemaphore)
	}
	return s.st
}

// Acquire takes a permit, waiting until one is free or ctx is done; then
// it returns ctx's error and takes nothing. Python: acquire(timeout=...).
func (s *Semaphore) Acquire(ctx context.Context) error {
	if s.st == nil {
		return closedError(kindSemaphore)
	}
	if err := s.st.sema.Acquire(ctx); err != nil {
		return err
	}
	sharedRaceAcquire()
	return nil
}

// TryAcquire takes a permit if one is free and reports whether it did:
// Python's acquire(blocking=False).
func (s *Semaphore) TryAcquire() bool {
	if !s.state().sema.TryAcquire() {
		return false
	}
	sharedRaceAcquire()
	return true
}

// Release returns n permits, waking up to n waiters, in any process. An
// unbounded Semaphore may be released more often than it was acquired;
// that raises its value. It panics if n < 1 (Python raises ValueError).
// Python: release(n=1).
func (s *Semaphore) Release(n int) {
	if n < 1 || n > math.MaxUint32 {
		panic(fmt.Sprintf("process: Semaphore.Release(%d): n must be at least 1", n))
	}
	st := s.state()
	sharedRaceRelease()
	st.sema.Release(uint32(n), 0)
}

// Value returns the number of free permits, a snapshot: Python's
// get_value().
func (s *Semaphore) Value() int { return int(s.state().sema.Value()) }

// Close unmaps the semaphore in this process; other processes' copies are
// not affected.
func (s *Semaphore) Close() error {
	if s.st == nil {
		return closedError(kindSemaphore)
	}
	s.st = nil
	return s.seg.Close()
}

// GobEncode lets a Semaphore travel to a child as an argument.
func (s *Semaphore) GobEncode() ([]byte, error) { return encodeSharedSegment(s.seg, semaphoreShape) }

// GobDecode maps a Semaphore received from another process.
func (s *Semaphore) GobDecode(data []byte) error {
	seg, _, err := decodeSharedSegment(data, semaphoreShape)
	if err != nil {
		return err
	}
	s.bind(seg)
	return nil
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
	if n < 1 || n > math.MaxUint32 {
		panic(fmt.Sprintf("process: BoundedSemaphore.Release(%d): n must be at least 1", n))
	}
	if b.sem.st == nil {
		return closedError(kindBoundedSemaphore)
	}
	st := b.sem.st
	bound := st.bound.Load()
	if uint64(n) > uint64(bound) {
		return ErrTooManyReleases // also covers BoundedSemaphore(0)
	}
	sharedRaceRelease()
	if !st.sema.Release(uint32(n), bound) {
		return ErrTooManyReleases
	}
	return nil
}

// Value returns the number of free permits, a snapshot.
func (b *BoundedSemaphore) Value() int { return b.sem.Value() }

// Close unmaps the semaphore in this process.
func (b *BoundedSemaphore) Close() error { return b.sem.Close() }

// GobEncode lets a BoundedSemaphore travel to a child as an argument.
func (b *BoundedSemaphore) GobEncode() ([]byte, error) {
	return encodeSharedSegment(b.sem.seg, boundedSemaphoreShape)
}

// GobDecode maps a BoundedSemaphore received from another process.
func (b *BoundedSemaphore) GobDecode(data []byte) error {
	seg, _, err := decodeSharedSegment(data, boundedSemaphoreShape)
	if err != nil {
		return err
	}
	b.sem.bind(seg)
	return nil
}
