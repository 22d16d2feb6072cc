package futures

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"regexp"
	"runtime"
	"runtime/pprof"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/concurgo/concur"
)

var bg = context.Background()

func shutdown(t *testing.T, e Executor) {
	t.Helper()
	if err := e.Shutdown(bg); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
}

// counts returns the pool's live and ever-started workers.
func (e *ThreadPoolExecutor) counts() (workers, started int) {
	p := e.pool()
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.workers, p.started
}

func value[T any](v T) func(context.Context) (T, error) {
	return func(context.Context) (T, error) { return v, nil }
}

// blocker returns a call that waits for release, and release.
func blocker() (func(context.Context) (int, error), func()) {
	ch := make(chan struct{})
	return func(context.Context) (int, error) { <-ch; return 0, nil }, sync.OnceFunc(func() { close(ch) })
}

func mustSubmit[T any](t *testing.T, e Executor, fn func(context.Context) (T, error)) *Future[T] {
	t.Helper()
	f, err := Submit(bg, e, fn)
	if err != nil {
		t.Fatalf("Submit: %v", err)
	}
	return f
}

func TestSubmit(t *testing.T) {
	pool := NewThreadPoolExecutor()
	defer shutdown(t, pool)
	f := mustSubmit(t, pool, func(context.Context) (int, error) { return 1 << 8, nil })
	if v, err := f.Result(bg); v != 256 || err != nil {
		t.Fatalf("Result() = %v, %v, want 256", v, err)
	}
}

func TestSubmitPassesContext(t *testing.T) {
	pool := NewThreadPoolExecutor()
	defer shutdown(t, pool)
	type key struct{}
	ctx := context.WithValue(bg, key{}, "v")
	f, _ := Submit(ctx, pool, func(ctx context.Context) (any, error) { return ctx.Value(key{}), nil })
	if v, _ := f.Result(bg); v != "v" {
		t.Fatalf("the call saw ctx value %v", v)
	}
}

func TestZeroValuePool(t *testing.T) {
	var pool ThreadPoolExecutor
	defer shutdown(t, &pool)
	f := mustSubmit(t, &pool, value("zero"))
	if v, _ := f.Result(bg); v != "zero" {
		t.Fatalf("Result() = %q", v)
	}
	if pool.pool().maxWorkers != min(32, runtime.NumCPU()+4) {
		t.Fatalf("zero pool has %d max workers", pool.pool().maxWorkers)
	}
}

func TestSubmitAfterShutdown(t *testing.T) {
	pool := NewThreadPoolExecutor()
	shutdown(t, pool)
	if f, err := Submit(bg, pool, value(1)); !errors.Is(err, ErrShutdown) || f != nil {
		t.Fatalf("Submit after Shutdown = %v, %v, want ErrShutdown", f, err)
	}
	shutdown(t, pool) // again: no-op
}

func TestDefaultMaxWorkers(t *testing.T) {
	if got, want := NewThreadPoolExecutor().pool().maxWorkers, min(32, runtime.NumCPU()+4); got != want {
		t.Fatalf("default max workers = %d, want %d", got, want)
	}
}

func TestMaxWorkersMustBePositive(t *testing.T) {
	for _, n := range []int{0, -1} {
		func() {
			defer func() {
				if r := recover(); r == nil || !regexp.MustCompile("max workers must be greater than 0").MatchString(fmt.Sprint(r)) {
					t.Errorf("WithMaxWorkers(%d) panic = %v", n, r)
				}
			}()
			WithMaxWorkers(n)
		}()
	}
}

func TestNilFuncPanics(t *testing.T) {
	pool := NewThreadPoolExecutor()
	defer shutdown(t, pool)
	defer func() {
		if recover() == nil {
			t.Fatal("Submit(nil) did not panic")
		}
	}()
	Submit[int](bg, pool, nil)
}

// test_saturation: a pool never runs more workers than its maximum, and
// starts them only as calls need them.
func TestSaturation(t *testing.T) {
	pool := NewThreadPoolExecutor(WithMaxWorkers(4))
	block, release := blocker()
	for range 15 * 4 {
		mustSubmit(t, pool, block)
	}
	if workers, _ := pool.counts(); workers != 4 {
		t.Fatalf("%d workers for 60 blocked calls, want 4", workers)
	}
	release()
	shutdown(t, pool)
	if workers, started := pool.counts(); workers != 0 || started != 4 {
		t.Fatalf("after Shutdown: %d live, %d started; want 0, 4", workers, started)
	}
}

// test_idle_thread_reuse: calls that do not overlap share one worker.
func TestIdleWorkerReuse(t *testing.T) {
	pool := NewThreadPoolExecutor()
	for _, want := range []int{42, 42, 42} {
		if v, _ := mustSubmit(t, pool, value(want)).Result(bg); v != want {
			t.Fatal(v)
		}
		waitIdle(t, pool, 1)
	}
	shutdown(t, pool)
	if _, started := pool.counts(); started != 1 {
		t.Fatalf("%d workers started for 3 sequential calls, want 1", started)
	}
}

// waitIdle waits until n workers are idle, so the next Submit can reuse
// one (a worker finishes its call a moment before it waits for the next).
func waitIdle(t *testing.T, e *ThreadPoolExecutor, n int) {
	p := e.pool()
	for {
		p.mu.Lock()
		idle := p.idle
		p.mu.Unlock()
		if idle >= n {
			return
		}
		runtime.Gosched()
	}
}

func TestInitializer(t *testing.T) {
	var inits atomic.Int32
	pool := NewThreadPoolExecutor(WithMaxWorkers(2), WithInitializer(func() error {
		inits.Add(1)
		return nil
	}))
	block, release := blocker()
	f1 := mustSubmit(t, pool, block)
	f2 := mustSubmit(t, pool, block)
	release()
	Wait(bg, []*Future[int]{f1, f2}, AllCompleted)
	for range 10 {
		mustSubmit(t, pool, value(0))
	}
	shutdown(t, pool)
	if inits.Load() != 2 {
		t.Fatalf("initializer ran %d times for 2 workers, want 2", inits.Load())
	}
}

// test_initializer (failing): the pool breaks, queued calls fail, and so
// does every later Submit, each naming the initializer's error.
func TestFailingInitializer(t *testing.T) {
	errInit := errors.New("error in initializer")
	for name, init := range map[string]func() error{
		"error":  func() error { return errInit },
		"panic":  func() error { panic(errInit) },
		"goexit": func() error { runtime.Goexit(); return nil },
	} {
		t.Run(name, func(t *testing.T) {
			started := make(chan struct{})
			pool := NewThreadPoolExecutor(WithMaxWorkers(2), WithInitializer(func() error {
				<-started // let calls queue up first
				return init()
			}))
			var fs []*Future[int]
			for range 5 {
				fs = append(fs, mustSubmit(t, pool, value(1)))
			}
			close(started)
			for _, f := range fs {
				_, err := f.Result(bg)
				if !errors.Is(err, ErrBroken) {
					t.Fatalf("queued call: err = %v, want ErrBroken", err)
				}
				if name != "goexit" && !errors.Is(err, errInit) {
					t.Fatalf("broken error %v does not wrap the initializer's", err)
				}
				if name == "goexit" && !errors.Is(err, concur.ErrGoexit) {
					t.Fatalf("broken error %v does not say Goexit", err)
				}
			}
			if name == "panic" {
				var pe *concur.PanicError
				if _, err := fs[0].Result(bg); !errors.As(err, &pe) {
					t.Fatalf("err = %v, want a *concur.PanicError inside", err)
				}
			}
			if _, err := Submit(bg, pool, value(1)); !errors.Is(err, ErrBroken) {
				t.Fatalf("Submit to a broken pool: %v, want ErrBroken", err)
			}
			shutdown(t, pool)
		})
	}
}

func TestPanicInCall(t *testing.T) {
	pool := NewThreadPoolExecutor(WithMaxWorkers(1))
	defer shutdown(t, pool)
	f := mustSubmit(t, pool, func(context.Context) (int, error) { panic(io.ErrUnexpectedEOF) })
	_, err := f.Result(bg)
	var pe *concur.PanicError
	if !errors.As(err, &pe) || !errors.Is(err, io.ErrUnexpectedEOF) || !bytes.Contains(pe.Stack, []byte("TestPanicInCall")) {
		t.Fatalf("err = %v, want a *concur.PanicError with the stack", err)
	}
	if v, err := mustSubmit(t, pool, value(2)).Result(bg); v != 2 || err != nil {
		t.Fatal("the pool does not run calls after a panic")
	}
}

// runtime.Goexit in a call (t.FailNow from a pool goroutine, say) fails
// that call's future and the pool replaces the worker: nothing hangs.
func TestGoexitInCall(t *testing.T) {
	pool := NewThreadPoolExecutor(WithMaxWorkers(1))
	block, release := blocker()
	first := mustSubmit(t, pool, block)
	exiting := mustSubmit(t, pool, func(context.Context) (int, error) { runtime.Goexit(); return 0, nil })
	after := []*Future[int]{mustSubmit(t, pool, value(3)), mustSubmit(t, pool, value(4))}
	release()
	if _, err := exiting.Result(bg); !errors.Is(err, concur.ErrGoexit) {
		t.Fatalf("Goexit call: err = %v, want ErrGoexit", err)
	}
	for _, f := range append(after, first) {
		if _, err := f.Result(bg); err != nil {
			t.Fatalf("call after Goexit: %v", err)
		}
	}
	shutdown(t, pool)
	if workers, started := pool.counts(); workers != 0 || started != 2 {
		t.Fatalf("%d live, %d started workers; want 0 and 2 (one replacement)", workers, started)
	}
}

// A call may submit to its own saturated pool: Submit never blocks, so
// the pool-library deadlock of a blocking submit cannot happen.
func TestSubmitFromCallToFullPool(t *testing.T) {
	pool := NewThreadPoolExecutor(WithMaxWorkers(1))
	defer shutdown(t, pool)
	outer := mustSubmit(t, pool, func(ctx context.Context) ([]*Future[int], error) {
		var fs []*Future[int]
		for i := range 100 {
			f, err := Submit(ctx, pool, value(i))
			if err != nil {
				return nil, err
			}
			fs = append(fs, f)
		}
		return fs, nil
	})
	fs, err := outer.Result(bg)
	if err != nil {
		t.Fatal(err)
	}
	for i, f := range fs {
		if v, err := f.Result(bg); v != i || err != nil {
			t.Fatalf("inner call %d = %v, %v", i, v, err)
		}
	}
}

// Cancelling the context of queued calls cancels them at once, while the
// only worker is still busy, and Shutdown does not wait for them.
func TestCancelContextWhileQueued(t *testing.T) {
	pool := NewThreadPoolExecutor(WithMaxWorkers(1))
	block, release := blocker()
	mustSubmit(t, pool, block)
	ctx, cancel := context.WithCancel(bg)
	var ran atomic.Int32
	var fs []*Future[int]
	for range 100 {
		f, err := Submit(ctx, pool, func(context.Context) (int, error) { ran.Add(1); return 0, nil })
		if err != nil {
			t.Fatal(err)
		}
		fs = append(fs, f)
	}
	cancel()
	done, notDone, err := Wait(bg, fs, AllCompleted)
	if len(done) != 100 || len(notDone) != 0 || err != nil {
		t.Fatalf("Wait: %d done, %d not, %v", len(done), len(notDone), err)
	}
	for _, f := range fs {
		if !f.Cancelled() || !errors.Is(f.Err(), context.Canceled) {
			t.Fatalf("queued call after cancel: %v %v", f, f.Err())
		}
	}
	release()
	shutdown(t, pool)
	if ran.Load() != 0 {
		t.Fatalf("%d cancelled calls ran", ran.Load())
	}
}

func TestSubmitWithDoneContext(t *testing.T) {
	pool := NewThreadPoolExecutor()
	defer shutdown(t, pool)
	ctx, cancel := context.WithCancel(bg)
	cancel()
	f, err := Submit(ctx, pool, value(1))
	if err != nil || !f.Cancelled() {
		t.Fatalf("Submit with a done ctx = %v, %v; want a cancelled future", f, err)
	}
	if _, started := pool.counts(); started != 0 {
		t.Fatal("a worker started for a call that was cancelled before it was queued")
	}
}

// test_hang_issue12364: Shutdown waits for every queued call.
func TestShutdownWaitsForQueuedCalls(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		pool := NewThreadPoolExecutor(WithMaxWorkers(5))
		var fs []*Future[int]
		for range 50 {
			fs = append(fs, mustSubmit(t, pool, func(context.Context) (int, error) {
				time.Sleep(100 * time.Millisecond)
				return 1, nil
			}))
		}
		start := time.Now()
		shutdown(t, pool)
		if d := time.Since(start); d != time.Second {
			t.Errorf("Shutdown took %v, want 10 rounds of 100ms", d)
		}
		for _, f := range fs {
			if f.State() != Finished {
				t.Fatalf("after Shutdown a call is %v", f.State())
			}
		}
	})
}

// test_cancel_futures: Shutdown with CancelFutures cancels what has not
// started; what has started finishes.
func TestShutdownCancelFutures(t *testing.T) {
	pool := NewThreadPoolExecutor(WithMaxWorkers(2))
	started := make(chan struct{})
	block, release := blocker()
	running := func(ctx context.Context) (int, error) {
		started <- struct{}{}
		return block(ctx)
	}
	fs := []*Future[int]{mustSubmit(t, pool, running), mustSubmit(t, pool, running)}
	<-started
	<-started
	for range 48 {
		fs = append(fs, mustSubmit(t, pool, running))
	}
	if err := pool.Shutdown(bg, CancelFutures(), NoWait()); err != nil {
		t.Fatal(err)
	}
	for i, f := range fs {
		if f.Cancelled() != (i >= 2) {
			t.Fatalf("call %d: %v after Shutdown(CancelFutures)", i, f)
		}
	}
	release()
	shutdown(t, pool)
	for _, f := range fs[:2] {
		if f.State() != Finished || f.Err() != nil {
			t.Fatalf("running call: %v, %v", f, f.Err())
		}
	}
}

// test_hang_gh94440: a call cancelled right before Shutdown does not hang it.
func TestShutdownAfterCancel(t *testing.T) {
	pool := NewThreadPoolExecutor(WithMaxWorkers(1))
	mustSubmit(t, pool, value(0)).Result(bg)
	mustSubmit(t, pool, value(0)).Cancel()
	shutdown(t, pool)
}

// test_shutdown_no_wait: the calls still run after Shutdown(NoWait).
func TestShutdownNoWait(t *testing.T) {
	pool := NewThreadPoolExecutor(WithMaxWorkers(5))
	block, release := blocker()
	blocked := mustSubmit(t, pool, block)
	var fs []*Future[int]
	for i := -5; i < 5; i++ {
		fs = append(fs, mustSubmit(t, pool, value(max(i, -i))))
	}
	if err := pool.Shutdown(bg, NoWait()); err != nil {
		t.Fatal(err)
	}
	release()
	for i, f := range fs {
		if v, _ := f.Result(bg); v != max(i-5, 5-i) {
			t.Fatalf("abs(%d) = %d", i-5, v)
		}
	}
	blocked.Result(bg)
	shutdown(t, pool) // waits for the workers to exit, for goleak
}

func TestShutdownContextEnds(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		pool := NewThreadPoolExecutor()
		block, release := blocker()
		mustSubmit(t, pool, block)
		ctx, cancel := context.WithTimeout(bg, time.Second)
		defer cancel()
		if err := pool.Shutdown(ctx); err != context.DeadlineExceeded {
			t.Fatalf("Shutdown with a running call and a 1s deadline = %v", err)
		}
		release()
		shutdown(t, pool)
	})
}

// test_thread_names_assigned / test_thread_names_default: workers carry
// their names as the pprof label "thread".
func TestThreadNames(t *testing.T) {
	for _, tt := range []struct {
		opts []Option
		name string
	}{
		{[]Option{WithThreadNamePrefix("SpecialPool")}, `SpecialPool_[0-4]`},
		{nil, `ThreadPoolExecutor-\d+_[0-4]`},
	} {
		pool := NewThreadPoolExecutor(append(tt.opts, WithMaxWorkers(5))...)
		block, release := blocker()
		var started sync.WaitGroup
		started.Add(5)
		for range 5 {
			mustSubmit(t, pool, func(ctx context.Context) (int, error) { started.Done(); return block(ctx) })
		}
		started.Wait()
		var buf bytes.Buffer
		pprof.Lookup("goroutine").WriteTo(&buf, 1)
		release()
		shutdown(t, pool)
		names := regexp.MustCompile(`"thread":"(`+tt.name+`)"`).FindAllStringSubmatch(buf.String(), -1)
		seen := map[string]bool{}
		for _, m := range names {
			seen[m[1]] = true
		}
		if len(seen) != 5 {
			t.Errorf("worker names %v, want 5 matching %s", seen, tt.name)
		}
	}
}

// test_del_shutdown: a pool dropped without Shutdown still runs its calls,
// then its workers exit once the garbage collector finds it.
func TestUnreachablePoolShutsDown(t *testing.T) {
	pool := NewThreadPoolExecutor(WithMaxWorkers(5))
	p := pool.pool()
	var fs []*Future[int]
	for i := range 10 {
		fs = append(fs, mustSubmit(t, pool, value(i)))
	}
	pool = nil
	deadline := time.Now().Add(10 * time.Second)
	for !isClosed(p.exited) {
		if time.Now().After(deadline) {
			t.Fatal("workers of an unreachable pool did not exit")
		}
		runtime.GC()
		time.Sleep(time.Millisecond)
	}
	for i, f := range fs {
		if v, _ := f.Result(bg); v != i {
			t.Fatalf("call %d = %d", i, v)
		}
	}
}

// A Task written outside Submit, as another front end would: Execute runs
// it through its Promise.
type echoTask struct {
	Promise[string]
	msg string
}

func (t *echoTask) Run() {
	if t.Start() {
		t.Resolve(t.msg, nil)
	}
}

func TestExecuteCustomTask(t *testing.T) {
	pool := NewThreadPoolExecutor()
	defer shutdown(t, pool)
	task := &echoTask{msg: "hi"}
	f, err := Schedule(bg, pool, task, &task.Promise)
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := f.Result(bg); v != "hi" {
		t.Fatalf("custom task result %q", v)
	}
}

// Many goroutines submit, cancel and wait at once: every future ends in a
// consistent state, no call runs twice, nothing is lost.
func TestPoolStress(t *testing.T) {
	pool := NewThreadPoolExecutor(WithMaxWorkers(8))
	var runs atomic.Int64
	var wg sync.WaitGroup
	for g := range 16 {
		wg.Go(func() {
			var fs []*Future[int]
			for i := range 500 {
				f, err := Submit(bg, pool, func(context.Context) (int, error) { runs.Add(1); return i, nil })
				if err != nil {
					t.Error(err)
					return
				}
				if (g+i)%7 == 0 {
					f.Cancel()
				}
				fs = append(fs, f)
			}
			for i, f := range fs {
				v, err := f.Result(bg)
				switch {
				case f.Cancelled():
					if !errors.Is(err, ErrCancelled) {
						t.Errorf("cancelled future err %v", err)
					}
				case v != i || err != nil:
					t.Errorf("future %d = %v, %v", i, v, err)
				}
			}
		})
	}
	wg.Wait()
	shutdown(t, pool)
	if runs.Load() > 16*500 {
		t.Fatalf("%d runs for %d calls", runs.Load(), 16*500)
	}
}

// waitWorkers waits until the pool has n live workers (extra workers
// retire a moment after the waits that needed them end).
func waitWorkers(t *testing.T, e *ThreadPoolExecutor, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if workers, _ := e.counts(); workers == n {
			return
		}
		if time.Now().After(deadline) {
			workers, _ := e.counts()
			t.Fatalf("%d workers, want %d", workers, n)
		}
		runtime.Gosched()
	}
}

// A call that waits for a call it submitted to its own one-worker pool:
// CPython deadlocks (its docs show this very example); here the pool
// starts one more worker for as long as the wait lasts.
func TestWaitForOwnPoolDoesNotDeadlock(t *testing.T) {
	pool := NewThreadPoolExecutor(WithMaxWorkers(1))
	defer shutdown(t, pool)
	outer := mustSubmit(t, pool, func(ctx context.Context) (int, error) {
		inner, err := Submit(ctx, pool, value(5))
		if err != nil {
			return 0, err
		}
		return inner.Result(ctx)
	})
	if v, err := outer.Result(bg); v != 5 || err != nil {
		t.Fatalf("outer = %v, %v", v, err)
	}
	waitWorkers(t, pool, 1)
}

// The same through Wait and AsCompleted, and nested: a recursive
// computation on a two-worker pool where every level waits for the next.
func TestRecursiveWaitsDoNotDeadlock(t *testing.T) {
	pool := NewThreadPoolExecutor(WithMaxWorkers(2))
	defer shutdown(t, pool)
	var fib func(ctx context.Context, n int) (int, error)
	fib = func(ctx context.Context, n int) (int, error) {
		if n < 2 {
			return n, nil
		}
		a, err := Submit(ctx, pool, func(ctx context.Context) (int, error) { return fib(ctx, n-1) })
		if err != nil {
			return 0, err
		}
		b, err := Submit(ctx, pool, func(ctx context.Context) (int, error) { return fib(ctx, n-2) })
		if err != nil {
			return 0, err
		}
		sum := 0
		if n%2 == 0 {
			Wait(ctx, []*Future[int]{a, b}, AllCompleted)
			for _, f := range []*Future[int]{a, b} {
				v, _ := f.Result(ctx)
				sum += v
			}
		} else {
			for f := range AsCompleted(ctx, []*Future[int]{a, b}) {
				v, _ := f.Result(ctx)
				sum += v
			}
		}
		return sum, nil
	}
	f := mustSubmit(t, pool, func(ctx context.Context) (int, error) { return fib(ctx, 12) })
	if v, err := f.Result(bg); v != 144 || err != nil {
		t.Fatalf("fib(12) = %v, %v", v, err)
	}
	waitWorkers(t, pool, 2)
}

// Waiting from outside the pool, or for another pool's future, is not a
// reason to start extra workers.
func TestNoExtraWorkersForOtherWaits(t *testing.T) {
	pool := NewThreadPoolExecutor(WithMaxWorkers(1))
	other := NewThreadPoolExecutor(WithMaxWorkers(1))
	block, release := blocker()
	blocked := mustSubmit(t, other, block)
	waiting := mustSubmit(t, pool, func(ctx context.Context) (int, error) { return blocked.Result(ctx) })
	queued := mustSubmit(t, pool, value(1))
	if workers, _ := pool.counts(); workers != 1 || queued.State() != Pending {
		t.Fatalf("%d workers, queued call %v: a wait on another pool's future started a worker", workers, queued.State())
	}
	release()
	for _, f := range []*Future[int]{waiting, queued} {
		if _, err := f.Result(bg); err != nil {
			t.Fatal(err)
		}
	}
	shutdown(t, pool)
	shutdown(t, other)
}

func TestShutdownFromOwnCall(t *testing.T) {
	pool := NewThreadPoolExecutor()
	f := mustSubmit(t, pool, func(ctx context.Context) (error, error) { return pool.Shutdown(ctx), nil })
	if err, _ := f.Result(bg); err == nil {
		t.Fatal("Shutdown waiting from inside the pool returned nil")
	}
	if _, err := Submit(bg, pool, value(1)); !errors.Is(err, ErrShutdown) {
		t.Fatalf("the pool is still open: %v", err)
	}
	shutdown(t, pool)
}

// gcUntil runs the garbage collector until done reports true.
func gcUntil(t *testing.T, what string, done func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !done() {
		if time.Now().After(deadline) {
			t.Fatalf("%s was never collected", what)
		}
		runtime.GC()
		time.Sleep(time.Millisecond)
	}
}

// test_no_stale_references: once a call has run, neither the pool nor the
// future the caller keeps holds what the call captured.
func TestNoStaleReferences(t *testing.T) {
	pool := NewThreadPoolExecutor()
	defer shutdown(t, pool)
	var collected atomic.Bool
	obj := new([64]byte)
	runtime.AddCleanup(obj, func(*atomic.Bool) { collected.Store(true) }, &collected)
	holding := func(obj *[64]byte) func(context.Context) (int, error) {
		return func(context.Context) (int, error) { return int(obj[0]) + 64, nil }
	}
	f := mustSubmit(t, pool, holding(obj))
	if v, _ := f.Result(bg); v != 64 {
		t.Fatal(v)
	}
	obj = nil
	gcUntil(t, "an object captured by a finished call", collected.Load)
	runtime.KeepAlive(f)
}

// test_free_reference: Map does not keep the results it has yielded.
func TestMapFreesYieldedResults(t *testing.T) {
	pool := NewThreadPoolExecutor()
	defer shutdown(t, pool)
	var collected atomic.Int32
	make := func(context.Context, int) (*[64]byte, error) {
		obj := new([64]byte)
		runtime.AddCleanup(obj, func(*atomic.Int32) { collected.Add(1) }, &collected)
		return obj, nil
	}
	n := int32(0)
	for obj, err := range Map(bg, pool, make, slices.Values([]int{0, 1, 2, 3, 4})) {
		if err != nil || obj == nil {
			t.Fatal(err)
		}
		n++
		gcUntil(t, "a result Map has yielded", func() bool { return collected.Load() >= n-1 })
	}
}
