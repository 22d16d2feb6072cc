package process

import (
	"context"
	"log/slog"

	"github.com/concurgo/concur"
)

// AsyncResult is the eventual result of ApplyAsync, MapAsync or
// StarmapAsync: Python's multiprocessing.pool.AsyncResult. Its methods are
// safe for concurrent use.
//
// Unlike Python's, it has a Done channel to select on, and its callbacks
// are added with methods (Python takes them as arguments of apply_async
// and map_async), so that they are typed; one added after the result is
// ready runs at once.
type AsyncResult[R any] struct {
	c     *poolCall
	value func() R // the value of a call that succeeded
}

// Get waits for the result and returns it: Python's get(timeout). A call
// that failed returns its error — for MapAsync, the error of the first
// item that failed, in input order, and no values. If ctx ends first, Get
// returns ctx.Err() (context.DeadlineExceeded for a timeout) and the call
// goes on, as in Python; the context given to ApplyAsync or MapAsync is
// the one that stops the call.
func (r *AsyncResult[R]) Get(ctx context.Context) (R, error) {
	if err := r.Wait(ctx); err != nil {
		var zero R
		return zero, err
	}
	return r.result()
}

func (r *AsyncResult[R]) result() (R, error) {
	if err := r.c.outcome(); err != nil {
		var zero R
		return zero, err
	}
	return r.value(), nil
}

// Wait waits until the result is ready: Python's wait(timeout). It
// returns nil then, whatever the outcome, or ctx.Err() if ctx ends first.
func (r *AsyncResult[R]) Wait(ctx context.Context) error {
	select {
	case <-r.c.done:
		return nil
	default:
	}
	select {
	case <-r.c.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Done returns a channel that is closed when the result is ready.
func (r *AsyncResult[R]) Done() <-chan struct{} { return r.c.done }

// Ready reports whether the call has completed: Python's ready().
func (r *AsyncResult[R]) Ready() bool {
	select {
	case <-r.c.done:
		return true
	default:
		return false
	}
}

// Successful reports whether the call completed without an error:
// Python's successful(). Like Python's, which raises ValueError, it
// panics if the result is not ready yet.
func (r *AsyncResult[R]) Successful() bool {
	if !r.Ready() {
		panic("process: AsyncResult.Successful called before the result is ready")
	}
	return r.c.outcome() == nil
}

// AddCallback arranges for fn to be called with the value when the call
// succeeds: Python's callback argument. AddErrorCallback is its
// error_callback. A callback runs in the goroutine that completes the
// result — the pool's goroutine that received it from the worker — before
// the result is ready, so that whoever waits for it finds the callbacks
// run; or at once, in the caller, if the result is already complete. As
// in Python, a callback should return quickly, since it holds up that
// worker's results, and must not wait for its own result. A callback
// that panics is logged with log/slog, and the panic goes no further.
func (r *AsyncResult[R]) AddCallback(fn func(R)) {
	if fn == nil {
		panic("process: AddCallback with a nil func")
	}
	r.c.onDone(func() {
		if v, err := r.result(); err == nil {
			runCallback(func() { fn(v) })
		}
	})
}

// AddErrorCallback arranges for fn to be called with the error when the
// call fails: Python's error_callback. See AddCallback.
func (r *AsyncResult[R]) AddErrorCallback(fn func(error)) {
	if fn == nil {
		panic("process: AddErrorCallback with a nil func")
	}
	r.c.onDone(func() {
		if _, err := r.result(); err != nil {
			runCallback(func() { fn(err) })
		}
	})
}

func runCallback(fn func()) {
	defer func() {
		if v := recover(); v != nil {
			p := concur.NewPanicError(v)
			slog.Error("process: panic in a pool result callback", "panic", p.Value, "stack", string(p.Stack))
		}
	}()
	fn()
}
