package process

import (
	"context"
	"sync/atomic"
	"unsafe"

	"github.com/concurgo/concur/internal/futex"
	"github.com/concurgo/concur/internal/shm"
)

// Event is a flag shared between processes that goroutines of any of them
// can wait for: Python's multiprocessing.Event. Create it with NewEvent
// and pass it to children as an argument. It has no owner, so a process
// dying does not affect it.
type Event struct {
	seg *shm.Segment
	st  *eventState
}

// eventState is an Event in shared memory. Waiters sleep on gen, which
// each Set that changes the flag advances, so that a Set followed at once
// by a Clear still releases every goroutine that was waiting, as in
// Python.
type eventState struct {
	flag    atomic.Uint32 // 1 when set
	gen     uint32        // the futex word
	waiters atomic.Uint32 // goroutines in Wait's slow path, any process
}

var eventShape = sharedShape{kind: kindEvent}

// NewEvent creates an Event that is not set.
func NewEvent() (*Event, error) {
	seg, err := newSharedSegment(eventShape, sharedHeaderSize+int(unsafe.Sizeof(eventState{})))
	if err != nil {
		return nil, err
	}
	return eventIn(seg), nil
}

func eventIn(seg *shm.Segment) *Event {
	return &Event{seg: seg, st: (*eventState)(seg.At(sharedHeaderSize, unsafe.Sizeof(eventState{})))}
}

func (e *Event) state() *eventState {
	if e.st == nil {
		panicClosed(kindEvent)
	}
	return e.st
}

// IsSet reports whether the flag is set: Python's is_set().
func (e *Event) IsSet() bool {
	if e.state().flag.Load() == 0 {
		return false
	}
	sharedRaceAcquire()
	return true
}

// Set sets the flag and wakes every waiter, in every process: Python's
// set().
func (e *Event) Set() {
	st := e.state()
	sharedRaceRelease()
	if st.flag.Swap(1) != 0 {
		return
	}
	atomic.AddUint32(&st.gen, 1)
	// Wait raises waiters before it reads gen, and we read waiters after
	// we advance gen: one of us sees the other.
	if st.waiters.Load() != 0 {
		futex.Wake(&st.gen, futex.All)
	}
}

// Clear resets the flag: Python's clear().
func (e *Event) Clear() { e.state().flag.Store(0) }

// Wait blocks until the flag is set or ctx is done. It returns nil if the
// flag is set, or was set while it waited (even if cleared since), else
// ctx's error. Python: wait(timeout), which returns the flag.
func (e *Event) Wait(ctx context.Context) error {
	if e.st == nil {
		return closedError(kindEvent)
	}
	st := e.st
	if e.IsSet() {
		return nil
	}
	st.waiters.Add(1)
	defer st.waiters.Add(^uint32(0))
	gen := atomic.LoadUint32(&st.gen)
	released := func() bool { return e.IsSet() || atomic.LoadUint32(&st.gen) != gen }
	for !released() {
		if err := futex.WaitContext(ctx, &st.gen, gen, 0); err != nil {
			if released() {
				return nil
			}
			return err
		}
	}
	sharedRaceAcquire()
	return nil
}

// Close unmaps the event in this process; other processes' copies are not
// affected.
func (e *Event) Close() error {
	if e.st == nil {
		return closedError(kindEvent)
	}
	e.st = nil
	return e.seg.Close()
}

// GobEncode lets an Event travel to a child as an argument.
func (e *Event) GobEncode() ([]byte, error) { return encodeSharedSegment(e.seg, eventShape) }

// GobDecode maps an Event received from another process.
func (e *Event) GobDecode(data []byte) error {
	seg, _, err := decodeSharedSegment(data, eventShape)
	if err != nil {
		return err
	}
	*e = *eventIn(seg)
	return nil
}
