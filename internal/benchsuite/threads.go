package benchsuite

import (
	"context"
	"errors"
	"runtime"
	"sync"
	"time"

	"github.com/concurgo/concur/aio"
	"github.com/concurgo/concur/futures"
	"github.com/concurgo/concur/thread"
)

// The in-process workloads: locks, threads, the thread executor, the
// countdown in threads and the I/O fan-outs.

func mutexBaseline() *Impl {
	b := Timed("sync.Mutex", func(_ context.Context, n int) (time.Duration, error) {
		var mu sync.Mutex
		start := time.Now()
		for range n {
			mu.Lock()
			mu.Unlock()
		}
		return time.Since(start), nil
	})
	return &b
}

func lockWorkload() *Workload {
	return &Workload{
		ID: "lock", Title: "Lock acquire+release", Unit: PerOp, Quick: true, Python: true,
		Note: "thread.Lock Acquire(ctx)+Release, uncontended; Python threading.Lock acquire()+release()",
		Concur: Timed("thread.Lock", func(ctx context.Context, n int) (time.Duration, error) {
			var l thread.Lock
			start := time.Now()
			for range n {
				l.Acquire(ctx)
				l.Release()
			}
			return time.Since(start), nil
		}),
		Baseline: mutexBaseline(),
		Bars:     []Bar{{Against: AgainstBaseline, Min: 1.0 / 3, Text: "within 3x of sync.Mutex"}},
	}
}

func rlockWorkload() *Workload {
	return &Workload{
		ID: "rlock", Title: "RLock acquire+release", Unit: PerOp, Quick: true, Python: true,
		Note: "thread.RLock Acquire(ctx)+Release, uncontended, not nested; Python threading.RLock",
		Concur: Timed("thread.RLock", func(ctx context.Context, n int) (time.Duration, error) {
			var l thread.RLock
			start := time.Now()
			for range n {
				l.Acquire(ctx)
				l.Release()
			}
			return time.Since(start), nil
		}),
		Baseline: mutexBaseline(),
		Bars:     []Bar{{Against: AgainstBaseline, Min: 1.0 / 5, Text: "within 5x of sync.Mutex"}},
	}
}

func noop() error { return nil }

func threadStartWorkload() *Workload {
	base := Timed("goroutine+WaitGroup", func(_ context.Context, n int) (time.Duration, error) {
		start := time.Now()
		for range n {
			var wg sync.WaitGroup
			wg.Go(func() {})
			wg.Wait()
		}
		return time.Since(start), nil
	})
	return &Workload{
		ID: "thread-start-join", Title: "Thread start+join", Unit: PerOp, Quick: true, Python: true,
		Note: "thread.New(noop).Start() then Join(ctx); Python threading.Thread(target=noop)",
		Concur: Timed("thread.Thread", func(ctx context.Context, n int) (time.Duration, error) {
			start := time.Now()
			for range n {
				t := thread.New(noop)
				if err := t.Start(); err != nil {
					return 0, err
				}
				if err := t.Join(ctx); err != nil {
					return 0, err
				}
			}
			return time.Since(start), nil
		}),
		Baseline: &base,
		Bars:     []Bar{{Against: AgainstBaseline, Min: 1.0 / 4, Text: "within 4x of goroutine+WaitGroup"}},
	}
}

// ExecutorWorkers is the worker count of concur's ThreadPoolExecutor
// by default, which is Python's too; pool peers use as many.
func ExecutorWorkers() int { return min(32, runtime.NumCPU()+4) }

func noopTask(context.Context) (int, error) { return 1, nil }

func executorWorkload() *Workload {
	concur := Impl{Name: "futures.ThreadPoolExecutor", Open: func(ctx context.Context) (RunFunc, func() error, error) {
		pool := futures.NewThreadPoolExecutor()
		fs := make([]*futures.Future[int], ExecutorBatch)
		run := func(ctx context.Context, n int) (time.Duration, error) {
			return timed(func() error {
				return Batches(n, func(size int) error {
					for i := range size {
						f, err := futures.Submit(ctx, pool, noopTask)
						if err != nil {
							return err
						}
						fs[i] = f
					}
					for _, f := range fs[:size] {
						if _, err := f.Result(ctx); err != nil {
							return err
						}
					}
					return nil
				})
			})
		}
		return run, func() error { return pool.Shutdown(context.Background()) }, nil
	}}
	base := Timed("goroutines", func(ctx context.Context, n int) (time.Duration, error) {
		res := make([]int, ExecutorBatch)
		errs := make([]error, ExecutorBatch)
		return timed(func() error {
			return Batches(n, func(size int) error {
				var wg sync.WaitGroup
				for i := range size {
					wg.Go(func() { res[i], errs[i] = noopTask(ctx) })
				}
				wg.Wait()
				return errors.Join(errs[:size]...)
			})
		})
	})
	return &Workload{
		ID: "thread-executor", Title: "Thread executor, no-op tasks", Unit: PerOp, Quick: true, Python: true,
		Note: "submit batches of 1024 no-op tasks to a ThreadPoolExecutor with default workers, then take every result; " +
			"baseline: a goroutine per task; peers: the same tasks through each library's pool of as many workers",
		Concur:   concur,
		Baseline: &base,
		Bars: []Bar{
			{Against: AgainstPython, Min: 10, Text: "10x Python's ThreadPoolExecutor"},
			{Against: AgainstPeer, Min: 1 / 1.5, Text: "within 1.5x of the best Go pool"},
		},
	}
}

// countdownTarget is how long one countdown lasts in the countdown
// workloads, in Go and in Python: long enough that starting two processes
// (a few milliseconds here) weighs on the result about as little as
// Python's spawn does on its seconds-long countdown.
const countdownTarget = 400 * time.Millisecond

// countdownSteps is where the countdowns start: the seeds' 100_000_000,
// which Go counts down in some tens of milliseconds, scaled up to last
// about countdownTarget. Both countdown workloads, and all their sides,
// count from the same number.
var countdownSteps = sync.OnceValue(func() int {
	const seed = 100_000_000
	start := time.Now()
	countdown(seed)
	scale := max(1, float64(countdownTarget)/float64(time.Since(start)))
	return int(scale*seed/1e6) * 1e6
})

// countdown is the seeds' `while n: n -= 1`. It returns what is left
// (zero) and is not inlined, so that the compiler cannot drop the loop.
//
//go:noinline
func countdown(n int) int {
	for n > 0 {
		n--
	}
	return n
}

// countdownSequential is the seeds' first program: task(); task().
func countdownSequential() Impl {
	return Timed("sequential", func(_ context.Context, n int) (time.Duration, error) {
		start := time.Now()
		for range n {
			if countdown(countdownSteps())+countdown(countdownSteps()) != 0 {
				return 0, errors.New("countdown did not reach zero")
			}
		}
		return time.Since(start), nil
	})
}

func countdownThreadsWorkload() *Workload {
	seq := countdownSequential()
	return &Workload{
		ID: "countdown-threads", Title: "CPU countdown: 2 threads vs sequential", Unit: Speedup, Quick: true, Python: true,
		Target: countdownTarget,
		Note: "the seeds' task(n): count n down to 0, twice, one after the other (baseline) and in two thread.Threads at once; " +
			"n is the seeds' 100_000_000 scaled so that one countdown lasts about 400 ms, in Go and in Python alike; Python's threads share the GIL",
		Concur: Timed("2 threads", func(ctx context.Context, n int) (time.Duration, error) {
			start := time.Now()
			for range n {
				var ts [2]*thread.Thread
				for i := range ts {
					ts[i] = thread.New(func() error {
						if countdown(countdownSteps()) != 0 {
							return errors.New("countdown did not reach zero")
						}
						return nil
					})
					if err := ts[i].Start(); err != nil {
						return 0, err
					}
				}
				for _, t := range ts {
					if err := t.Join(ctx); err != nil {
						return 0, err
					}
				}
			}
			return time.Since(start), nil
		}),
		Baseline: &seq,
		Bars:     []Bar{{Against: AgainstBaseline, Min: 1.8, Text: "1.8x faster than sequential on 2 cores; Python 0.93x"}},
	}
}

// rawFanout is the fan-out a Go programmer writes: a goroutine per
// sleep and a WaitGroup.
func rawFanout() *Impl {
	b := Timed("goroutines", func(_ context.Context, n int) (time.Duration, error) {
		start := time.Now()
		for range n {
			var wg sync.WaitGroup
			for range FanoutTasks {
				wg.Go(func() { time.Sleep(FanoutSleep) })
			}
			wg.Wait()
		}
		return time.Since(start), nil
	})
	return &b
}

func fanoutThreadsWorkload() *Workload {
	return &Workload{
		ID: "io-fanout-threads", Title: "I/O fan-out: 1000 sleeps of 10 ms, threads", Unit: PerOp, Quick: true, Python: true,
		Note: "start 1000 thread.Threads that each sleep 10 ms, join them all; Python: threading.Thread(target=time.sleep)",
		Concur: Timed("thread.Thread", func(ctx context.Context, n int) (time.Duration, error) {
			ts := make([]*thread.Thread, FanoutTasks)
			start := time.Now()
			for range n {
				for i := range ts {
					ts[i] = thread.New(func() error { time.Sleep(FanoutSleep); return nil })
					if err := ts[i].Start(); err != nil {
						return 0, err
					}
				}
				for _, t := range ts {
					if err := t.Join(ctx); err != nil {
						return 0, err
					}
				}
			}
			return time.Since(start), nil
		}),
		Baseline: rawFanout(),
	}
}

func fanoutAioWorkload() *Workload {
	sleep := func(ctx context.Context) (struct{}, error) { return struct{}{}, aio.Sleep(ctx, FanoutSleep) }
	fns := make([]func(context.Context) (struct{}, error), FanoutTasks)
	for i := range fns {
		fns[i] = sleep
	}
	return &Workload{
		ID: "io-fanout-aio", Title: "I/O fan-out: 1000 sleeps of 10 ms, aio", Unit: PerOp, Quick: true, Python: true,
		Note: "aio.Gather of 1000 aio.Sleep(ctx, 10ms); Python: asyncio.gather of 1000 asyncio.sleep(0.01)",
		Concur: Timed("aio.Gather", func(ctx context.Context, n int) (time.Duration, error) {
			start := time.Now()
			for range n {
				if _, err := aio.Gather(ctx, fns...); err != nil {
					return 0, err
				}
			}
			return time.Since(start), nil
		}),
		Baseline: rawFanout(),
	}
}
