package thread

import (
	"sync/atomic"
	"time"
)

// Timer is a Thread that calls a function once an interval has passed,
// unless cancelled first. Python: threading.Timer, a Thread subclass; here
// Timer embeds *Thread, so it is started, joined and named like one.
//
// The function's outcome is the thread's outcome: Join returns it, and an
// error or panic goes to the except hook.
type Timer struct {
	*Thread
	interval time.Duration
	fn       func() error
	phase    atomic.Int32 // timerPending, then timerFired or timerCancelled
	cancel   chan struct{}
}

const (
	timerPending int32 = iota
	timerFired
	timerCancelled
)

// NewTimer returns a Timer that, once started, waits interval and then
// calls fn in its own thread. It panics if fn is nil. Python:
// Timer(interval, function, args=None, kwargs=None); arguments travel by
// closure.
func NewTimer(interval time.Duration, fn func() error, opts ...Option) *Timer {
	if fn == nil {
		panic("thread: NewTimer with nil function")
	}
	t := &Timer{interval: interval, fn: fn, cancel: make(chan struct{})}
	t.Thread = newThread(t.run, true, opts)
	return t
}

func (t *Timer) run() error {
	timer := time.NewTimer(t.interval)
	defer timer.Stop()
	select {
	case <-timer.C:
	case <-t.cancel:
		return nil
	}
	if !t.phase.CompareAndSwap(timerPending, timerFired) {
		return nil // cancelled as the interval ended
	}
	return t.fn()
}

// Cancel stops the timer if its function has not started yet, before or
// after Start, and reports whether it did; the function then never runs and
// the thread (if started) stops at once. It returns false if the function
// has already started or the timer was already cancelled. Python: cancel(),
// which returns None; the result here is time.Timer.Stop's.
func (t *Timer) Cancel() bool {
	if t.phase.CompareAndSwap(timerPending, timerCancelled) {
		close(t.cancel)
		return true
	}
	return false
}
