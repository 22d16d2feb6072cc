package futures_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/concurgo/concur/futures"
	"github.com/concurgo/concur/process"
)

// The ProcessPoolExecutor tests start this test binary again as worker
// processes, which must run process.Main before anything else. The
// package's TestMain (in future_test.go) predates them, so Main runs from
// this init function, which every process of the binary runs after the
// package-level registrations below.
func init() {
	process.Main()
	// A race-enabled worker would sleep a second on its way out.
	if !strings.Contains(os.Getenv("GORACE"), "atexit_sleep_ms") {
		os.Setenv("GORACE", strings.TrimSpace(os.Getenv("GORACE")+" atexit_sleep_ms=0"))
	}
}

type powArg struct{ X, Y int }

var (
	ppPow = process.RegisterFunc("futures.test.pow", func(a powArg) int {
		r := 1
		for range a.Y {
			r *= a.X
		}
		return r
	})
	ppDiv = process.Register("futures.test.div", func(_ context.Context, a powArg) (int, error) {
		if a.Y == 0 {
			return 0, errors.New("division by zero")
		}
		return a.X / a.Y, nil
	})
	ppPid = process.Register("futures.test.pid", func(_ context.Context, wait time.Duration) (int, error) {
		time.Sleep(wait)
		return os.Getpid(), nil
	})
	ppSleep = process.Register("futures.test.sleep", func(ctx context.Context, d time.Duration) (time.Duration, error) {
		select {
		case <-time.After(d):
			return d, nil
		case <-ctx.Done():
			return 0, context.Cause(ctx)
		}
	})
	ppExit = process.RegisterTarget("futures.test.exit", func(_ context.Context, code int) error {
		os.Exit(code)
		return nil
	})
	ppKill = process.RegisterTarget("futures.test.kill", func(context.Context, struct{}) error {
		syscall.Kill(os.Getpid(), syscall.SIGKILL)
		time.Sleep(time.Minute)
		return nil
	})
	ppPanic = process.RegisterTarget("futures.test.panic", func(context.Context, struct{}) error {
		panic("raise RuntimeError(123)")
	})
	ppInit = process.RegisterTarget("futures.test.init", func(_ context.Context, s string) error {
		initStatus = s
		return nil
	})
	ppInitStatus = process.Register("futures.test.initStatus", func(context.Context, struct{}) (string, error) {
		return initStatus, nil
	})
	ppInitFail = process.RegisterTarget("futures.test.initFail", func(context.Context, struct{}) error {
		return errors.New("error in initializer")
	})
	ppFuncResult = process.Register("futures.test.funcResult", func(context.Context, struct{}) (func(), error) {
		return func() {}, nil
	})
)

var initStatus = "uninitialized"

func newProcessPool(t *testing.T, n int, opts ...process.PoolOption) *futures.ProcessPoolExecutor {
	t.Helper()
	e, err := futures.NewProcessPoolExecutor(n, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.Terminate)
	return e
}

func TestProcessPoolSubmit(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newProcessPool(t, 2)
	f, err := futures.SubmitFunc(ctx, e, ppPow, powArg{2, 8})
	if err != nil {
		t.Fatal(err)
	}
	if v, err := f.Result(ctx); err != nil || v != 256 {
		t.Fatalf("Result = %v, %v", v, err)
	}
	// A closure cannot travel.
	_, err = futures.Submit(ctx, e, func(context.Context) (int, error) { return 1, nil })
	if !errors.Is(err, futures.ErrNotRegistered) {
		t.Fatalf("Submit of a closure = %v", err)
	}
	// An argument that cannot be encoded is the error of SubmitFunc.
	var ee *process.EncodeError
	if _, err := futures.SubmitFunc(ctx, e, ppFuncResult, struct{}{}); err != nil {
		t.Fatal(err)
	}
	if _, err := futures.SubmitFunc(ctx, e, fileArg, process.File{File: os.Stdin}); !errors.As(err, &ee) {
		t.Fatalf("SubmitFunc with a File = %v", err)
	}
}

var fileArg = process.RegisterTarget("futures.test.fileArg", func(context.Context, process.File) error { return nil })

func TestProcessPoolMap(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newProcessPool(t, 2)
	args := make([]powArg, 40)
	want := make([]int, 40)
	for i := range args {
		args[i] = powArg{i, 2}
		want[i] = i * i
	}
	for _, opts := range [][]process.CallOption{nil, {process.Chunksize(6)}, {process.Chunksize(50)}} {
		var got []int
		for v, err := range futures.MapFunc(ctx, e, ppPow, slices.Values(args), opts...) {
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, v)
		}
		if !slices.Equal(got, want) {
			t.Fatalf("MapFunc = %v", got)
		}
	}
	// test_map_exception: the failed call is yielded in its place.
	var got []string
	for q, err := range futures.MapFunc(ctx, e, ppDiv, slices.Values([]powArg{{1, 2}, {1, 3}, {1, 0}, {1, 5}})) {
		got = append(got, fmt.Sprint(q, err != nil))
	}
	if !slices.Equal(got, []string{"0 false", "0 false", "0 true", "0 false"}) {
		t.Fatalf("MapFunc with a failing call: %v", got)
	}
}

func TestProcessPoolMapTimeout(t *testing.T) {
	t.Parallel()
	e := newProcessPool(t, 2)
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	var got []error
	for _, err := range futures.MapFunc(ctx, e, ppSleep, slices.Values([]time.Duration{0, 0, time.Hour})) {
		got = append(got, err)
	}
	if len(got) != 3 || got[0] != nil || got[1] != nil || !errors.Is(got[2], context.DeadlineExceeded) {
		t.Fatalf("MapFunc past its deadline: %v", got)
	}
}

func TestProcessPoolWorkerDeathFailsOnlyItsCall(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newProcessPool(t, 2)
	slow, err := futures.SubmitFunc(ctx, e, ppSleep, 200*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	dies, err := futures.SubmitFunc(ctx, e, ppKill, struct{}{})
	if err != nil {
		t.Fatal(err)
	}
	var exit *process.ExitError
	if _, err := dies.Result(ctx); !errors.As(err, &exit) || exit.Signal != syscall.SIGKILL {
		t.Fatalf("the call whose worker died = %v", err)
	}
	if d, err := slow.Result(ctx); err != nil || d != 200*time.Millisecond {
		t.Fatalf("the other call = %v, %v", d, err)
	}
	if f, err := futures.SubmitFunc(ctx, e, ppPow, powArg{2, 5}); err != nil {
		t.Fatal(err)
	} else if v, err := f.Result(ctx); err != nil || v != 32 {
		t.Fatalf("a call after the death = %v, %v", v, err)
	}
	// test_traceback_when_child_process_terminates_abruptly
	f, err := futures.SubmitFunc(ctx, e, ppExit, 99)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Result(ctx); !errors.As(err, &exit) || exit.ExitCode != 99 {
		t.Fatalf("os.Exit(99) in the worker = %v", err)
	}
}

func TestProcessPoolFailFastIsBrokenProcessPool(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newProcessPool(t, 2, process.WithFailFast())
	// One call runs on each worker, and two more wait for one.
	sleep := func() *futures.Future[time.Duration] {
		f, err := futures.SubmitFunc(ctx, e, ppSleep, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		return f
	}
	waiting := []*futures.Future[time.Duration]{sleep()}
	dies, err := futures.SubmitFunc(ctx, e, ppKill, struct{}{})
	if err != nil {
		t.Fatal(err)
	}
	waiting = append(waiting, sleep(), sleep())
	for _, f := range append([]futures.Awaitable{dies}, waiting[0], waiting[1], waiting[2]) {
		<-f.Done()
	}
	for i, f := range waiting {
		if err := f.Err(); !errors.Is(err, futures.ErrBroken) || !errors.Is(err, process.ErrBrokenPool) {
			t.Fatalf("future %d of a broken pool = %v", i, err)
		}
	}
	if _, err := futures.SubmitFunc(ctx, e, ppPow, powArg{2, 2}); !errors.Is(err, futures.ErrBroken) {
		t.Fatalf("SubmitFunc to a broken pool = %v", err)
	}
}

func TestProcessPoolRemoteTraceback(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newProcessPool(t, 1)
	f, err := futures.SubmitFunc(ctx, e, ppPanic, struct{}{})
	if err != nil {
		t.Fatal(err)
	}
	var remote *process.RemoteError
	if _, err := f.Result(ctx); !errors.As(err, &remote) || !remote.Panic || !strings.Contains(remote.Stack, "processpool_test.go") {
		t.Fatalf("a panic in the worker = %#v", err)
	}
	g, err := futures.SubmitFunc(ctx, e, ppFuncResult, struct{}{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := g.Result(ctx); err == nil {
		t.Fatal("a result that cannot be encoded arrived")
	}
}

func TestProcessPoolIdleWorkerReuse(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newProcessPool(t, 4)
	pids := map[int]bool{}
	for range 3 {
		f, err := futures.SubmitFunc(ctx, e, ppPid, 0)
		if err != nil {
			t.Fatal(err)
		}
		pid, err := f.Result(ctx)
		if err != nil {
			t.Fatal(err)
		}
		pids[pid] = true
	}
	if len(pids) != 1 {
		t.Fatalf("three calls one after the other ran on %d workers", len(pids))
	}
	// test_saturation: never more workers than the maximum.
	var fs []*futures.Future[int]
	for range 15 * 4 {
		f, err := futures.SubmitFunc(ctx, e, ppPid, 5*time.Millisecond)
		if err != nil {
			t.Fatal(err)
		}
		fs = append(fs, f)
	}
	for _, f := range fs {
		pid, err := f.Result(ctx)
		if err != nil {
			t.Fatal(err)
		}
		pids[pid] = true
	}
	if len(pids) > 4 {
		t.Fatalf("calls ran on %d workers, max 4", len(pids))
	}
}

func TestProcessPoolMaxTasksPerChild(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newProcessPool(t, 1, process.WithMaxTasksPerChild(3))
	var pids []int
	for range 4 {
		f, err := futures.SubmitFunc(ctx, e, ppPid, 0)
		if err != nil {
			t.Fatal(err)
		}
		pid, err := f.Result(ctx)
		if err != nil {
			t.Fatal(err)
		}
		pids = append(pids, pid)
	}
	if pids[0] != pids[1] || pids[0] != pids[2] || pids[3] == pids[0] {
		t.Fatalf("pids %v: want the same three times, then another", pids)
	}
	// test_max_tasks_early_shutdown
	e2 := newProcessPool(t, 3, process.WithMaxTasksPerChild(1))
	var fs []*futures.Future[int]
	for i := range 6 {
		f, err := futures.SubmitFunc(ctx, e2, ppPow, powArg{i, 2})
		if err != nil {
			t.Fatal(err)
		}
		fs = append(fs, f)
	}
	if err := e2.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	for i, f := range fs {
		if v, err := f.Result(ctx); err != nil || v != i*i {
			t.Fatalf("call %d = %v, %v", i, v, err)
		}
	}
}

func TestProcessPoolInitializer(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newProcessPool(t, 2, process.WithInitializer(ppInit, "initialized"))
	for range 2 {
		f, err := futures.SubmitFunc(ctx, e, ppInitStatus, struct{}{})
		if err != nil {
			t.Fatal(err)
		}
		if s, err := f.Result(ctx); err != nil || s != "initialized" {
			t.Fatalf("status %q, %v", s, err)
		}
	}
	broken := newProcessPool(t, 2, process.WithInitializer(ppInitFail, struct{}{}))
	f, err := futures.SubmitFunc(ctx, broken, ppInitStatus, struct{}{})
	if err == nil {
		_, err = f.Result(ctx)
	}
	if !errors.Is(err, futures.ErrBroken) || !strings.Contains(err.Error(), "error in initializer") {
		t.Fatalf("a call on a pool whose initializer fails = %v", err)
	}
	if _, err := futures.SubmitFunc(ctx, broken, ppInitStatus, struct{}{}); !errors.Is(err, futures.ErrBroken) {
		t.Fatalf("SubmitFunc to the broken pool = %v", err)
	}
}

func TestProcessPoolShutdown(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	// test_hang_issue12364: shutdown waits for the queued calls.
	e := newProcessPool(t, 2)
	var fs []*futures.Future[time.Duration]
	for range 20 {
		f, err := futures.SubmitFunc(ctx, e, ppSleep, 5*time.Millisecond)
		if err != nil {
			t.Fatal(err)
		}
		fs = append(fs, f)
	}
	if err := e.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	for _, f := range fs {
		if _, err := f.Result(ctx); err != nil {
			t.Fatal(err)
		}
	}
	// test_run_after_shutdown
	if _, err := futures.SubmitFunc(ctx, e, ppPow, powArg{2, 5}); !errors.Is(err, futures.ErrShutdown) {
		t.Fatalf("SubmitFunc after Shutdown = %v", err)
	}
	for _, err := range futures.MapFunc(ctx, e, ppPow, slices.Values([]powArg{{2, 5}})) {
		if !errors.Is(err, futures.ErrShutdown) {
			t.Fatalf("MapFunc after Shutdown = %v", err)
		}
	}

	// test_cancel_futures
	e = newProcessPool(t, 2)
	warm, err := futures.SubmitFunc(ctx, e, ppSleep, 50*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	warm.Result(ctx) // a worker is started
	fs = fs[:0]
	for range 50 {
		f, err := futures.SubmitFunc(ctx, e, ppSleep, 20*time.Millisecond)
		if err != nil {
			t.Fatal(err)
		}
		fs = append(fs, f)
	}
	if err := e.Shutdown(ctx, futures.CancelFutures()); err != nil {
		t.Fatal(err)
	}
	cancelled := 0
	for _, f := range fs {
		switch {
		case f.Cancelled():
			cancelled++
		case f.State() != futures.Finished || f.Err() != nil:
			t.Fatalf("a future that was not cancelled: %v, %v", f, f.Err())
		}
	}
	if cancelled < 20 || cancelled == len(fs) {
		t.Fatalf("%d of %d futures cancelled", cancelled, len(fs))
	}

	// test_hang_gh94440: a future cancelled right before shutdown.
	e = newProcessPool(t, 1)
	if f, err := futures.SubmitFunc(ctx, e, ppPow, powArg{1, 1}); err != nil {
		t.Fatal(err)
	} else if _, err := f.Result(ctx); err != nil {
		t.Fatal(err)
	}
	f, err := futures.SubmitFunc(ctx, e, ppSleep, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	g, err := futures.SubmitFunc(ctx, e, ppPow, powArg{1, 1})
	if err != nil {
		t.Fatal(err)
	}
	g.Cancel()
	wait, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancel()
	if err := e.Shutdown(wait); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Shutdown while a call sleeps an hour = %v", err)
	}
	e.Terminate()
	if _, err := f.Result(ctx); !errors.Is(err, process.ErrPoolTerminated) {
		t.Fatalf("the call Terminate stopped = %v", err)
	}
}

func TestProcessPoolContextKillsTheCall(t *testing.T) {
	t.Parallel()
	e := newProcessPool(t, 1)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	f, err := futures.SubmitFunc(ctx, e, ppPid, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Result(context.Background()); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("a call past its context's deadline = %v", err)
	}
	g, err := futures.SubmitFunc(context.Background(), e, ppPow, powArg{3, 2})
	if err != nil {
		t.Fatal(err)
	}
	if v, err := g.Result(context.Background()); err != nil || v != 9 {
		t.Fatalf("the next call = %v, %v", v, err)
	}
}

func TestProcessPoolFuturesWorkWithWait(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newProcessPool(t, 2)
	var fs []*futures.Future[time.Duration]
	for _, d := range []time.Duration{300 * time.Millisecond, 0} {
		f, err := futures.SubmitFunc(ctx, e, ppSleep, d)
		if err != nil {
			t.Fatal(err)
		}
		fs = append(fs, f)
	}
	done, notDone, err := futures.Wait(ctx, fs, futures.FirstCompleted)
	if err != nil || len(done) != 1 || done[0] != fs[1] || len(notDone) != 1 {
		t.Fatalf("Wait(FirstCompleted) = %v, %v, %v", done, notDone, err)
	}
	n := 0
	for range futures.AsCompleted(ctx, fs) {
		n++
	}
	if n != 2 {
		t.Fatalf("AsCompleted yielded %d futures", n)
	}
}

func TestSubmitFuncOnThreads(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := futures.NewThreadPoolExecutor(futures.WithMaxWorkers(2))
	defer e.Shutdown(ctx)
	f, err := futures.SubmitFunc(ctx, e, ppPow, powArg{3, 3})
	if err != nil {
		t.Fatal(err)
	}
	if v, err := f.Result(ctx); err != nil || v != 27 {
		t.Fatalf("Result = %v, %v", v, err)
	}
	var got []int
	for v, err := range futures.MapFunc(ctx, e, ppPow, slices.Values([]powArg{{2, 1}, {2, 2}, {2, 3}})) {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, v)
	}
	if !slices.Equal(got, []int{2, 4, 8}) {
		t.Fatalf("MapFunc on threads = %v", got)
	}
}
