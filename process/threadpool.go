package process

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/concurgo/concur"
)

// threadKind is the worker kind of NewThreadPool: goroutines that run the
// registered functions in this process, with no encoding.
type threadKind struct{}

// threadWorker is one worker goroutine, or the chain of goroutines that
// continue it after a runtime.Goexit.
type threadWorker struct {
	e *poolEngine
	w *poolWorker

	prog  atomic.Uint64
	stamp atomic.Int64
	halt  atomic.Bool // abandoned: stop before the next item, publish nothing more

	mu     sync.Mutex // orders publishing against abandonment, and sends against closing
	next   chan *poolTask
	closed bool
	cancel context.CancelCauseFunc // the running task's context
	gone   sync.Once
}

var threadWorkers atomic.Int64

func (threadKind) prepare(*poolTask) error { return nil }

func (threadKind) depth() int { return 1 }

func (threadKind) spawn(e *poolEngine, w *poolWorker) error {
	tw := &threadWorker{e: e, w: w, next: make(chan *poolTask, 1)}
	w.name = fmt.Sprintf("ThreadPoolWorker-%d", threadWorkers.Add(1))
	w.prog, w.stamp, w.impl = &tw.prog, &tw.stamp, tw
	e.register(w)
	go tw.main()
	return nil
}

func (tw *threadWorker) main() {
	if init := tw.e.cfg.init; init != nil {
		failed := false
		// Guard, not Catch: an initializer that calls runtime.Goexit must
		// break the pool too, and account for this worker.
		concur.Guard(func() error { return init.local(context.Background()) }, func(err error) {
			if err != nil {
				failed = true
				tw.e.failedToStart(tw.w, fmt.Errorf("initializer %s: %w", init.name, err))
				tw.exit()
			}
		})
		if failed {
			return
		}
	}
	tw.e.ready(tw.w)
	tw.serve()
}

// serve runs the tasks the engine sends until the worker is retired or
// abandoned.
func (tw *threadWorker) serve() {
	for t := range tw.next {
		if tw.halt.Load() {
			break
		}
		tw.run(t)
	}
	tw.exit()
}

func (tw *threadWorker) exit() { tw.gone.Do(func() { tw.e.exited(tw.w, nil) }) }

func (tw *threadWorker) run(t *poolTask) {
	ctx, cancel := context.WithCancelCause(t.b.call().ctx)
	tw.mu.Lock()
	tw.cancel = cancel
	tw.mu.Unlock()
	item, commit := t.b.threadRun(ctx, t.lo, t.hi)
	l := &itemLoop{n: t.n(), seq: t.seq, prog: &tw.prog, halt: &tw.halt, item: item}
	if tw.e.cfg.timeout > 0 {
		l.stamp = &tw.stamp
	}
	l.flush = func(lo, hi int, fails []itemError) {
		tw.mu.Lock()
		if tw.halt.Load() {
			tw.mu.Unlock()
			return
		}
		commit(lo, hi)
		t.got = hi
		tw.mu.Unlock()
		for i := range fails {
			fails[i].i += t.lo
		}
		tw.e.received(tw.w, t, lo, hi, fails)
	}
	finish := func() {
		l.finish()
		cancel(nil)
	}
	l.start()
	// After a Goexit in an item, a new goroutine finishes the task and
	// carries on as this worker.
	l.run(0, func() {
		finish()
		tw.serve()
	})
	finish()
}

// send hands t to the worker goroutine; the channel has room for it, as
// a worker holds one task at a time.
func (tw *threadWorker) send(t *poolTask) {
	tw.mu.Lock()
	defer tw.mu.Unlock()
	if !tw.closed {
		tw.next <- t
	}
}

func (tw *threadWorker) closeLocked() {
	if !tw.closed {
		tw.closed = true
		close(tw.next)
	}
}

// kill abandons the worker: a goroutine cannot be stopped, so its task's
// context is cancelled, whatever it still computes is discarded, and the
// engine accounts for it as gone at once.
func (tw *threadWorker) kill() {
	tw.mu.Lock()
	tw.w.frozen, tw.w.isFrozen = tw.prog.Load(), true // kill is called under the engine's lock
	tw.halt.Store(true)
	if tw.cancel != nil {
		tw.cancel(fmt.Errorf("process: %s was stopped by its pool: %w", tw.w.name, context.Canceled))
	}
	tw.closeLocked()
	tw.mu.Unlock()
	go tw.exit()
}

func (tw *threadWorker) retire() {
	tw.mu.Lock()
	tw.closeLocked()
	tw.mu.Unlock()
}

// Call runs the function in the calling goroutine, as a thread pool's
// worker does, and returns its result: the registered function called
// directly, with no encoding and no other process. A panic in it is not
// recovered. It lets code that takes a *Func — an executor's front end, a
// test — run it in this process as well as in a worker.
func (f *Func[A, R]) Call(ctx context.Context, arg A) (R, error) { return f.fn(ctx, arg) }
