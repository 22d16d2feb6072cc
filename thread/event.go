package thread

import (
	"context"
	"sync"
	"sync/atomic"
)

// Event is a flag that goroutines can wait for: Set raises it and wakes
// every waiter, Clear lowers it. Python: threading.Event.
//
// The zero value is a cleared Event. An Event must not be copied after first
// use.
type Event struct {
	flag atomic.Bool
	mu   sync.Mutex    // guards ch and orders Set and Clear
	ch   chan struct{} // closed while the flag is set; nil until someone needs it
}

// IsSet reports whether the flag is set. Python: is_set().
func (e *Event) IsSet() bool { return e.flag.Load() }

// Set raises the flag and wakes every goroutine waiting for it. Python:
// set().
func (e *Event) Set() {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.flag.Load() {
		return
	}
	e.flag.Store(true)
	if e.ch != nil {
		close(e.ch)
	}
}

// Clear lowers the flag, so later waiters block until the next Set. A
// goroutine already woken by a Set still returns from Wait with nil.
// Python: clear().
func (e *Event) Clear() {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.flag.Load() {
		e.flag.Store(false)
		e.ch = nil
	}
}

// Chan returns a channel that is closed once the flag is set, for use in a
// select. After Clear, the flag's next rise closes a new channel: call Chan
// again. Python has no counterpart.
func (e *Event) Chan() <-chan struct{} {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.ch == nil {
		e.ch = make(chan struct{})
		if e.flag.Load() {
			close(e.ch)
		}
	}
	return e.ch
}

// Wait blocks until the flag is set, returning nil, or until ctx is done,
// returning ctx.Err(). If the flag is set Wait returns nil even when ctx is
// already done. Python: wait(timeout), which returns False on timeout.
func (e *Event) Wait(ctx context.Context) error {
	if e.flag.Load() {
		return nil
	}
	ch := e.Chan()
	select {
	case <-ch:
		return nil
	case <-ctx.Done():
	}
	select {
	case <-ch: // set at the same moment: the flag wins
		return nil
	default:
		return ctx.Err()
	}
}
