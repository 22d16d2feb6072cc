package futures

import (
	"context"
	"errors"

	"github.com/concurgo/concur"
)

// Executor runs Tasks: Python's concurrent.futures.Executor. It is not
// generic — Go interfaces cannot have generic methods — so typed calls go
// through package-level functions (Submit, Map) that wrap each call and
// its *Future[T] in a Task.
//
// # Writing an executor
//
// Execute queues the task and returns at once; it never runs the task in
// the caller and never blocks for lack of workers. Eventually the executor
// calls the task's Run in a worker of its own, exactly once, or Cancel
// (Shutdown with CancelFutures) or Fail (the executor broke) instead.
// After Shutdown, Execute returns an error matching ErrShutdown; an
// executor that can no longer work returns one matching ErrBroken.
//
// An executor may accept only some kinds of task. A process-backed
// executor cannot run a Go closure in another process: it accepts the
// tasks made for functions registered by name (which carry the name and
// the encoded argument beside Run, as a further interface the executor
// asserts) and returns an error for any other task. Those registered-call
// tasks also run in a ThreadPoolExecutor, through Run, so one front end
// serves both kinds of executor.
type Executor interface {
	// Execute queues t to run.
	Execute(t Task) error
	// Shutdown stops the executor accepting tasks and, unless NoWait is
	// given, waits until every queued and running task is done or ctx
	// ends: Python's shutdown(wait, cancel_futures).
	Shutdown(ctx context.Context, opts ...ShutdownOption) error
}

// Task is one submitted call as an Executor sees it: its argument and
// result types are erased, and it completes its own future. Submit and
// Map make tasks from Go funcs. To write another kind, embed a Promise,
// which provides Cancel and Fail, and add a Run that calls Start and then
// Resolve; hand it to an executor with Schedule.
type Task interface {
	// Run runs the call in the calling goroutine and completes its future,
	// unless the future was cancelled (or started) first, in which case Run
	// does nothing.
	Run()
	// Cancel cancels the call if it has not started and reports whether
	// its future is cancelled: Python's Future.cancel.
	Cancel() bool
	// Fail completes the future with err if the call has not started, and
	// reports whether it did.
	Fail(err error) bool
}

// ErrShutdown is returned by Execute and Submit after Shutdown: Python's
// RuntimeError('cannot schedule new futures after shutdown').
var ErrShutdown = errors.New("futures: cannot schedule new futures after shutdown")

// ErrBroken is matched by the error of a future, and of Submit, when the
// executor can no longer run calls — for a ThreadPoolExecutor, because its
// initializer failed. Python's BrokenExecutor (BrokenThreadPool).
var ErrBroken = errors.New("futures: executor is broken")

// ShutdownOption configures Shutdown.
type ShutdownOption func(*shutdownConfig)

type shutdownConfig struct {
	noWait        bool
	cancelFutures bool
}

// NoWait makes Shutdown return at once instead of waiting for the queued
// and running calls: Python's shutdown(wait=False). The calls still run
// (unless CancelFutures is also given); nothing waits for them at program
// exit, unlike Python, whose interpreter joins pool threads at exit.
func NoWait() ShutdownOption { return func(c *shutdownConfig) { c.noWait = true } }

// CancelFutures makes Shutdown cancel every call that has not started:
// Python's shutdown(cancel_futures=True).
func CancelFutures() ShutdownOption { return func(c *shutdownConfig) { c.cancelFutures = true } }

func shutdownOptions(opts []ShutdownOption) shutdownConfig {
	var c shutdownConfig
	for _, o := range opts {
		o(&c)
	}
	return c
}

// Submit schedules fn(ctx) on e and returns its future: Python's
// Executor.submit. It returns an error, and no future, if e does not
// accept the call (ErrShutdown, ErrBroken).
//
// ctx is the call's context. If it ends before the call starts, the future
// is cancelled at once (its error matches ErrCancelled and ctx's cause)
// and the call never runs; if it is already done, Submit returns a
// cancelled future without queuing anything. A running call sees ctx end
// through ctx itself. A panic in fn becomes the future's error as a
// *concur.PanicError; runtime.Goexit becomes concur.ErrGoexit.
func Submit[T any](ctx context.Context, e Executor, fn func(context.Context) (T, error)) (*Future[T], error) {
	if fn == nil {
		panic("futures: Submit with a nil func")
	}
	c := &call[T]{ctx: ctx, fn: fn}
	return Schedule(ctx, e, c, &c.Promise)
}

// Schedule hands t, whose future p completes, to e: Submit for a Task
// written outside this package, such as one that calls a function
// registered for a process executor. It binds p's future to ctx (see
// Promise.Bind) and queues t, unless ctx has already cancelled the future,
// which is then returned without queuing anything. If e refuses t,
// Schedule returns e's error and releases the binding.
func Schedule[T any](ctx context.Context, e Executor, t Task, p *Promise[T]) (*Future[T], error) {
	if o, ok := e.(interface{ owner() *pool }); ok {
		p.f.owner = o.owner()
	}
	p.Bind(ctx)
	if p.f.Cancelled() {
		return &p.f, nil
	}
	if err := e.Execute(t); err != nil {
		p.f.release()
		return nil, err
	}
	return &p.f, nil
}

// call is the Task Submit makes: a Go func and the context to call it
// with. Its Future is its first field's, so a call is one allocation.
type call[T any] struct {
	Promise[T]
	ctx context.Context
	fn  func(context.Context) (T, error)
}

func (c *call[T]) Run() {
	if c.Start() {
		runGuarded(&c.f, func() (T, error) { return c.fn(c.ctx) })
		// The future outlives the call: let go of what only the call needed.
		c.fn, c.ctx = nil, nil
	}
}

// runGuarded runs a started call and resolves f with its outcome, a panic
// as a *concur.PanicError, or concur.ErrGoexit. In the Goexit case f is
// resolved while the goroutine unwinds, so its waiters wake before the
// executor replaces the worker.
func runGuarded[T any](f *Future[T], fn func() (T, error)) {
	var v T
	concur.Guard(func() (err error) {
		v, err = fn()
		return err
	}, func(err error) { f.resolve(v, err) })
}
