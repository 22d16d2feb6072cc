package process

import (
	"context"
	"fmt"
	"sync/atomic"
	"unsafe"

	"github.com/concurgo/concur"
	"github.com/concurgo/concur/internal/futex"
	"github.com/concurgo/concur/internal/shm"
	"github.com/concurgo/concur/thread"
)

// ErrBrokenBarrier is returned by Barrier.Wait when the barrier is broken,
// or is broken while the caller waits (aborted, reset, a party's context
// ended, the action failed, or a process died inside the barrier's
// bookkeeping). Python: threading.BrokenBarrierError. It is
// thread.ErrBrokenBarrier.
var ErrBrokenBarrier = thread.ErrBrokenBarrier

// Barrier lets a fixed number of parties, goroutines of any processes
// sharing it, wait for each other: each Wait blocks until all parties have
// called it, then all return together and the barrier is ready for the
// next round. Python: multiprocessing.Barrier, with the methods and
// contracts of thread.Barrier. Create it with NewBarrier and pass it to
// children as an argument.
//
// If any party's wait ends early — its context is done, Abort is called,
// or the action fails — the barrier breaks: every waiter and every later
// Wait gets ErrBrokenBarrier until Reset.
//
// A process that dies while waiting counted as arrived, so its round may
// still complete; it will not arrive at the next one, whose parties then
// wait until their contexts end (breaking the barrier) — give Wait a
// deadline when parties may die. A process that dies inside the barrier's
// own bookkeeping (a few instructions under its internal lock) breaks the
// barrier for everyone, who are told with ErrBrokenBarrier.
type Barrier struct {
	seg    *shm.Segment
	st     *barrierState
	action func() error
}

// barrierState is a Barrier in shared memory, guarded by mu. Each round
// is an epoch; waiters of epoch e sleep on the futex word epoch until it
// moves on, then read how e ended from bit e%32 of tripped. Python needs a
// "draining" state instead, so that a new round cannot overwrite the
// outcome before every waiter has read it; with a history the next round
// starts at once, and a waiter would misread only if 32 rounds ended
// while it slept, which needs its own participation.
type barrierState struct {
	mu      futex.Mutex
	epoch   uint32        // the futex word
	tripped atomic.Uint32 // bit e%32: epoch e ended with all parties arrived
	count   atomic.Uint32 // parties arrived in the current epoch
	broken  atomic.Uint32
	parties uint32
}

var barrierShape = sharedShape{kind: kindBarrier}

// NewBarrier creates a Barrier for parties parties. If action is not nil,
// the last party to arrive in each round calls it before any is released,
// if that party runs in this process: a function cannot travel to another
// process, so copies of the Barrier received by children have no action
// (elect a party by Wait's index instead). If the action returns an error
// or panics, the barrier breaks and that party's Wait returns the error
// (a *concur.PanicError for a panic). NewBarrier panics if parties is less
// than 1. Python: Barrier(parties, action=None, timeout=None); the timeout
// is each Wait's context deadline instead.
func NewBarrier(parties int, action func() error) (*Barrier, error) {
	if parties < 1 || parties > 1<<30 {
		panic(fmt.Sprintf("process: NewBarrier with %d parties", parties))
	}
	seg, err := newSharedSegment(barrierShape, sharedHeaderSize+int(unsafe.Sizeof(barrierState{})))
	if err != nil {
		return nil, err
	}
	b := barrierIn(seg)
	b.st.parties = uint32(parties)
	b.action = action
	return b, nil
}

func barrierIn(seg *shm.Segment) *Barrier {
	return &Barrier{seg: seg, st: (*barrierState)(seg.At(sharedHeaderSize, unsafe.Sizeof(barrierState{})))}
}

func (b *Barrier) state() *barrierState {
	if b.st == nil {
		panicClosed(kindBarrier)
	}
	return b.st
}

// lock takes the internal lock. If a process died holding it, the state
// may be half-updated: the round in progress is broken, which every party
// can observe and Reset repairs.
func (s *barrierState) lock() {
	if dead, _ := s.mu.Lock(context.Background()); dead != 0 {
		s.endEpoch(false)
		s.broken.Store(1)
	}
}

func (s *barrierState) unlock() {
	sharedRaceRelease()
	s.mu.Unlock()
}

// endEpoch ends the current round, as passed or broken, and wakes its
// waiters. mu is held.
func (s *barrierState) endEpoch(passed bool) {
	e := atomic.LoadUint32(&s.epoch)
	bit := uint32(1) << (e % 32)
	if passed {
		s.tripped.Or(bit)
	} else {
		s.tripped.And(^bit)
	}
	s.count.Store(0)
	atomic.StoreUint32(&s.epoch, e+1)
	futex.Wake(&s.epoch, futex.All)
}

// Wait blocks until all parties have called Wait in this round and returns
// the caller's arrival index, 0 for the first to arrive and Parties()-1 for
// the last (so exactly one caller gets each index, handy for electing one
// to do a job). Python: wait(timeout).
//
// On failure Wait returns -1 and ErrBrokenBarrier, except: if ctx ends
// before the round completes, Wait breaks the barrier for everyone and
// returns an error matching both ErrBrokenBarrier and ctx.Err() (Python
// raises BrokenBarrierError on timeout); and the caller that ran a failing
// action gets the action's error.
func (b *Barrier) Wait(ctx context.Context) (int, error) {
	if b.st == nil {
		return -1, closedError(kindBarrier)
	}
	s := b.st
	sharedRaceRelease()
	s.lock()
	sharedRaceAcquire()
	if s.broken.Load() != 0 {
		s.unlock()
		return -1, ErrBrokenBarrier
	}
	e := atomic.LoadUint32(&s.epoch)
	index := int(s.count.Add(1)) - 1
	if index+1 == int(s.parties) {
		defer s.unlock()
		if b.action != nil {
			var err error
			// Guard, not Catch: an action that calls runtime.Goexit must
			// still break the barrier, or the other parties would wait
			// forever.
			concur.Guard(b.action, func(e error) { err = e })
			if err != nil {
				s.broken.Store(1)
				s.endEpoch(false)
				return -1, err
			}
		}
		s.endEpoch(true)
		return index, nil
	}
	s.unlock()

	for atomic.LoadUint32(&s.epoch) == e {
		if err := futex.WaitContext(ctx, &s.epoch, e, 0); err != nil {
			s.lock()
			if atomic.LoadUint32(&s.epoch) == e {
				s.broken.Store(1)
				s.endEpoch(false)
				s.unlock()
				return -1, fmt.Errorf("%w: %w", ErrBrokenBarrier, err)
			}
			s.unlock() // the round ended at the same moment: take its outcome
		}
	}
	sharedRaceAcquire()
	if s.tripped.Load()&(1<<(e%32)) == 0 {
		return -1, ErrBrokenBarrier
	}
	return index, nil
}

// Abort breaks the barrier: current and future waiters get
// ErrBrokenBarrier until Reset. Python: abort().
func (b *Barrier) Abort() {
	s := b.state()
	s.lock()
	s.broken.Store(1)
	s.endEpoch(false)
	s.unlock()
}

// Reset returns the barrier to its initial, unbroken state. Parties
// waiting in the current round get ErrBrokenBarrier. Python: reset().
func (b *Barrier) Reset() {
	s := b.state()
	s.lock()
	if s.count.Load() > 0 {
		s.endEpoch(false)
	}
	s.broken.Store(0)
	s.unlock()
}

// Parties returns the number of parties needed to pass the barrier.
func (b *Barrier) Parties() int { return int(b.state().parties) }

// NWaiting returns the number of parties waiting in the current round, in
// all processes.
func (b *Barrier) NWaiting() int { return int(b.state().count.Load()) }

// Broken reports whether the barrier is broken.
func (b *Barrier) Broken() bool { return b.state().broken.Load() != 0 }

// Close unmaps the barrier in this process; other processes' copies are
// not affected.
func (b *Barrier) Close() error {
	if b.st == nil {
		return closedError(kindBarrier)
	}
	b.st = nil
	return b.seg.Close()
}

// GobEncode lets a Barrier travel to a child as an argument, without its
// action.
func (b *Barrier) GobEncode() ([]byte, error) { return encodeSharedSegment(b.seg, barrierShape) }

// GobDecode maps a Barrier received from another process.
func (b *Barrier) GobDecode(data []byte) error {
	seg, _, err := decodeSharedSegment(data, barrierShape)
	if err != nil {
		return err
	}
	*b = *barrierIn(seg)
	return nil
}
