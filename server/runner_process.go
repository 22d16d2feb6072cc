package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"

	"github.com/concurgo/concur/process"
)

// Process mode runs each attempt on a warm worker process of a pool that
// the engine starts with the node and stops at shutdown: process.Pool,
// Python's ProcessPoolExecutor, running up to Config.MaxProcesses jobs at
// once — its workers are this binary re-executed by package process,
// which looks the function up by name. That is real isolation: a crash, a leak or a wedged cgo call takes
// only its worker, which the pool replaces, and cancel or timeout kill the
// worker for real (process.Apply kills the worker of a call whose context
// ends) and the pool starts another. Being warm, a job does not pay for a
// process start, and a function's per-process state (a cache, a
// connection) outlives the job. Workers start as jobs first need them, so
// a node that never sees a process job starts none. Config.MaxTasksPerChild
// retires a worker after that many jobs, Python's maxtasksperchild; 1
// gives every attempt a fresh process.
//
// The server's retries stay the only retry mechanism: the pool runs each
// attempt once (no process.WithRetries), so that a worker's death is an
// attempt the job record counts and the backoff spaces.

// processOutcome is what the worker sends back. Every outcome of the
// function travels as data, because an error value cannot cross the
// process boundary with its type: the parent must still know a bad-args
// failure or ErrSkipRetry from a retryable one.
type processOutcome struct {
	Result    []byte
	Err       *JobError
	Retryable bool
}

// registerProcess registers f's process-mode twin. process.Register panics
// when called after process.Main: Register must run during package
// initialization, in every process of the binary.
func registerProcess(f *function) *process.Func[[]byte, processOutcome] {
	return process.Register("concur/server."+f.name, func(ctx context.Context, args []byte) (processOutcome, error) {
		res, err := f.call(ctx, args)
		if err != nil {
			jerr, retryable := classify(err, nil, 0)
			return processOutcome{Err: jerr, Retryable: retryable}, nil
		}
		return processOutcome{Result: res}, nil
	})
}

// settledError carries an outcome already classified elsewhere (in a
// worker process) through to classify.
type settledError struct {
	jerr      *JobError
	retryable bool
}

func (e *settledError) Error() string { return e.jerr.Error() }

// errPoolStopped is the error of an attempt that finds the pool stopped:
// only one that outlived the shutdown's grace period can, and shutdown
// re-queues it.
var errPoolStopped = errors.New("the process pool is stopped")

// processRunner runs process-mode attempts on its pool.
//
// The pool has room for one worker more than the lane has slots, so that
// it never runs more than MaxProcesses jobs but can start a worker while
// another is still on its way out. A worker killed by a cancel or a
// timeout, or retired by MaxTasksPerChild, exits a moment after its
// attempt ends and its slot is free; in a pool of exactly MaxProcesses,
// the next job would either wait for that exit before its worker could
// even start or — since a pool whose workers all hold a task sends the
// next task ahead to a busy one — queue behind an unrelated job that may
// run for an hour. The spare starts only when such a job waits for it.
type processRunner struct {
	size int // the pool's: the lane's slots and a spare
	opts []process.PoolOption
	log  *slog.Logger

	mu      sync.Mutex
	pool    *process.Pool // nil before start and after stop
	stopped bool
}

func newProcessRunner(cfg *Config, log *slog.Logger) *processRunner {
	opts := []process.PoolOption{process.WithOnDemandWorkers()}
	if cfg.MaxTasksPerChild > 0 {
		opts = append(opts, process.WithMaxTasksPerChild(cfg.MaxTasksPerChild))
	}
	return &processRunner{size: cfg.MaxProcesses + 1, opts: opts, log: log}
}

// start creates the pool. No worker starts yet: they start on demand.
func (p *processRunner) start() error {
	pool, err := process.NewPool(p.size, p.opts...)
	if err != nil {
		return fmt.Errorf("process pool: %w", err)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.stopped {
		pool.Terminate()
		return errPoolStopped
	}
	p.pool = pool
	return nil
}

// stop closes the pool once the attempts are over: its idle workers exit
// as they would at the end of a Python with-block. Workers that do not
// exit within the grace period (an attempt that outlived the shutdown's)
// are killed. stop returns when every worker is gone.
func (p *processRunner) stop() {
	p.mu.Lock()
	pool := p.pool
	p.pool, p.stopped = nil, true
	p.mu.Unlock()
	if pool == nil {
		return
	}
	pool.Close()
	ctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	if pool.Join(ctx) != nil {
		p.log.Warn("process workers did not exit; killing them", "grace", shutdownGrace)
	}
	pool.Terminate() // at once if Join saw them gone
}

func (p *processRunner) current() *process.Pool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.pool
}

// renew replaces a broken pool. A pool breaks for good when a worker
// cannot start — no more processes for this user, a worker too slow to
// reach process.Main — but those may pass, and a node should not stop
// running process jobs for a moment's shortage. The new pool starts its
// workers on demand, so a node whose binary does not call process.Main
// spawns one failing child per attempt, as it did without a pool.
func (p *processRunner) renew(broken *process.Pool, why error) {
	p.mu.Lock()
	if p.pool != broken || p.stopped {
		p.mu.Unlock()
		return // renewed by another attempt already, or shutting down
	}
	pool, err := process.NewPool(p.size, p.opts...)
	if err != nil {
		p.mu.Unlock()
		p.log.Error("replacing the broken process pool", "err", err)
		return
	}
	p.pool = pool
	p.mu.Unlock()
	p.log.Warn("the process pool broke; replaced it", "err", why)
	broken.Terminate()
}

func (p *processRunner) run(ctx context.Context, r *record) (json.RawMessage, error) {
	f := lookup(r.Function)
	if f == nil {
		return nil, &JobError{Kind: "unknown", Message: fmt.Sprintf("function %q is not registered on this node", r.Function)}
	}
	pool := p.current()
	if pool == nil {
		return nil, errPoolStopped
	}
	out, err := process.Apply(ctx, pool, f.proc, []byte(r.Args))
	if errors.Is(err, process.ErrBrokenPool) {
		p.renew(pool, err)
	}
	return settleProcess(ctx, out, err)
}

// settleProcess turns the outcome of a process-mode call into the
// runner's: a worker's death is error kind "killed", which classify
// retries; a binary that never called process.Main will never run a
// process job, and says so at once.
func settleProcess(ctx context.Context, out processOutcome, err error) (json.RawMessage, error) {
	var exit *process.ExitError
	switch {
	case err == nil && out.Err != nil:
		return nil, &settledError{out.Err, out.Retryable}
	case err == nil:
		return out.Result, nil
	case ctx.Err() != nil:
		return nil, err // classify reads the cause: cancel or timeout
	case errors.As(err, &exit):
		return nil, &JobError{Kind: "killed", Message: exit.Error()}
	case errors.Is(err, process.ErrMainNotCalled):
		return nil, fmt.Errorf("%w: %v", ErrSkipRetry, err)
	}
	return nil, err
}

// starter is a runner with workers of its own, started with the engine
// and stopped after its last attempt.
type starter interface {
	start() error
	stop()
}

var _ starter = (*processRunner)(nil)
