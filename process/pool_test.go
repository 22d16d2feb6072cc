package process_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/concurgo/concur"
	"github.com/concurgo/concur/process"
)

// The registered functions of the pool tests; CPython's pool tests use
// the same shapes (sqr with a wait, mul, a raiser).
type sqrArg struct {
	X    int
	Wait time.Duration
}

// dieArg makes poolDies end its process while running item At, the first
// time only when Once names a marker file (so that a retry succeeds).
type dieArg struct {
	X    int
	At   int
	How  string // "kill", "exit", "segv"
	Once string
}

var (
	poolSquare = process.RegisterFunc("test.pool.square", func(x int) int { return x * x })
	poolSqr    = process.Register("test.pool.sqr", func(ctx context.Context, a sqrArg) (int, error) {
		select {
		case <-time.After(a.Wait):
		case <-ctx.Done():
			return 0, context.Cause(ctx)
		}
		return a.X * a.X, nil
	})
	poolMul   = process.RegisterFunc("test.pool.mul", func(p process.Pair[int, int]) int { return p.First * p.Second })
	poolRaise = process.Register("test.pool.raise", func(_ context.Context, x int) (int, error) {
		if x%7 == 3 {
			return 0, fmt.Errorf("item %d refuses", x)
		}
		return x * x, nil
	})
	poolPanic = process.Register("test.pool.panic", func(_ context.Context, x int) (int, error) {
		if x == 2 {
			panic("deliberate panic in a pool task")
		}
		return x, nil
	})
	poolGoexit = process.Register("test.pool.goexit", func(_ context.Context, x int) (int, error) {
		if x == 1 {
			runtime.Goexit()
		}
		return x, nil
	})
	poolPid = process.Register("test.pool.pid", func(_ context.Context, wait time.Duration) (int, error) {
		time.Sleep(wait)
		return os.Getpid(), nil
	})
	poolDies = process.Register("test.pool.dies", func(_ context.Context, a dieArg) (int, error) {
		if a.X == a.At {
			first := true
			if a.Once != "" {
				f, err := os.OpenFile(a.Once, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
				first = err == nil
				f.Close()
			}
			if first {
				switch a.How {
				case "exit":
					os.Exit(3)
				case "segv":
					syscall.Kill(os.Getpid(), syscall.SIGSEGV)
				default:
					syscall.Kill(os.Getpid(), syscall.SIGKILL)
				}
				time.Sleep(time.Minute)
			}
		}
		time.Sleep(100 * time.Microsecond)
		return a.X * a.X, nil
	})
	poolSpin = process.Register("test.pool.spin", func(ctx context.Context, x int) (int, error) {
		if x < 0 { // forever, heedless of ctx: only a kill ends it
			for {
				spinSink.Add(1)
			}
		}
		return x, nil
	})
	poolFunc   = process.RegisterFunc("test.pool.func", func(x int) func() { return nil })
	poolOddFun = process.Register("test.pool.oddFunc", func(_ context.Context, x int) (any, error) {
		if x%2 == 1 {
			return func() {}, nil // cannot be encoded
		}
		return x, nil
	})
	poolSetState = process.RegisterTarget("test.pool.setState", func(_ context.Context, s string) error {
		poolState.Store(s)
		return nil
	})
	poolGetState = process.Register("test.pool.getState", func(context.Context, struct{}) (string, error) {
		s, _ := poolState.Load().(string)
		return s, nil
	})
	poolInitFails = process.RegisterTarget("test.pool.initFails", func(context.Context, struct{}) error {
		return errors.New("error in initializer")
	})
	// poolOwner starts a pool, reports its workers' pids and waits to be
	// killed: the owner of TestPoolWorkersExitWithTheirOwner.
	poolOwner = process.RegisterTarget("test.pool.owner", func(ctx context.Context, out process.File) error {
		p, err := process.NewPool(2)
		if err != nil {
			return err
		}
		var pids []int
		for len(pids) < 2 { // two slow tasks at once, on both workers once both are up
			got, err := process.Map(ctx, p, poolPid, []time.Duration{100 * time.Millisecond, 100 * time.Millisecond}, process.Chunksize(1))
			if err != nil {
				return err
			}
			pids = slices.Compact(slices.Sorted(slices.Values(append(pids, got...))))
		}
		for _, pid := range pids {
			fmt.Fprintln(out, pid)
		}
		out.Close()
		<-ctx.Done()
		return nil
	})
)

var (
	spinSink  atomic.Int64
	poolState atomic.Value
)

// poolKinds runs f for a process pool and a thread pool.
func poolKinds(t *testing.T, f func(t *testing.T, newPool func(n int, opts ...process.PoolOption) *process.Pool)) {
	t.Run("processes", func(t *testing.T) {
		t.Parallel()
		f(t, func(n int, opts ...process.PoolOption) *process.Pool {
			t.Helper()
			p, err := process.NewPool(n, opts...)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(p.Terminate)
			return p
		})
	})
	t.Run("threads", func(t *testing.T) {
		t.Parallel()
		f(t, func(n int, opts ...process.PoolOption) *process.Pool {
			p := process.NewThreadPool(n, opts...)
			t.Cleanup(p.Terminate)
			return p
		})
	})
}

func ints(n int) []int {
	xs := make([]int, n)
	for i := range xs {
		xs[i] = i
	}
	return xs
}

func squares(n int) []int {
	xs := make([]int, n)
	for i := range xs {
		xs[i] = i * i
	}
	return xs
}

func TestPoolMap(t *testing.T) {
	t.Parallel()
	poolKinds(t, func(t *testing.T, newPool func(int, ...process.PoolOption) *process.Pool) {
		p := newPool(4)
		for _, opts := range [][]process.CallOption{nil, {process.Chunksize(20)}, {process.Chunksize(1)}, {process.Chunksize(500)}} {
			got, err := process.Map(background, p, poolSquare, ints(100), opts...)
			if err != nil || !slices.Equal(got, squares(100)) {
				t.Fatalf("Map(%d options) = %v, %v", len(opts), got, err)
			}
		}
		if got, err := process.Map(background, p, poolSquare, nil); err != nil || len(got) != 0 {
			t.Fatalf("Map of nothing = %v, %v", got, err)
		}
		r, err := process.MapAsync(background, p, poolSquare, []int{}, process.Chunksize(1))
		if err != nil {
			t.Fatal(err)
		}
		if got, err := r.Get(within(t, time.Second)); err != nil || len(got) != 0 {
			t.Fatalf("MapAsync of nothing stalled or failed: %v, %v", got, err)
		}
	})
}

func TestPoolApply(t *testing.T) {
	t.Parallel()
	poolKinds(t, func(t *testing.T, newPool func(int, ...process.PoolOption) *process.Pool) {
		p := newPool(2)
		if v, err := process.Apply(background, p, poolSquare, 5); err != nil || v != 25 {
			t.Fatalf("Apply = %v, %v", v, err)
		}
		_, err := process.Apply(background, p, poolRaise, 3)
		var remote *process.RemoteError
		switch {
		case err == nil || !strings.Contains(err.Error(), "item 3 refuses"):
			t.Fatalf("Apply of a failing function = %v", err)
		case errors.As(err, &remote) && (remote.Func != "test.pool.raise" || remote.Pid == 0 || remote.Panic):
			t.Fatalf("RemoteError %+v", remote)
		}
		_, err = process.Apply(background, p, poolPanic, 2)
		var pe *concur.PanicError
		if !(errors.As(err, &remote) && remote.Panic && strings.Contains(remote.Stack, "pool_test.go")) && !errors.As(err, &pe) {
			t.Fatalf("Apply of a panicking function = %#v", err)
		}
		// The worker survives a panic.
		if v, err := process.Apply(background, p, poolSquare, 6); err != nil || v != 36 {
			t.Fatalf("Apply after a panic = %v, %v", v, err)
		}
	})
}

func TestPoolStarmap(t *testing.T) {
	t.Parallel()
	poolKinds(t, func(t *testing.T, newPool func(int, ...process.PoolOption) *process.Pool) {
		p := newPool(3)
		xs := ints(100)
		slices.Reverse(xs)
		want := make([]int, len(xs))
		for i, x := range xs {
			want[i] = i * x
		}
		for _, opts := range [][]process.CallOption{nil, {process.Chunksize(20)}} {
			got, err := process.Starmap(background, p, poolMul, slices.All(xs), opts...)
			if err != nil || !slices.Equal(got, want) {
				t.Fatalf("Starmap = %v, %v", got, err)
			}
		}
		r, err := process.StarmapAsync(background, p, poolMul, slices.All(xs))
		if err != nil {
			t.Fatal(err)
		}
		if got, err := r.Get(background); err != nil || !slices.Equal(got, want) {
			t.Fatalf("StarmapAsync = %v, %v", got, err)
		}
	})
}

func TestPoolImap(t *testing.T) {
	t.Parallel()
	poolKinds(t, func(t *testing.T, newPool func(int, ...process.PoolOption) *process.Pool) {
		p := newPool(3)
		for _, opts := range [][]process.CallOption{nil, {process.Chunksize(100)}, {process.Chunksize(7)}} {
			var got []int
			for v, err := range process.Imap(background, p, poolSquare, slices.Values(ints(1000)), opts...) {
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, v)
			}
			if !slices.Equal(got, squares(1000)) {
				t.Fatalf("Imap with %d options: %v", len(opts), got)
			}
			got = got[:0]
			for v, err := range process.ImapUnordered(background, p, poolSquare, slices.Values(ints(1000)), opts...) {
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, v)
			}
			slices.Sort(got)
			if !slices.Equal(got, squares(1000)) {
				t.Fatalf("ImapUnordered with %d options: %v", len(opts), got)
			}
		}
		for range process.Imap(background, p, poolSquare, slices.Values([]int{})) {
			t.Fatal("Imap of nothing yielded")
		}
	})
}

func TestPoolImapErrorsAreTheirItems(t *testing.T) {
	t.Parallel()
	poolKinds(t, func(t *testing.T, newPool func(int, ...process.PoolOption) *process.Pool) {
		p := newPool(2)
		i := 0
		for v, err := range process.Imap(background, p, poolRaise, slices.Values(ints(40)), process.Chunksize(4)) {
			if i%7 == 3 {
				if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("item %d refuses", i)) {
					t.Fatalf("item %d: %v, %v", i, v, err)
				}
			} else if err != nil || v != i*i {
				t.Fatalf("item %d: %v, %v", i, v, err)
			}
			i++
		}
		if i != 40 {
			t.Fatalf("Imap yielded %d items", i)
		}
		// Map reports the first failure in input order.
		if _, err := process.Map(background, p, poolRaise, ints(40)); err == nil || !strings.Contains(err.Error(), "item 3 refuses") {
			t.Fatalf("Map = %v", err)
		}
	})
}

func TestPoolImapEndlessInputAndBreak(t *testing.T) {
	t.Parallel()
	poolKinds(t, func(t *testing.T, newPool func(int, ...process.PoolOption) *process.Pool) {
		p := newPool(2)
		var pulled atomic.Int64
		endless := func(yield func(int) bool) {
			for i := 0; ; i++ {
				pulled.Add(1)
				if !yield(i) {
					return
				}
			}
		}
		n := 0
		for v, err := range process.Imap(background, p, poolSquare, endless, process.Chunksize(10)) {
			if err != nil || v != n*n {
				t.Fatalf("item %d: %v, %v", n, v, err)
			}
			if n++; n == 500 {
				break
			}
		}
		if got := pulled.Load(); got > 500+10*4*2+10 {
			t.Fatalf("Imap read %d items of an endless input to yield 500", got)
		}
		// The pool is still usable.
		if v, err := process.Apply(background, p, poolSquare, 9); err != nil || v != 81 {
			t.Fatalf("Apply after a broken-off Imap = %v, %v", v, err)
		}
	})
}

func TestPoolAsyncResult(t *testing.T) {
	t.Parallel()
	poolKinds(t, func(t *testing.T, newPool func(int, ...process.PoolOption) *process.Pool) {
		p := newPool(2)
		r, err := process.ApplyAsync(background, p, poolSqr, sqrArg{X: 7, Wait: 50 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		func() {
			defer func() {
				if recover() == nil && !r.Ready() {
					t.Error("Successful before the result is ready did not panic")
				}
			}()
			r.Successful()
		}()
		if v, err := r.Get(background); err != nil || v != 49 || !r.Ready() || !r.Successful() {
			t.Fatalf("Get = %v, %v", v, err)
		}

		var mu sync.Mutex
		var calls []any
		record := func(v any) { mu.Lock(); calls = append(calls, v); mu.Unlock() }
		ok, err := process.MapAsync(background, p, poolRaise, []int{1})
		if err != nil {
			t.Fatal(err)
		}
		ok.AddCallback(func(v []int) { record(v) })
		ok.AddErrorCallback(func(err error) { record(err) })
		if err := ok.Wait(background); err != nil {
			t.Fatal(err)
		}
		bad, err := process.MapAsync(background, p, poolRaise, []int{3})
		if err != nil {
			t.Fatal(err)
		}
		bad.AddCallback(func(v []int) { record(v) })
		bad.AddErrorCallback(func(err error) { record(err) })
		bad.Wait(background)
		if bad.Successful() {
			t.Fatal("a failed MapAsync is successful")
		}
		// A callback added after the result is ready runs at once.
		bad.AddErrorCallback(func(err error) { record(err) })
		mu.Lock()
		defer mu.Unlock()
		if len(calls) != 3 || !slices.Equal(calls[0].([]int), []int{1}) {
			t.Fatalf("callbacks got %v", calls)
		}
		for _, c := range calls[1:] {
			if err, _ := c.(error); err == nil || !strings.Contains(err.Error(), "item 3 refuses") {
				t.Fatalf("error callback got %v", c)
			}
		}
	})
}

func TestPoolGetTimeoutLeavesTheCallRunning(t *testing.T) {
	t.Parallel()
	poolKinds(t, func(t *testing.T, newPool func(int, ...process.PoolOption) *process.Pool) {
		p := newPool(1)
		r, err := process.ApplyAsync(background, p, poolSqr, sqrArg{X: 6, Wait: 200 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := r.Get(within(t, 20*time.Millisecond)); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Get with a short deadline = %v", err)
		}
		if v, err := r.Get(background); err != nil || v != 36 {
			t.Fatalf("Get after the timeout = %v, %v", v, err)
		}
	})
}

func TestPoolContextStopsTheCall(t *testing.T) {
	t.Parallel()
	poolKinds(t, func(t *testing.T, newPool func(int, ...process.PoolOption) *process.Pool) {
		p := newPool(2)
		ctx, cancel := context.WithTimeout(background, 100*time.Millisecond)
		defer cancel()
		start := time.Now()
		arg := sqrArg{X: 1, Wait: time.Hour}
		if _, err := process.Apply(ctx, p, poolSqr, arg); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Apply past its deadline = %v", err)
		}
		if _, err := process.Map(ctx, p, poolSqr, []sqrArg{arg, arg, arg}); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Map past its deadline = %v", err)
		}
		if time.Since(start) > 10*time.Second {
			t.Fatal("the calls outlived their context")
		}
		// Their workers were replaced (process) or freed (threads).
		got, err := process.Map(background, p, poolSquare, ints(10))
		if err != nil || !slices.Equal(got, squares(10)) {
			t.Fatalf("Map afterwards = %v, %v", got, err)
		}
		if _, err := process.ApplyAsync(ctx, p, poolSquare, 1); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("ApplyAsync with an ended context = %v", err)
		}
	})
}

func TestPoolCloseJoin(t *testing.T) {
	t.Parallel()
	poolKinds(t, func(t *testing.T, newPool func(int, ...process.PoolOption) *process.Pool) {
		p := newPool(2)
		func() {
			defer func() {
				if recover() == nil {
					t.Error("Join before Close did not panic")
				}
			}()
			p.Join(background)
		}()
		var rs []*process.AsyncResult[int]
		for i := range 6 {
			r, err := process.ApplyAsync(background, p, poolSqr, sqrArg{X: i, Wait: 10 * time.Millisecond})
			if err != nil {
				t.Fatal(err)
			}
			rs = append(rs, r)
		}
		p.Close()
		if _, err := process.Apply(background, p, poolSquare, 1); !errors.Is(err, process.ErrPoolClosed) {
			t.Fatalf("Apply after Close = %v", err)
		}
		if err := p.Join(within(t, 10*time.Second)); err != nil {
			t.Fatal(err)
		}
		for i, r := range rs {
			if !r.Ready() {
				t.Fatalf("result %d not ready after Join", i)
			}
			if v, err := r.Get(background); err != nil || v != i*i {
				t.Fatalf("result %d = %v, %v", i, v, err)
			}
		}
	})
}

func TestPoolTerminate(t *testing.T) {
	t.Parallel()
	poolKinds(t, func(t *testing.T, newPool func(int, ...process.PoolOption) *process.Pool) {
		p := newPool(3)
		args := make([]sqrArg, 10_000)
		for i := range args {
			args[i] = sqrArg{X: i, Wait: time.Hour}
		}
		r, err := process.MapAsync(background, p, poolSqr, args, process.Chunksize(1))
		if err != nil {
			t.Fatal(err)
		}
		time.Sleep(50 * time.Millisecond)
		p.Terminate()
		if err := p.Join(within(t, time.Second)); err != nil {
			t.Fatal(err)
		}
		if _, err := r.Get(within(t, time.Second)); !errors.Is(err, process.ErrPoolTerminated) {
			t.Fatalf("Get after Terminate = %v", err)
		}
		if _, err := process.Apply(background, p, poolSquare, 1); !errors.Is(err, process.ErrPoolTerminated) {
			t.Fatalf("Apply after Terminate = %v", err)
		}
		p.Terminate() // again: nothing happens
	})
}

func TestPoolTerminateLeavesNoProcess(t *testing.T) {
	t.Parallel()
	p, err := process.NewPool(3)
	if err != nil {
		t.Fatal(err)
	}
	// Three slow tasks at once run on three workers, once all three are up.
	var pids []int
	for try := 0; len(pids) < 3; try++ {
		got, err := process.Map(background, p, poolPid, []time.Duration{100 * time.Millisecond, 100 * time.Millisecond, 100 * time.Millisecond}, process.Chunksize(1))
		if err != nil {
			t.Fatal(err)
		}
		pids = slices.Compact(slices.Sorted(slices.Values(append(pids, got...))))
		if try == 20 {
			t.Fatalf("slow tasks ran on workers %v only", pids)
		}
	}
	p.Terminate()
	for _, pid := range pids {
		if !pidGone(pid) {
			t.Fatalf("worker %d still runs after Terminate returned", pid)
		}
	}
}

func TestPoolWorkerKilledDuringMap(t *testing.T) {
	t.Parallel()
	for _, how := range []string{"kill", "exit", "segv"} {
		t.Run(how, func(t *testing.T) {
			t.Parallel()
			// The crash report of "segv" goes nowhere.
			p, err := process.NewPool(2, process.WithWorkerOutput(os.Stdout, io.Discard))
			if err != nil {
				t.Fatal(err)
			}
			defer p.Terminate()
			args := make([]dieArg, 1000)
			for i := range args {
				args[i] = dieArg{X: i, At: 500, How: how}
			}
			start := time.Now()
			i := 0
			for v, err := range process.Imap(background, p, poolDies, slices.Values(args), process.Chunksize(125)) {
				if i != 500 {
					if err != nil || v != i*i {
						t.Fatalf("item %d: %v, %v", i, v, err)
					}
					i++
					continue
				}
				var exit *process.ExitError
				if !errors.As(err, &exit) || exit.Pid == 0 || !strings.HasPrefix(exit.Name, "SpawnPoolWorker-") {
					t.Fatalf("item 500, whose worker died: %v, %v", v, err)
				}
				switch how {
				case "kill":
					if exit.Signal != syscall.SIGKILL || exit.ExitCode != -9 {
						t.Fatalf("killed worker: %+v", exit)
					}
				case "exit":
					if exit.Signal != 0 || exit.ExitCode != 3 {
						t.Fatalf("exited worker: %+v", exit)
					}
				case "segv":
					if exit.ExitCode == 0 {
						t.Fatalf("crashed worker: %+v", exit)
					}
				}
				if !pidGone(exit.Pid) {
					t.Fatalf("the dead worker %d still runs", exit.Pid)
				}
				i++
			}
			if i != 1000 {
				t.Fatalf("Imap yielded %d items", i)
			}
			if d := time.Since(start); d > 20*time.Second {
				t.Fatalf("the map took %v", d)
			}
			// Map reports the death as its error; the pool goes on.
			_, err = process.Map(background, p, poolDies, args)
			var exit *process.ExitError
			if !errors.As(err, &exit) {
				t.Fatalf("Map = %v", err)
			}
			if got, err := process.Map(background, p, poolSquare, ints(100)); err != nil || !slices.Equal(got, squares(100)) {
				t.Fatalf("Map after the deaths = %v, %v", got, err)
			}
		})
	}
}

// An Apply caller reads its result from the worker itself; a worker
// that dies under it must still be reported, and replaced.
func TestPoolApplyWorkerDies(t *testing.T) {
	t.Parallel()
	for _, how := range []string{"kill", "exit"} {
		t.Run(how, func(t *testing.T) {
			t.Parallel()
			p, err := process.NewPool(1)
			if err != nil {
				t.Fatal(err)
			}
			defer p.Terminate()
			for range 3 {
				_, err := process.Apply(within(t, 10*time.Second), p, poolDies, dieArg{X: 0, At: 0, How: how})
				var exit *process.ExitError
				if !errors.As(err, &exit) || exit.Pid == 0 {
					t.Fatalf("Apply whose worker died = %v", err)
				}
				if v, err := process.Apply(within(t, 10*time.Second), p, poolSquare, 7); err != nil || v != 49 {
					t.Fatalf("Apply after the death = %v, %v", v, err)
				}
			}
		})
	}
}

// pidReaped reports whether pid is gone and reaped: not even a zombie.
func pidReaped(pid int) bool {
	_, err := os.Stat(fmt.Sprintf("/proc/%d", pid))
	return errors.Is(err, os.ErrNotExist)
}

// A worker that dies while idle is noticed at once, not when the next task
// comes: it is reaped and replaced.
func TestPoolIdleWorkerDeathIsNoticed(t *testing.T) {
	t.Parallel()
	p, err := process.NewPool(1)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Terminate()
	pid, err := process.Apply(background, p, poolPid, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(10 * time.Second); !pidReaped(pid); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the idle worker %d, killed, was not reaped", pid)
		}
	}
	next, err := process.Apply(within(t, 10*time.Second), p, poolPid, 0)
	if err != nil || next == pid {
		t.Fatalf("Apply after the idle worker died = %d, %v", next, err)
	}
}

// Apply callers that read their own results, beside Maps and
// ApplyAsyncs that the pool's readers serve, while some Applies kill their
// workers and others run out of time: every call ends, each with its own
// outcome, and the pool stays whole.
func TestPoolApplyUnderFire(t *testing.T) {
	t.Parallel()
	p, err := process.NewPool(2)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Terminate()
	ctx := within(t, 60*time.Second)
	var wg sync.WaitGroup
	errs := make(chan error, 1024)
	for g := range 6 {
		wg.Go(func() {
			for i := range 40 {
				x := g*1000 + i
				switch {
				case i%9 == 4: // kills its worker
					_, err := process.Apply(ctx, p, poolDies, dieArg{X: x, At: x})
					if exit := (*process.ExitError)(nil); !errors.As(err, &exit) {
						errs <- fmt.Errorf("Apply that kills its worker = %v", err)
					}
				case i%9 == 7: // runs out of time while its worker runs it
					short, cancel := context.WithTimeout(ctx, 2*time.Millisecond)
					_, err := process.Apply(short, p, poolSpin, -1)
					cancel()
					if !errors.Is(err, context.DeadlineExceeded) {
						errs <- fmt.Errorf("Apply past its deadline = %v", err)
					}
				default:
					if v, err := process.Apply(ctx, p, poolDies, dieArg{X: x, At: -1}); err != nil || v != x*x {
						errs <- fmt.Errorf("Apply(%d) = %v, %v", x, v, err)
					}
				}
			}
		})
	}
	for range 2 {
		wg.Go(func() {
			for range 5 {
				if got, err := process.Map(ctx, p, poolSquare, ints(300), process.Chunksize(7)); err != nil || !slices.Equal(got, squares(300)) {
					errs <- fmt.Errorf("Map = %v", err)
				}
			}
		})
	}
	wg.Go(func() {
		rs := make([]*process.AsyncResult[int], 50)
		for i := range rs {
			r, err := process.ApplyAsync(ctx, p, poolSquare, i)
			if err != nil {
				errs <- err
				return
			}
			rs[i] = r
		}
		for i, r := range rs {
			if v, err := r.Get(ctx); err != nil || v != i*i {
				errs <- fmt.Errorf("ApplyAsync(%d) = %v, %v", i, v, err)
			}
		}
	})
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if v, err := process.Apply(ctx, p, poolSquare, 12); err != nil || v != 144 {
		t.Fatalf("Apply afterwards = %v, %v", v, err)
	}
}

func TestPoolRetriesAfterWorkerDeath(t *testing.T) {
	t.Parallel()
	p, err := process.NewPool(2, process.WithRetries(1))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Terminate()
	marker := filepath.Join(t.TempDir(), "died")
	args := make([]dieArg, 1000)
	for i := range args {
		args[i] = dieArg{X: i, At: 500, Once: marker}
	}
	got, err := process.Map(background, p, poolDies, args)
	if err != nil {
		t.Fatalf("Map with retries = %v", err)
	}
	if !slices.Equal(got, squares(1000)) {
		t.Fatal("Map with retries returned wrong results")
	}
	if _, err := os.Stat(marker); err != nil {
		t.Fatal("the worker never died:", err)
	}
}

func TestPoolFailFast(t *testing.T) {
	t.Parallel()
	p, err := process.NewPool(2, process.WithFailFast())
	if err != nil {
		t.Fatal(err)
	}
	defer p.Terminate()
	slow, err := process.ApplyAsync(background, p, poolSqr, sqrArg{X: 1, Wait: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	_, err = process.Apply(background, p, poolDies, dieArg{X: 0, At: 0})
	var exit *process.ExitError
	if !errors.Is(err, process.ErrBrokenPool) || !errors.As(err, &exit) {
		t.Fatalf("the dying call = %v", err)
	}
	if _, err := slow.Get(within(t, 5*time.Second)); !errors.Is(err, process.ErrBrokenPool) {
		t.Fatalf("the other call of a broken pool = %v", err)
	}
	if _, err := process.Apply(background, p, poolSquare, 1); !errors.Is(err, process.ErrBrokenPool) {
		t.Fatalf("Apply on a broken pool = %v", err)
	}
}

func TestPoolTaskTimeout(t *testing.T) {
	t.Parallel()
	p, err := process.NewPool(2, process.WithTaskTimeout(300*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Terminate()
	start := time.Now()
	got := map[int]error{}
	i := 0
	for v, err := range process.Imap(background, p, poolSpin, slices.Values([]int{1, 2, -1, 4, 5, 6}), process.Chunksize(6)) {
		if err == nil && v != []int{1, 2, -1, 4, 5, 6}[i] {
			t.Fatalf("item %d = %d", i, v)
		}
		got[i] = err
		i++
	}
	var te *process.TaskTimeoutError
	if err := got[2]; !errors.Is(err, context.DeadlineExceeded) || !errors.As(err, &te) || te.Pid == 0 || te.Func != "test.pool.spin" {
		t.Fatalf("the endless item: %v", err)
	}
	delete(got, 2)
	for i, err := range got {
		if err != nil {
			t.Fatalf("item %d: %v", i, err)
		}
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Fatalf("took %v", d)
	}
	if !pidGone(te.Pid) {
		t.Fatalf("the worker that timed out, %d, still runs", te.Pid)
	}
	if v, err := process.Apply(background, p, poolSpin, 8); err != nil || v != 8 {
		t.Fatalf("Apply after the timeout = %v, %v", v, err)
	}
}

func TestThreadPoolTaskTimeout(t *testing.T) {
	t.Parallel()
	p := process.NewThreadPool(1, process.WithTaskTimeout(50*time.Millisecond))
	defer p.Terminate()
	_, err := process.Apply(background, p, poolSqr, sqrArg{X: 1, Wait: time.Hour})
	var te *process.TaskTimeoutError
	if !errors.Is(err, context.DeadlineExceeded) || !errors.As(err, &te) || te.Pid != 0 {
		t.Fatalf("a task past its timeout = %v", err)
	}
	if v, err := process.Apply(background, p, poolSqr, sqrArg{X: 3}); err != nil || v != 9 {
		t.Fatalf("Apply after a timeout = %v, %v", v, err)
	}
}

func TestPoolWorkersExitWithTheirOwner(t *testing.T) {
	t.Parallel()
	out, w, started := pipe(t)
	owner := process.New(poolOwner, w)
	mustStart(t, owner)
	started()
	var pids []int
	for range 2 {
		var pid int
		if _, err := fmt.Sscan(readLine(t, out), &pid); err != nil {
			t.Fatal(err)
		}
		pids = append(pids, pid)
	}
	owner.Kill()
	owner.Join(background)
	if left := waitGone(pids, 2*time.Second); len(left) > 0 {
		for _, pid := range left {
			syscall.Kill(pid, syscall.SIGKILL)
		}
		t.Fatalf("workers %v outlived the pool's killed owner", left)
	}
}

func TestPoolMaxTasksPerChild(t *testing.T) {
	t.Parallel()
	p, err := process.NewPool(1, process.WithMaxTasksPerChild(3))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Terminate()
	var pids []int
	for range 4 {
		pid, err := process.Apply(background, p, poolPid, 0)
		if err != nil {
			t.Fatal(err)
		}
		pids = append(pids, pid)
	}
	if pids[0] != pids[1] || pids[1] != pids[2] || pids[3] == pids[0] {
		t.Fatalf("worker pids %v: want three alike, then a new one", pids)
	}
	// gh-115634: workers retiring at their limit with tasks queued.
	for _, c := range []struct{ workers, limit, tasks int }{{1, 2, 6}, {2, 2, 8}} {
		p, err := process.NewPool(c.workers, process.WithMaxTasksPerChild(c.limit))
		if err != nil {
			t.Fatal(err)
		}
		got, err := process.Map(background, p, poolSquare, ints(c.tasks), process.Chunksize(1))
		if err != nil || !slices.Equal(got, squares(c.tasks)) {
			t.Fatalf("%+v: %v, %v", c, got, err)
		}
		p.Terminate()
	}
}

func TestPoolMaxTasksEarlyClose(t *testing.T) {
	t.Parallel()
	// bpo-10332: closing a pool whose workers have limited lifetimes
	// before all the tasks completed would make join() hang.
	p, err := process.NewPool(3, process.WithMaxTasksPerChild(1))
	if err != nil {
		t.Fatal(err)
	}
	var rs []*process.AsyncResult[int]
	for i := range 6 {
		r, err := process.ApplyAsync(background, p, poolSqr, sqrArg{X: i, Wait: 30 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		rs = append(rs, r)
	}
	p.Close()
	if err := p.Join(within(t, 20*time.Second)); err != nil {
		t.Fatal(err)
	}
	for i, r := range rs {
		if v, err := r.Get(background); err != nil || v != i*i {
			t.Fatalf("result %d = %v, %v", i, v, err)
		}
	}
}

func TestPoolInitializer(t *testing.T) {
	t.Parallel()
	poolKinds(t, func(t *testing.T, newPool func(int, ...process.PoolOption) *process.Pool) {
		state := fmt.Sprintf("initialized %p", t)
		p := newPool(2, process.WithInitializer(poolSetState, state))
		got, err := process.Map(background, p, poolGetState, make([]struct{}, 8), process.Chunksize(1))
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range got {
			if s != state {
				t.Fatalf("a worker's state is %q", s)
			}
		}
	})
}

func TestPoolFailingInitializerBreaksThePool(t *testing.T) {
	t.Parallel()
	poolKinds(t, func(t *testing.T, newPool func(int, ...process.PoolOption) *process.Pool) {
		p := newPool(2, process.WithInitializer(poolInitFails, struct{}{}))
		_, err := process.Apply(within(t, 10*time.Second), p, poolSquare, 2)
		if !errors.Is(err, process.ErrBrokenPool) || !strings.Contains(err.Error(), "error in initializer") {
			t.Fatalf("Apply on a pool whose initializer fails = %v", err)
		}
		if _, err := process.Apply(background, p, poolSquare, 2); !errors.Is(err, process.ErrBrokenPool) {
			t.Fatalf("the next Apply = %v", err)
		}
	})
}

func TestPoolInitializerCarriesHandles(t *testing.T) {
	t.Parallel()
	v, err := process.NewValue[int64](0)
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	p, err := process.NewPool(2, process.WithInitializer(poolBumpInit, v))
	if err != nil {
		t.Fatal(err)
	}
	v.Close() // the pool keeps its own
	p.Close()
	if err := p.Join(within(t, 10*time.Second)); err != nil {
		t.Fatal(err)
	}
}

var poolBumpInit = process.RegisterTarget("test.pool.bumpInit", func(_ context.Context, v *process.Value[int64]) error {
	v.Add(1)
	return v.Close()
})

func TestPoolRefusesWhatCannotTravel(t *testing.T) {
	t.Parallel()
	p, err := process.NewPool(1)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Terminate()
	var ee *process.EncodeError
	if _, err := process.ApplyAsync(background, p, fileTaker, process.File{File: os.Stdin}); !errors.As(err, &ee) {
		t.Fatalf("ApplyAsync with a File = %v", err)
	}
	// A result that cannot be encoded fails its item only.
	i := 0
	for v, err := range process.Imap(background, p, poolOddFun, slices.Values(ints(6)), process.Chunksize(6)) {
		if i%2 == 1 && err == nil || i%2 == 0 && (err != nil || v != i) {
			t.Fatalf("item %d: %v, %v", i, v, err)
		}
		i++
	}
	if _, err := process.Apply(background, p, poolFunc, 1); err == nil {
		t.Fatal("a nil func result encoded")
	}
}

var fileTaker = process.RegisterTarget("test.pool.fileTaker", func(_ context.Context, f process.File) error { return nil })

func TestPoolGoexit(t *testing.T) {
	t.Parallel()
	poolKinds(t, func(t *testing.T, newPool func(int, ...process.PoolOption) *process.Pool) {
		p := newPool(1)
		i := 0
		for v, err := range process.Imap(background, p, poolGoexit, slices.Values(ints(4)), process.Chunksize(4)) {
			if i == 1 && err == nil || i != 1 && (err != nil || v != i) {
				t.Fatalf("item %d: %v, %v", i, v, err)
			}
			i++
		}
		if v, err := process.Apply(background, p, poolGoexit, 5); err != nil || v != 5 {
			t.Fatalf("Apply after a Goexit = %v, %v", v, err)
		}
	})
}

func TestPoolConcurrentCalls(t *testing.T) {
	t.Parallel()
	poolKinds(t, func(t *testing.T, newPool func(int, ...process.PoolOption) *process.Pool) {
		p := newPool(3)
		var wg sync.WaitGroup
		errs := make(chan error, 64)
		for g := range 16 {
			wg.Go(func() {
				for i := range 20 {
					x := g*100 + i
					if v, err := process.Apply(background, p, poolSquare, x); err != nil || v != x*x {
						errs <- fmt.Errorf("Apply(%d) = %v, %v", x, v, err)
					}
				}
				got, err := process.Map(background, p, poolSquare, ints(50+g))
				if err != nil || !slices.Equal(got, squares(50+g)) {
					errs <- fmt.Errorf("Map = %v, %v", got, err)
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
	})
}

func TestPoolSizeDefault(t *testing.T) {
	t.Parallel()
	p := process.NewThreadPool(0)
	defer p.Terminate()
	if p.Size() != process.CPUCount() {
		t.Fatalf("Size = %d, want CPUCount %d", p.Size(), process.CPUCount())
	}
	for _, f := range []func(){
		func() { process.NewThreadPool(-1) },
		func() { process.Chunksize(0) },
		func() { process.WithMaxTasksPerChild(0) },
		func() { process.WithTaskTimeout(0) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Error("a misuse did not panic")
				}
			}()
			f()
		}()
	}
}

// within returns a context that ends after d, or with the test.
func within(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(background, d)
	t.Cleanup(cancel)
	return ctx
}

func TestPoolUnreachableClosesItself(t *testing.T) {
	t.Parallel()
	pids := func() []int {
		p, err := process.NewPool(2)
		if err != nil {
			t.Fatal(err)
		}
		pids, err := process.Map(background, p, poolPid, []time.Duration{50 * time.Millisecond, 50 * time.Millisecond}, process.Chunksize(1))
		if err != nil {
			t.Fatal(err)
		}
		return pids
	}()
	deadline := time.Now().Add(10 * time.Second)
	for len(waitGone(pids, 10*time.Millisecond)) > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("the workers %v of an unreachable pool still run", pids)
		}
		runtime.GC()
	}
}

func TestThreadPoolMaxTasksPerChild(t *testing.T) {
	t.Parallel()
	p := process.NewThreadPool(2, process.WithMaxTasksPerChild(2))
	defer p.Terminate()
	got, err := process.Map(background, p, poolSquare, ints(20), process.Chunksize(1))
	if err != nil || !slices.Equal(got, squares(20)) {
		t.Fatalf("Map = %v, %v", got, err)
	}
}

func TestPoolTaskSentAheadThenCancelled(t *testing.T) {
	t.Parallel()
	p, err := process.NewPool(1)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Terminate()
	// The only worker runs a, and is sent b ahead, since it is busy.
	a, err := process.ApplyAsync(background, p, poolSqr, sqrArg{X: 2, Wait: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(background, 50*time.Millisecond)
	defer cancel()
	if _, err := process.Apply(ctx, p, poolSpin, -1); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("the endless call past its deadline = %v", err)
	}
	if v, err := a.Get(background); err != nil || v != 4 {
		t.Fatalf("the call ahead of it = %v, %v", v, err)
	}
	// The worker did not go on to run the endless call.
	if v, err := process.Apply(within(t, 10*time.Second), p, poolSquare, 5); err != nil || v != 25 {
		t.Fatalf("the next call = %v, %v", v, err)
	}
}

func TestPoolLargeChunksBothWays(t *testing.T) {
	t.Parallel()
	// Chunks and results larger than a socket's buffer, with tasks sent
	// ahead to busy workers: no send may wait on a reader that waits on
	// it.
	p, err := process.NewPool(2)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Terminate()
	got, err := process.Map(within(t, 30*time.Second), p, poolSquare, ints(600_000), process.Chunksize(50_000))
	if err != nil || !slices.Equal(got, squares(600_000)) {
		t.Fatalf("Map of large chunks: %v", err)
	}
	words := make([]string, 20_000)
	for i := range words {
		words[i] = strings.Repeat("x", 100)
	}
	up, err := process.Map(within(t, 30*time.Second), p, poolUpper, words, process.Chunksize(2_000))
	if err != nil || len(up) != len(words) || up[7] != strings.Repeat("X", 100) {
		t.Fatalf("Map of large string chunks: %v", err)
	}
}

var poolUpper = process.RegisterFunc("test.pool.upper", strings.ToUpper)

var poolTakesFunc = process.Register("test.pool.takesFunc", func(context.Context, func()) (int, error) { return 0, nil })

func TestPoolUnencodableArguments(t *testing.T) {
	t.Parallel()
	poolKinds(t, func(t *testing.T, newPool func(int, ...process.PoolOption) *process.Pool) {
		p := newPool(2)
		_, err := process.Map(within(t, 10*time.Second), p, poolTakesFunc, []func(){nil, nil, nil})
		var ee *process.EncodeError
		if kindIsThread := err == nil; !kindIsThread && !errors.As(err, &ee) {
			t.Fatalf("Map of funcs = %v", err) // Python: the pickling error, and no hang (bpo-19425)
		}
		if v, err := process.Apply(background, p, poolSquare, 4); err != nil || v != 16 {
			t.Fatalf("Apply afterwards = %v, %v", v, err)
		}
	})
}

func TestPoolPanickingInput(t *testing.T) {
	t.Parallel()
	// CPython's test_imap_handle_iterable_exception: an input that fails
	// reaches the caller, and the pool goes on. A Go sequence fails by
	// panicking, in the caller's goroutine.
	poolKinds(t, func(t *testing.T, newPool func(int, ...process.PoolOption) *process.Pool) {
		p := newPool(2)
		bad := func(yield func(int) bool) {
			for i := range 10 {
				if i == 7 {
					panic("somebody said when")
				}
				if !yield(i) {
					return
				}
			}
		}
		func() {
			defer func() {
				if recover() != "somebody said when" {
					t.Error("the input's panic did not reach the caller")
				}
			}()
			for range process.Imap(background, p, poolSquare, bad, process.Chunksize(2)) {
			}
		}()
		if v, err := process.Apply(background, p, poolSquare, 4); err != nil || v != 16 {
			t.Fatalf("Apply afterwards = %v, %v", v, err)
		}
	})
}

func TestThreadPoolReturnsTheFunctionsError(t *testing.T) {
	t.Parallel()
	// bpo-20980: a thread pool does not wrap the exception.
	p := process.NewThreadPool(1)
	defer p.Terminate()
	_, err := process.Apply(background, p, poolWrapped, struct{}{})
	if !errors.Is(err, errPoolSentinel) {
		t.Fatalf("Apply = %v", err)
	}
}

var (
	errPoolSentinel = errors.New("sentinel")
	poolWrapped     = process.Register("test.pool.wrapped", func(context.Context, struct{}) (int, error) { return 0, errPoolSentinel })
)
