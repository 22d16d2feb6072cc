package futures

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"sync"

	"github.com/concurgo/concur/process"
)

// ProcessPoolExecutor runs registered functions in worker processes:
// Python's concurrent.futures.ProcessPoolExecutor. It is a process.Pool
// behind the Executor interface, so its futures work with Wait and
// AsCompleted like a ThreadPoolExecutor's. Submit calls with SubmitFunc
// and MapFunc: a process cannot run a Go closure, so Submit and Map,
// which take closures, are refused with ErrNotRegistered.
//
// Like Python's, it starts workers as calls wait for them, up to its
// maximum, and keeps them until Shutdown. Unlike Python's, the death of a
// worker (SIGKILL, the OOM killer, os.Exit, a crash in cgo) fails only the
// call it was running, with a *process.ExitError, and the worker is
// replaced; CPython breaks the whole pool (BrokenProcessPool), which
// process.WithFailFast asks for. Its options are the pool's:
// process.WithInitializer (Python's initializer and initargs),
// process.WithMaxTasksPerChild (max_tasks_per_child), and the pool's
// WithTaskTimeout, WithRetries and WithFailFast, which Python lacks.
type ProcessPoolExecutor struct {
	pool *process.Pool

	mu       sync.Mutex
	shutdown bool
	pending  map[processTask]struct{} // submitted and not started, for CancelFutures
}

// ErrNotRegistered is returned when a ProcessPoolExecutor is given a call
// that is not a registered function — a Go closure, from Submit or Map:
// only a function registered with process.Register can run in another
// process. Python fails the same way when the callable cannot be pickled.
var ErrNotRegistered = errors.New("futures: a ProcessPoolExecutor runs only functions registered with process.Register: " +
	"submit them with SubmitFunc or MapFunc")

// NewProcessPoolExecutor returns an executor of at most maxWorkers worker
// processes: Python's ProcessPoolExecutor(max_workers). maxWorkers == 0
// means process.CPUCount(), Python's default; a negative value panics.
// opts are the options of a process.Pool. It returns process.NewPool's
// errors, such as process.ErrMainNotCalled.
func NewProcessPoolExecutor(maxWorkers int, opts ...process.PoolOption) (*ProcessPoolExecutor, error) {
	pool, err := process.NewPool(maxWorkers, append([]process.PoolOption{process.WithOnDemandWorkers()}, opts...)...)
	if err != nil {
		return nil, err
	}
	return &ProcessPoolExecutor{pool: pool, pending: map[processTask]struct{}{}}, nil
}

// processTask is the Task SubmitFunc makes, as a ProcessPoolExecutor
// runs it: on the pool, rather than through Run.
type processTask interface {
	Task
	applyTo(p *process.Pool, started func(processTask)) error
}

// Execute queues a task made by SubmitFunc. It returns ErrNotRegistered
// for any other task, an error matching ErrShutdown after Shutdown, and
// one matching ErrBroken (and process.ErrBrokenPool) when the pool is
// broken; an argument that cannot be encoded is a *process.EncodeError.
func (e *ProcessPoolExecutor) Execute(t Task) error {
	pt, ok := t.(processTask)
	if !ok {
		return ErrNotRegistered
	}
	e.mu.Lock()
	if e.shutdown {
		e.mu.Unlock()
		return ErrShutdown
	}
	e.pending[pt] = struct{}{}
	e.mu.Unlock()
	if err := pt.applyTo(e.pool, e.started); err != nil {
		e.started(pt)
		return executorError(err)
	}
	return nil
}

func (e *ProcessPoolExecutor) started(t processTask) {
	e.mu.Lock()
	delete(e.pending, t)
	e.mu.Unlock()
}

// executorError translates the pool's errors into the executor's.
func executorError(err error) error {
	switch {
	case errors.Is(err, process.ErrPoolClosed):
		return ErrShutdown
	case errors.Is(err, process.ErrBrokenPool):
		return fmt.Errorf("%w: %w", ErrBroken, err)
	}
	return err
}

// Shutdown stops the executor accepting calls and, unless NoWait is
// given, waits for the queued and running calls to finish and the
// workers to exit, or for ctx to end (then it returns ctx.Err() and the
// calls go on): Python's shutdown(wait, cancel_futures). With
// CancelFutures, the calls submitted by SubmitFunc that have not started
// are cancelled. It may be called more than once.
func (e *ProcessPoolExecutor) Shutdown(ctx context.Context, opts ...ShutdownOption) error {
	cfg := shutdownOptions(opts)
	e.mu.Lock()
	e.shutdown = true
	var cancel []processTask
	if cfg.cancelFutures {
		for t := range e.pending {
			cancel = append(cancel, t)
		}
	}
	e.mu.Unlock()
	for _, t := range cancel {
		t.Cancel()
	}
	e.pool.Close()
	if cfg.noWait {
		return nil
	}
	return e.pool.Join(ctx)
}

// Terminate kills the workers at once, and every call not finished fails
// with process.ErrPoolTerminated: Python's terminate_workers and
// kill_workers (3.14). The executor is shut down.
func (e *ProcessPoolExecutor) Terminate() {
	e.mu.Lock()
	e.shutdown = true
	e.mu.Unlock()
	e.pool.Terminate()
}

// SubmitFunc schedules fn(ctx, arg) on e and returns its future: Python's
// executor.submit(fn, arg) for a function registered with
// process.Register. A ProcessPoolExecutor runs it in a worker process:
// the argument is encoded here, so an argument that cannot travel is an
// error from SubmitFunc, and a panic or error in the worker is the
// future's *process.RemoteError. Any other Executor runs fn in this
// process, as Submit runs a closure.
//
// ctx is the call's context, as for Submit: if it ends before the call
// starts, the future is cancelled; if it ends while the call runs in a
// worker process, the worker is killed (and replaced) and the future's
// error is context.Cause(ctx).
func SubmitFunc[A, R any](ctx context.Context, e Executor, fn *process.Func[A, R], arg A) (*Future[R], error) {
	if fn == nil {
		panic("futures: SubmitFunc with a nil Func")
	}
	t := &funcCall[A, R]{ctx: ctx, fn: fn, arg: arg}
	return Schedule(ctx, e, t, &t.Promise)
}

// funcCall is the Task SubmitFunc makes: a registered function and its
// argument.
type funcCall[A, R any] struct {
	Promise[R]
	ctx context.Context
	fn  *process.Func[A, R]
	arg A
}

// Run runs the call in this process, for executors other than a
// ProcessPoolExecutor.
func (c *funcCall[A, R]) Run() {
	if c.Start() {
		runGuarded(&c.f, func() (R, error) { return c.fn.Call(c.ctx, c.arg) })
		var zero A
		c.fn, c.ctx, c.arg = nil, nil, zero
	}
}

func (c *funcCall[A, R]) applyTo(p *process.Pool, started func(processTask)) error {
	r, err := process.ApplyAsync(c.ctx, p, c.fn, c.arg, process.BeforeStart(func() bool {
		started(c)
		return c.Start()
	}))
	if err != nil {
		return err
	}
	// The future is already done (cancelled) if the call never started;
	// resolve then changes nothing.
	r.AddCallback(func(v R) { c.f.resolve(v, nil) })
	r.AddErrorCallback(func(err error) {
		started(c) // a call dropped before it started is not pending either
		var zero R
		c.f.resolve(zero, executorError(err))
	})
	return nil
}

// MapFunc calls fn on every element of in on e and yields the results in
// input order: Python's executor.map(fn, iterable, chunksize) for a
// registered function. On a ProcessPoolExecutor the elements travel to
// the workers in chunks (process.Chunksize sets their size; 1 by
// default, as in Python) and it is process.Imap: nothing is submitted
// until the range begins, and in is read as the workers need more, so it
// may be endless. On any other executor it is Map with fn run in this
// process, and opts are ignored.
//
// Each result comes with its own error. When ctx ends, the sequence
// yields ctx's cause once and stops, and the calls not finished are
// stopped. After Shutdown, the sequence yields ErrShutdown once.
func MapFunc[A, R any](ctx context.Context, e Executor, fn *process.Func[A, R], in iter.Seq[A], opts ...process.CallOption) iter.Seq2[R, error] {
	if fn == nil {
		panic("futures: MapFunc with a nil Func")
	}
	pe, ok := e.(*ProcessPoolExecutor)
	if !ok {
		return Map(ctx, e, fn.Call, in)
	}
	return func(yield func(R, error) bool) {
		for v, err := range process.Imap(ctx, pe.pool, fn, in, opts...) {
			if !yield(v, executorError(err)) {
				return
			}
		}
	}
}
