package futures

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"runtime/pprof"
	"sync"
	"sync/atomic"

	"github.com/concurgo/concur"
	"github.com/petermattis/goid"
)

// ThreadPoolExecutor runs calls on a pool of worker goroutines: Python's
// concurrent.futures.ThreadPoolExecutor.
//
// Like Python's, it starts workers lazily, one per submitted call while no
// worker is idle, up to the maximum (by default min(32, runtime.NumCPU()+4),
// Python's default), and keeps them until Shutdown; idle workers are
// reused. The queue of calls is unbounded, so Submit never blocks — in
// particular, a call may submit more calls to its own saturated pool.
//
// A call may also wait for the futures of calls it submitted to its own
// pool. When every worker is blocked in such a wait (Future.Result, Wait,
// AsCompleted) while calls sit in the queue, nothing could ever run them:
// CPython's pool deadlocks there. This pool starts one more worker
// instead, and retires the extra workers once the waits are over, so the
// number of calls running stays within the maximum except for the moment
// an extra worker finishes its call.
//
// The zero value is a pool with the default options, ready to use. A pool
// that becomes unreachable without Shutdown shuts itself down once the
// garbage collector notices (Python does the same when the executor is
// collected), so forgotten pools do not keep their goroutines forever; its
// queued calls still run. A ThreadPoolExecutor must not be copied after
// first use.
type ThreadPoolExecutor struct {
	once    sync.Once
	opts    []Option
	p       *pool
	cleanup runtime.Cleanup
}

// Option configures a ThreadPoolExecutor.
type Option func(*poolConfig)

type poolConfig struct {
	maxWorkers int
	init       func() error
	prefix     string
}

// WithMaxWorkers sets the largest number of calls the pool runs at once:
// Python's max_workers. It panics if n < 1.
func WithMaxWorkers(n int) Option {
	if n < 1 {
		panic("futures: max workers must be greater than 0")
	}
	return func(c *poolConfig) { c.maxWorkers = n }
}

// WithInitializer sets a function each worker runs once before its first
// call: Python's initializer (initargs are the closure's). If it returns
// an error or panics, the pool is broken: every queued call fails and
// every later Submit returns an error, each matching ErrBroken and
// wrapping the initializer's error (Python's BrokenThreadPool).
func WithInitializer(init func() error) Option {
	return func(c *poolConfig) { c.init = init }
}

// WithThreadNamePrefix names the workers prefix_0, prefix_1, …: Python's
// thread_name_prefix. Goroutines have no names, so the name is the
// worker's pprof label "thread", shown by goroutine profiles and
// debuggers. The default prefix is ThreadPoolExecutor-N, as in Python.
func WithThreadNamePrefix(prefix string) Option {
	return func(c *poolConfig) { c.prefix = prefix }
}

// NewThreadPoolExecutor returns a pool configured by opts.
func NewThreadPoolExecutor(opts ...Option) *ThreadPoolExecutor {
	e := &ThreadPoolExecutor{opts: opts}
	e.pool()
	return e
}

var poolCounter atomic.Int64

var errShutdownWaitsForItself = errors.New("futures: Shutdown called from a call of the same pool cannot wait for it; the pool is shut down")

func (e *ThreadPoolExecutor) pool() *pool {
	e.once.Do(func() {
		c := poolConfig{maxWorkers: min(32, runtime.NumCPU()+4)}
		for _, o := range e.opts {
			o(&c)
		}
		if c.prefix == "" {
			c.prefix = fmt.Sprintf("ThreadPoolExecutor-%d", poolCounter.Add(1)-1)
		}
		e.opts = nil
		e.p = newPool(c)
		// Workers hold only the inner pool, so e can become unreachable
		// while they wait; then the pool shuts down as if Shutdown(NoWait).
		e.cleanup = runtime.AddCleanup(e, func(p *pool) { p.shutdown(shutdownConfig{noWait: true}) }, e.p)
	})
	return e.p
}

func (e *ThreadPoolExecutor) owner() *pool { return e.pool() }

// Execute queues t, starting a worker if none is idle and the pool is not
// full. It returns an error matching ErrShutdown after Shutdown, or
// ErrBroken if the initializer failed.
func (e *ThreadPoolExecutor) Execute(t Task) error {
	err := e.pool().execute(t)
	runtime.KeepAlive(e)
	return err
}

// Shutdown stops the pool accepting calls and, unless NoWait is given,
// waits for the queued and running calls to finish and the workers to
// exit, or for ctx to end (then it returns ctx.Err() and the calls go on).
// With CancelFutures, calls that have not started are cancelled. It may be
// called more than once.
//
// Called from one of the pool's own calls, Shutdown shuts the pool down
// but cannot wait, since it would wait for itself: it returns an error
// instead of hanging (Python raises RuntimeError, "cannot join current
// thread").
func (e *ThreadPoolExecutor) Shutdown(ctx context.Context, opts ...ShutdownOption) error {
	p := e.pool()
	cfg := shutdownOptions(opts)
	exited := p.shutdown(cfg)
	e.cleanup.Stop()
	if cfg.noWait {
		return nil
	}
	if workerPool() == p {
		return errShutdownWaitsForItself
	}
	select {
	case <-exited:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// pool is the state of a ThreadPoolExecutor that its workers share.
type pool struct {
	poolConfig

	mu      sync.Mutex
	work    sync.Cond // idle workers wait here for a task or for shutdown
	queue   ring
	workers int   // live workers
	idle    int   // workers waiting on work that no Signal has claimed yet
	started int   // workers ever started, for names
	closed  bool  // Shutdown was called
	blocked int   // workers blocked waiting for a future of this pool
	broken  error // the initializer failed; matches ErrBroken
	exited  chan struct{}
	gone    bool // exited is closed
}

func newPool(c poolConfig) *pool {
	p := &pool{poolConfig: c, exited: make(chan struct{})}
	p.work.L = &p.mu
	return p
}

func (p *pool) execute(t Task) error {
	p.mu.Lock()
	switch {
	case p.broken != nil:
		p.mu.Unlock()
		return p.broken
	case p.closed:
		p.mu.Unlock()
		return ErrShutdown
	}
	p.queue.push(t)
	p.wakeLocked()
	p.mu.Unlock()
	return nil
}

// wakeLocked gets a worker to take a queued call: an idle one, or a new
// one if the pool is not full or every worker is blocked waiting for this
// pool's futures.
func (p *pool) wakeLocked() {
	switch {
	case p.idle > 0:
		// The woken worker is claimed now, so the next Execute starts a
		// new worker instead of counting this one again.
		p.idle--
		p.work.Signal()
	case p.workers < p.maxWorkers || p.workers == p.blocked:
		p.startWorkerLocked()
	}
}

// surplusLocked reports whether the pool has more workers free to run
// calls than its maximum, because extra workers were started while others
// were blocked.
func (p *pool) surplusLocked() bool { return p.workers-p.blocked > p.maxWorkers }

func (p *pool) startWorkerLocked() {
	p.workers++
	go p.worker(p.started)
	p.started++
}

// shutdown closes the pool and returns the channel closed when the last
// worker has exited.
func (p *pool) shutdown(cfg shutdownConfig) <-chan struct{} {
	p.mu.Lock()
	p.closed = true
	var cancel []Task
	if cfg.cancelFutures {
		cancel = p.queue.drain()
	}
	p.idle = 0
	p.work.Broadcast()
	p.exitIfLastLocked()
	p.mu.Unlock()
	for _, t := range cancel {
		t.Cancel()
	}
	return p.exited
}

func (p *pool) exitIfLastLocked() {
	if p.workers == 0 && p.queue.len() == 0 && (p.closed || p.broken != nil) && !p.gone {
		p.gone = true
		close(p.exited)
	}
}

func (p *pool) worker(id int) {
	name := fmt.Sprintf("%s_%d", p.prefix, id)
	pprof.SetGoroutineLabels(pprof.WithLabels(context.Background(), pprof.Labels("thread", name)))
	if p.init != nil {
		ok := false
		// Guard, not Catch: an initializer that calls runtime.Goexit must
		// break the pool too, or Shutdown would wait for this worker forever.
		concur.Guard(p.init, func(err error) {
			if err != nil {
				p.fail(err)
			} else {
				ok = true
			}
		})
		if !ok {
			return
		}
	}
	gid := goid.Get()
	workerPools.Store(gid, p)
	defer workerPools.Delete(gid)
	returned := false
	defer func() {
		if !returned {
			p.replace()
		}
	}()
	for {
		p.mu.Lock()
		for p.queue.len() == 0 && !p.closed && p.broken == nil && !p.surplusLocked() {
			p.idle++
			p.work.Wait()
		}
		if p.queue.len() == 0 || p.surplusLocked() {
			p.workers--
			if p.queue.len() > 0 {
				// This worker may have been woken for a call: pass it on.
				p.wakeLocked()
			}
			p.exitIfLastLocked()
			p.mu.Unlock()
			returned = true
			return
		}
		t := p.queue.pop()
		p.mu.Unlock()
		t.Run()
	}
}

// workerPools maps the goroutine id of every pool worker to its pool, so
// that a wait can tell whether it blocks a worker of the pool it waits on.
var workerPools sync.Map

// workerPool returns the pool the calling goroutine is a worker of, or
// nil.
func workerPool() *pool {
	if v, ok := workerPools.Load(goid.Get()); ok {
		return v.(*pool)
	}
	return nil
}

// block counts a worker as blocked waiting for this pool's futures, and
// starts one more worker if now every worker is blocked while calls are
// queued — calls that the blocked workers may be waiting for.
func (p *pool) block() {
	p.mu.Lock()
	p.blocked++
	if p.queue.len() > 0 && p.idle == 0 {
		p.wakeLocked()
	}
	p.mu.Unlock()
}

// unblock ends a block, and wakes an idle worker to retire if the pool
// now has workers to spare.
func (p *pool) unblock() {
	p.mu.Lock()
	p.blocked--
	if p.surplusLocked() && p.idle > 0 {
		p.idle--
		p.work.Signal()
	}
	p.mu.Unlock()
}

// replace accounts for a worker whose task called runtime.Goexit (the
// task's future has already failed with concur.ErrGoexit) and starts
// another worker if calls are waiting for one.
func (p *pool) replace() {
	p.mu.Lock()
	p.workers--
	if p.queue.len() > 0 && p.broken == nil {
		p.startWorkerLocked()
	}
	p.exitIfLastLocked()
	p.mu.Unlock()
}

// fail breaks the pool after an initializer failed: queued calls fail,
// idle workers exit and Execute refuses new calls.
func (p *pool) fail(cause error) {
	p.mu.Lock()
	if p.broken == nil {
		p.broken = fmt.Errorf("%w: a worker initializer failed, the pool is not usable anymore: %w", ErrBroken, cause)
	}
	queued := p.queue.drain()
	p.workers--
	p.idle = 0
	p.work.Broadcast()
	p.exitIfLastLocked()
	err := p.broken
	p.mu.Unlock()
	for _, t := range queued {
		t.Fail(err)
	}
}

// ring is an unbounded FIFO of tasks that reuses its storage, so a busy
// pool does not allocate per call.
type ring struct {
	buf  []Task // len is 0 or a power of two
	head int
	n    int
}

func (r *ring) len() int { return r.n }

func (r *ring) push(t Task) {
	if r.n == len(r.buf) {
		buf := make([]Task, max(16, 2*len(r.buf)))
		for i := range r.n {
			buf[i] = r.buf[(r.head+i)&(len(r.buf)-1)]
		}
		r.buf, r.head = buf, 0
	}
	r.buf[(r.head+r.n)&(len(r.buf)-1)] = t
	r.n++
}

func (r *ring) pop() Task {
	t := r.buf[r.head]
	r.buf[r.head] = nil
	r.head = (r.head + 1) & (len(r.buf) - 1)
	r.n--
	return t
}

func (r *ring) drain() []Task {
	ts := make([]Task, 0, r.n)
	for r.n > 0 {
		ts = append(ts, r.pop())
	}
	return ts
}
