package process

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"syscall"
	"time"
)

// Pool runs registered functions on a fixed number of warm workers:
// Python's multiprocessing.Pool (NewPool, worker processes) and
// multiprocessing.pool.ThreadPool (NewThreadPool, worker goroutines), with
// one engine and one API for both. Go has no generic methods, so the
// calls are package functions that take the pool:
//
//	pool, err := process.NewPool(4)
//	if err != nil {
//		return err
//	}
//	defer pool.Terminate()
//	squares, err := process.Map(ctx, pool, Square, []int{1, 2, 3}) // pool.map
//	v, err := process.Apply(ctx, pool, Square, 7)                   // pool.apply
//	for v, err := range process.Imap(ctx, pool, Square, xs) { ... } // pool.imap
//
// Map, MapAsync, Starmap and Imap split their input into chunks; each
// chunk travels to a worker as one message and its results come back
// together, which is what makes a process pool fast on small items. The
// default chunk size is Python's: for Map, len/(4*workers) rounded up;
// for Imap, 1 (see Chunksize).
//
// # What Python's Pool lacks
//
// A worker that dies — SIGKILL, the OOM killer, os.Exit, a crash in cgo
// — takes only the item it was running: that item fails with an
// *ExitError naming the worker's pid, exit status and signal (or runs
// again, see WithRetries); the items of its chunk that it had not reached
// go to another worker, the worker is replaced, and everything else goes
// on. CPython's Pool hangs instead (gh-66587), and its
// ProcessPoolExecutor breaks every pending future; WithFailFast asks for
// the latter. WithTaskTimeout kills and replaces a worker whose item runs
// too long, which CPython cannot do. The context given to each call stops
// it: when it ends, the call's queued items are dropped and the workers
// running its items are killed and replaced. Workers exit when the
// program that owns the pool dies, however it dies.
//
// A Pool's methods are safe for concurrent use. A Pool that becomes
// unreachable is closed (as by Close) once the garbage collector notices,
// so that its workers exit when its queued work is done.
type Pool struct {
	e *poolEngine
}

// A PoolOption configures a Pool.
type PoolOption func(*poolConfig)

type poolConfig struct {
	size         int
	init         *poolInit
	maxTasks     int
	timeout      time.Duration
	retries      int
	failFast     bool
	onDemand     bool
	stdout       io.Writer
	stderr       io.Writer
	startTimeout time.Duration
}

// poolInit is a pool's initializer, in the two forms its two kinds of
// worker need.
type poolInit struct {
	name   string
	encode func() ([]byte, []*os.File, error)
	local  func(ctx context.Context) error
	arg    []byte     // encoded, for worker processes
	files  []*os.File // the handles the argument carries, duplicated for the pool's lifetime
}

// WithInitializer makes every worker run fn(arg) before its first task:
// Python's initializer and initargs. A process worker runs it in its own
// process, so it is how per-process state is set up (a connection, a
// cache), and the argument may carry OS handles — Files, Conns, shared
// Values, locks — which a task's argument cannot: Python passes
// synchronized objects to pool workers the same way. The pool keeps its
// own duplicates of those handles, so the caller may close them once
// NewPool returns.
//
// If fn returns an error or panics, the pool is broken (ErrBrokenPool):
// CPython's Pool would start replacement workers forever instead.
func WithInitializer[A, R any](fn *Func[A, R], arg A) PoolOption {
	if fn == nil {
		panic("process: WithInitializer with a nil Func")
	}
	init := &poolInit{
		name:   fn.name,
		encode: func() ([]byte, []*os.File, error) { return fn.encodeArg(arg) },
		local: func(ctx context.Context) error {
			_, err := fn.fn(ctx, arg)
			return err
		},
	}
	return func(c *poolConfig) { c.init = init }
}

// WithMaxTasksPerChild makes a worker exit after n tasks, and a fresh one
// take its place: Python's maxtasksperchild, for work that leaks memory or
// other resources. A chunk counts as one task, as in Python. It panics if
// n < 1 (Python: ValueError).
func WithMaxTasksPerChild(n int) PoolOption {
	if n < 1 {
		panic("process: WithMaxTasksPerChild needs a positive number of tasks")
	}
	return func(c *poolConfig) { c.maxTasks = n }
}

// WithTaskTimeout bounds the time one item may run. A process worker
// whose item runs longer is killed (SIGKILL) and replaced; the item fails
// with a *TaskTimeoutError, which matches context.DeadlineExceeded, and
// the rest of its chunk goes to another worker. A goroutine cannot be
// killed: in a thread pool the item's context is cancelled, the item
// fails at once, and its worker is replaced while the abandoned goroutine
// runs on until the function returns. Python's pools have no per-task
// timeout. It panics if d is not positive.
func WithTaskTimeout(d time.Duration) PoolOption {
	if d <= 0 {
		panic("process: WithTaskTimeout with a non-positive duration")
	}
	return func(c *poolConfig) { c.timeout = d }
}

// WithRetries runs an item again, up to n more times, when the worker
// running it dies or is killed by WithTaskTimeout, instead of failing it.
// An item that returns an error or panics is not retried: that is its
// result. Python has no such option. It panics if n < 0.
func WithRetries(n int) PoolOption {
	if n < 0 {
		panic("process: WithRetries with a negative count")
	}
	return func(c *poolConfig) { c.retries = n }
}

// WithFailFast makes the death of a worker break the pool, as it does
// CPython's ProcessPoolExecutor (BrokenProcessPool): every pending item,
// and every later call, fails with an error matching ErrBrokenPool and
// wrapping the worker's *ExitError. Without it, only the item the worker
// was running fails.
func WithFailFast() PoolOption { return func(c *poolConfig) { c.failFast = true } }

// WithOnDemandWorkers starts workers only when tasks wait for one, up to
// the pool's size, as CPython's ProcessPoolExecutor does, instead of all
// of them at once, as its Pool does. Idle workers are kept.
func WithOnDemandWorkers() PoolOption { return func(c *poolConfig) { c.onDemand = true } }

// WithWorkerOutput sends the standard output and error of worker
// processes to stdout and stderr instead of this process's (see
// WithStdout for how a writer that is not a file is fed). A thread pool
// ignores it: its workers share this process's output.
func WithWorkerOutput(stdout, stderr io.Writer) PoolOption {
	return func(c *poolConfig) { c.stdout, c.stderr = stdout, stderr }
}

// Errors of a Pool's calls.
var (
	// ErrPoolClosed is returned by calls on a pool after Close: Python's
	// ValueError("Pool not running").
	ErrPoolClosed = errors.New("process: pool is closed")
	// ErrPoolTerminated is the error of the items that Terminate stopped,
	// and of calls on the pool after Terminate.
	ErrPoolTerminated = errors.New("process: pool was terminated")
	// ErrBrokenPool is matched by the error of every call on a pool that
	// can no longer run anything: its initializer failed, a worker could
	// not be started, or, with WithFailFast, a worker died. Python's
	// BrokenProcessPool.
	ErrBrokenPool = errors.New("process: pool is broken")
)

// TaskTimeoutError is the error of an item that ran longer than
// WithTaskTimeout allows. It matches context.DeadlineExceeded.
type TaskTimeoutError struct {
	Func    string        // the registered function
	Timeout time.Duration // the limit
	Worker  string        // the worker that was killed (process) or abandoned (thread)
	Pid     int           // its pid, or 0 for a thread pool's worker
}

func (e *TaskTimeoutError) Error() string {
	if e.Pid == 0 {
		return fmt.Sprintf("process: %s ran longer than its task timeout of %v in %s", e.Func, e.Timeout, e.Worker)
	}
	return fmt.Sprintf("process: %s ran longer than its task timeout of %v; worker %s (pid %d) was killed",
		e.Func, e.Timeout, e.Worker, e.Pid)
}

// Is makes a TaskTimeoutError match context.DeadlineExceeded.
func (e *TaskTimeoutError) Is(target error) bool { return target == context.DeadlineExceeded }

func poolOptions(size int, opts []PoolOption) poolConfig {
	if size < 0 {
		panic("process: a pool needs a positive number of workers (or 0 for CPUCount)")
	}
	if size == 0 {
		size = CPUCount()
	}
	c := poolConfig{size: size, stdout: os.Stdout, stderr: os.Stderr, startTimeout: defaultStartTimeout}
	for _, o := range opts {
		o(&c)
	}
	return c
}

// NewPool starts a pool of n worker processes — this binary re-executed,
// as New starts one — and returns once they are started: Python's
// Pool(processes=n). n == 0 means CPUCount(), Python's default; a
// negative n panics. The workers stay warm until Close or Terminate.
//
// NewPool returns ErrMainNotCalled (within an ErrBrokenPool error) if the
// program did not call Main, an *EncodeError if the argument of
// WithInitializer cannot be encoded, or the error of starting a worker.
func NewPool(n int, opts ...PoolOption) (*Pool, error) {
	cfg := poolOptions(n, opts)
	if init := cfg.init; init != nil {
		arg, files, err := init.encode()
		if err != nil {
			return nil, err
		}
		init.arg = arg
		for _, f := range files {
			fd, err := syscall.Dup(int(f.Fd()))
			if err != nil {
				closeFiles(init.files)
				return nil, fmt.Errorf("process: keeping an initializer's file: %w", os.NewSyscallError("dup", err))
			}
			syscall.CloseOnExec(fd)
			init.files = append(init.files, os.NewFile(uintptr(fd), f.Name()))
		}
	}
	p := newPool(cfg, procKind{})
	p.e.mu.Lock()
	broken := p.e.stopErr
	p.e.mu.Unlock()
	if broken != nil {
		p.Terminate()
		return nil, broken
	}
	return p, nil
}

// NewThreadPool starts a pool of n worker goroutines with the API of a
// process pool: Python's multiprocessing.pool.ThreadPool. n == 0 means
// CPUCount(); a negative n panics. It runs the same registered functions
// in this process, with no encoding, so a program can switch between
// threads and processes by changing the constructor. A worker runs the
// Func directly, panics included (they fail the item, as in a process).
//
// Differences from a process pool follow from goroutines: nothing can
// kill one, so WithTaskTimeout and a cancelled context abandon a running
// item (its context is cancelled, and it fails at once) and Terminate
// waits for nothing; a worker cannot die, except by runtime.Goexit in
// the function, which fails that item and is otherwise harmless.
func NewThreadPool(n int, opts ...PoolOption) *Pool {
	return newPool(poolOptions(n, opts), threadKind{})
}

func newPool(cfg poolConfig, kind workerKind) *Pool {
	e := newPoolEngine(cfg, kind)
	p := &Pool{e: e}
	runtime.AddCleanup(p, func(e *poolEngine) { e.close() }, e)
	e.mu.Lock()
	var work pending
	e.scheduleLocked(&work)
	e.unlockAndRun(&work)
	return p
}

func closeFiles(files []*os.File) {
	for _, f := range files {
		f.Close()
	}
}

// Close stops the pool accepting calls: Python's close(). The queued and
// running items complete, and then the workers exit. Calls after Close
// return ErrPoolClosed.
func (p *Pool) Close() { p.e.close() }

// Terminate stops the workers at once and returns when they are gone:
// Python's terminate(). Worker processes are killed with SIGKILL (Python
// sends SIGTERM, which a function that handles signals could ignore);
// every item not finished fails with ErrPoolTerminated, so no caller is
// left waiting, and so do later calls. In a thread pool the running items' contexts are
// cancelled and nothing waits for them. Terminate may be called more
// than once, and after Close.
func (p *Pool) Terminate() { p.e.terminate() }

// Join waits for the workers to exit after Close or Terminate: Python's
// join(). If ctx ends first it returns ctx.Err(). It panics if the pool
// was neither closed nor terminated (Python: ValueError).
func (p *Pool) Join(ctx context.Context) error {
	p.e.mu.Lock()
	running := p.e.state == poolRunning
	p.e.mu.Unlock()
	if running {
		panic("process: Pool.Join before Close or Terminate")
	}
	select {
	case <-p.e.gone:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Size returns the number of workers the pool keeps.
func (p *Pool) Size() int { return p.e.cfg.size }
