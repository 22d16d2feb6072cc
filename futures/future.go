package futures

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"

	"github.com/concurgo/concur"
)

// State is where a Future is in its life: exactly Python's states.
// Pending → Running → Finished, or Pending → Cancelled. Python's internal
// CANCELLED_AND_NOTIFIED has no counterpart: a future is notified in the
// same step that cancels it, so no observer can see it cancelled but not
// yet done.
type State int32

const (
	Pending   State = iota // submitted, not started; Cancel succeeds
	Running                // the call is running; Cancel fails
	Cancelled              // cancelled before it ran; done
	Finished               // the call returned (a value or an error); done
)

var stateNames = [...]string{"pending", "running", "cancelled", "finished"}

func (s State) String() string {
	if s >= 0 && int(s) < len(stateNames) {
		return stateNames[s]
	}
	return fmt.Sprintf("State(%d)", int32(s))
}

// Done reports whether s is Cancelled or Finished: Python's Future.done().
func (s State) Done() bool { return s == Cancelled || s == Finished }

// ErrCancelled is the error of a cancelled future: Python's
// concurrent.futures.CancelledError. A future cancelled because the
// context given to Submit ended has an error that also matches that
// context's cause, so errors.Is(err, context.DeadlineExceeded) holds for a
// call that timed out in the queue.
var ErrCancelled = errors.New("futures: cancelled")

// ErrInvalidState is returned by Promise.Resolve on a future that is
// already done: Python's InvalidStateError.
var ErrInvalidState = errors.New("futures: invalid state")

// closedChan is what Done returns for a future that is already done, so
// that waiting on a finished future never allocates.
var closedChan = func() chan struct{} {
	ch := make(chan struct{})
	close(ch)
	return ch
}()

// core is the part of a future that does not depend on its result type:
// the state machine and the notification of waiters. Wait and AsCompleted
// work on cores, so they accept futures of any result type.
//
// The state is an atomic so that reading a finished future's outcome and
// starting a call take no lock. Every move to a terminal state happens
// under mu, after the outcome is written, so a reader that loads a
// terminal state sees the outcome, and Done and the hooks, which are
// registered under mu, never miss the notification.
type core struct {
	state atomic.Int32
	mu    sync.Mutex
	done  chan struct{} // made by the first Done before completion; closed on completion
	err   error         // the outcome's error; written under mu before the terminal state
	hooks []hook        // run once, by whoever completes the future
	// The context watch set by Promise.Bind (see ctxWatch): the watch,
	// and, guarded by its mu, whether this future is in it and its
	// neighbours there.
	watch                *ctxWatch
	bound                bool
	watchPrev, watchNext *core
	owner                *pool // the ThreadPoolExecutor the call was queued in, if any
}

// hook is a done callback or a Wait/AsCompleted watcher. A watcher is a
// channel with room for every future it watches, so notifying never
// blocks the goroutine that completes a future.
type hook struct {
	fn    func()
	watch chan<- *core
}

func (c *core) futureCore() *core { return c }

func (c *core) load() State { return State(c.state.Load()) }

func (c *core) doneChan() <-chan struct{} {
	if c.load().Done() {
		return closedChan
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.load().Done() {
		return closedChan
	}
	if c.done == nil {
		c.done = make(chan struct{})
	}
	return c.done
}

// start moves a pending future to Running and reports whether it did.
func (c *core) start() bool {
	if !c.state.CompareAndSwap(int32(Pending), int32(Running)) {
		return false
	}
	c.release()
	return true
}

// settlePending moves a pending future to the terminal state to with err
// as its outcome, and reports whether it did; a future that has started or
// is done is left alone (cancelled stays cancelled, and reports true when
// to is Cancelled, as Python's cancel() does).
func (c *core) settlePending(to State, err error) bool {
	c.mu.Lock()
	switch c.load() {
	case Pending:
		// Written before the state can publish it. If start wins the race
		// below, the runner overwrites err under mu before finishing.
		c.err = err
		if c.state.CompareAndSwap(int32(Pending), int32(to)) {
			c.notifyAndUnlock()
			return true
		}
	case Cancelled:
		c.mu.Unlock()
		return to == Cancelled
	}
	c.mu.Unlock()
	return false
}

// notifyAndUnlock wakes everyone waiting for the future, which has just
// become done. It is called with mu held and releases it before running
// callbacks, so a callback may use the future freely.
func (c *core) notifyAndUnlock() {
	ch, hooks := c.done, c.hooks
	c.hooks = nil
	c.mu.Unlock()
	if ch != nil {
		close(ch)
	}
	for _, h := range hooks {
		if h.watch != nil {
			h.watch <- c
		} else {
			h.fn()
		}
	}
}

// addHook registers h, or reports false if the future is already done.
func (c *core) addHook(h hook) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.load().Done() {
		return false
	}
	c.hooks = append(c.hooks, h)
	return true
}

// unwatch removes the watcher ch, if the future has not consumed it.
func (c *core) unwatch(ch chan<- *core) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i, h := range c.hooks {
		if h.watch == ch {
			c.hooks = append(c.hooks[:i], c.hooks[i+1:]...)
			return
		}
	}
}

// raised reports whether the future finished with an error (Python: the
// call raised). A cancelled future did not raise.
func (c *core) raised() bool { return c.load() == Finished && c.err != nil }

// Future is the eventual result of a call: Python's
// concurrent.futures.Future. Submit and Map make futures; an Executor
// implementation makes them with a Promise. All methods are safe for
// concurrent use.
//
// Unlike Python's, a Future's result is typed, its timeouts are context
// deadlines, and Done returns a channel, so a future can be selected on
// together with a context and a timer.
type Future[T any] struct {
	core
	val T // written under mu before the state becomes Finished
}

// Result waits until the future is done and returns the call's value and
// error: Python's result(timeout). A cancelled future returns an error
// matching ErrCancelled. If ctx ends first, Result returns ctx.Err()
// (context.DeadlineExceeded for a timeout) and the call goes on; a future
// that is already done returns its outcome even if ctx has ended.
func (f *Future[T]) Result(ctx context.Context) (T, error) {
	if !f.load().Done() {
		if f.owner != nil && f.owner == workerPool() {
			// A worker waits for a call of its own pool (see
			// ThreadPoolExecutor).
			f.owner.block()
			defer f.owner.unblock()
		}
		select {
		case <-f.Done():
		case <-ctx.Done():
			if !f.load().Done() {
				var zero T
				return zero, ctx.Err()
			}
		}
	}
	return f.val, f.err
}

// Err returns the error of a done future: the call's error, or one
// matching ErrCancelled. It returns nil while the future is pending or
// running, and for a call that succeeded — like context.Context.Err, so
// use Done or State to tell those apart. Python's exception() waits;
// Result(ctx) is the waiting form here.
func (f *Future[T]) Err() error {
	if !f.load().Done() {
		return nil
	}
	return f.err
}

// Done returns a channel that is closed when the future is done (finished
// or cancelled).
func (f *Future[T]) Done() <-chan struct{} { return f.doneChan() }

// State returns the future's current state.
func (f *Future[T]) State() State { return f.load() }

// Running reports whether the call is running: Python's running().
func (f *Future[T]) Running() bool { return f.load() == Running }

// Cancelled reports whether the future was cancelled: Python's cancelled().
func (f *Future[T]) Cancelled() bool { return f.load() == Cancelled }

// Cancel cancels the call if it has not started, and reports whether the
// future is now cancelled: Python's cancel(). A running or finished call
// cannot be cancelled (a goroutine cannot be stopped from outside; a call
// that should stop early watches the context it was given). A cancelled
// future is done at once: Done is closed, callbacks have run and every
// Wait and AsCompleted sees it before Cancel returns.
func (f *Future[T]) Cancel() bool {
	if !f.settlePending(Cancelled, ErrCancelled) {
		return false
	}
	f.release()
	return true
}

// AddDoneCallback arranges for fn to be called with the future when it is
// done, in the goroutine that completes it; if the future is already done,
// fn is called at once, in the caller's goroutine. Callbacks run in the
// order they were added. A callback that panics is logged with slog and
// the panic goes no further, as Python logs an exception from a callback.
func (f *Future[T]) AddDoneCallback(fn func(*Future[T])) {
	if fn == nil {
		panic("futures: AddDoneCallback with a nil func")
	}
	call := func() { runCallback(f, fn) }
	if !f.addHook(hook{fn: call}) {
		call()
	}
}

func runCallback[T any](f *Future[T], fn func(*Future[T])) {
	defer func() {
		if r := recover(); r != nil {
			p := concur.NewPanicError(r)
			slog.Error("futures: panic in done callback", "future", f.String(), "panic", p.Value, "stack", string(p.Stack))
		}
	}()
	fn(f)
}

// String describes the future as Python's repr does, for logs and
// debugging.
func (f *Future[T]) String() string {
	switch s := f.load(); s {
	case Finished:
		if f.err != nil {
			return fmt.Sprintf("<Future at %p state=finished raised %T>", f, f.err)
		}
		return fmt.Sprintf("<Future at %p state=finished returned %T>", f, f.val)
	default:
		return fmt.Sprintf("<Future at %p state=%v>", f, s)
	}
}

// resolve finishes the future with v and err unless it is already done.
func (f *Future[T]) resolve(v T, err error) bool {
	f.mu.Lock()
	if f.load().Done() {
		f.mu.Unlock()
		return false
	}
	f.val, f.err = v, err
	f.state.Store(int32(Finished))
	f.notifyAndUnlock()
	return true
}

// Promise is the write side of a Future, for Executor implementations and
// other code that completes futures itself: Python's
// Future.set_running_or_notify_cancel, set_result and set_exception. The
// zero Promise holds a pending future ready to use; a Promise must not be
// copied after first use.
type Promise[T any] struct {
	f Future[T]
}

// Future returns the future this promise completes.
func (p *Promise[T]) Future() *Future[T] { return &p.f }

// Start moves the pending future to Running and reports whether the call
// should now run: Python's set_running_or_notify_cancel. It returns false
// if the future was cancelled or has already been started, in which case
// the call must not run.
func (p *Promise[T]) Start() bool { return p.f.start() }

// Resolve finishes the future with the call's outcome: a value and a nil
// error (Python's set_result) or an error (set_exception). A future that
// is already done is left as it is and Resolve returns an error matching
// ErrInvalidState.
func (p *Promise[T]) Resolve(v T, err error) error {
	if !p.f.resolve(v, err) {
		return fmt.Errorf("%w: %v", ErrInvalidState, &p.f)
	}
	return nil
}

// Fail finishes the future with err if it has not started, and reports
// whether it did. An executor that can no longer run a queued call (a
// broken pool) fails it instead.
func (p *Promise[T]) Fail(err error) bool {
	if !p.f.settlePending(Finished, err) {
		return false
	}
	p.f.release()
	return true
}

// Cancel is the future's Cancel. With Fail it makes a type that embeds a
// Promise a Task as soon as it has a Run method.
func (p *Promise[T]) Cancel() bool { return p.f.Cancel() }

// Bind ties the pending future to ctx: if ctx ends before Start, the
// future is cancelled at once, with an error matching both ErrCancelled
// and ctx's cause. Call Bind before handing the future to anyone else;
// Start, Cancel and Fail release the binding.
func (p *Promise[T]) Bind(ctx context.Context) {
	if ctx.Done() == nil {
		return
	}
	if ctx.Err() != nil {
		p.f.settlePending(Cancelled, cancelledBy(ctx))
		return
	}
	bindCore(&p.f.core, ctx)
}

func cancelledBy(ctx context.Context) error {
	return fmt.Errorf("%w: %w", ErrCancelled, context.Cause(ctx))
}
