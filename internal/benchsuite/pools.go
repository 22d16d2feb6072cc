package benchsuite

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/concurgo/concur/futures"
	"github.com/concurgo/concur/process"
)

// The pool workloads: a warm process.Pool of 2 workers.

// openPool starts a pool of 2 worker processes; its workers start on the
// warm-up call that calibration makes.
func openPool(ctx context.Context) (*process.Pool, func() error, error) {
	p, err := process.NewPool(2)
	if err != nil {
		return nil, nil, err
	}
	return p, func() error {
		p.Close()
		return p.Join(context.WithoutCancel(ctx))
	}, nil
}

// poolMapItems is the seeds' scale for Pool.map: a million squares.
const poolMapItems = 1_000_000

func poolMapWorkload() *Workload {
	concur := Impl{Name: "process.Pool", Open: func(ctx context.Context) (RunFunc, func() error, error) {
		p, closePool, err := openPool(ctx)
		if err != nil {
			return nil, nil, err
		}
		args := make([]int, poolMapItems)
		for i := range args {
			args[i] = i
		}
		run := func(ctx context.Context, n int) (time.Duration, error) {
			return timed(func() error {
				for range n {
					out, err := process.Map(ctx, p, squareFunc, args)
					if err != nil {
						return err
					}
					if len(out) != poolMapItems || out[poolMapItems-1] != (poolMapItems-1)*(poolMapItems-1) {
						return errors.New("Map returned wrong squares")
					}
				}
				return nil
			})
		}
		return run, closePool, nil
	}}
	return &Workload{
		ID: "pool-map", Title: "Pool(2).map of 1e6 squares", Unit: ItemsPerSec, Items: poolMapItems, Quick: true, Python: true,
		Note:   "process.Map(square) over 1e6 ints on a warm pool of 2 worker processes, default chunksize; Python: Pool(2).map, default chunksize",
		Concur: concur,
		Bars:   []Bar{{Against: AgainstPython, Min: 2, Text: "2x Python's items/s"}},
	}
}

func poolApplyWorkload() *Workload {
	concur := Impl{Name: "process.Apply", Open: func(ctx context.Context) (RunFunc, func() error, error) {
		p, closePool, err := openPool(ctx)
		if err != nil {
			return nil, nil, err
		}
		run := func(ctx context.Context, n int) (time.Duration, error) {
			return timed(func() error {
				for range n {
					if v, err := process.Apply(ctx, p, squareFunc, 3); err != nil || v != 9 {
						return fmt.Errorf("Apply(square, 3) = %d, %v", v, err)
					}
				}
				return nil
			})
		}
		return run, closePool, nil
	}}
	// Apply crosses to a worker process and back, so its floor is a round
	// trip to another process, not to a goroutine of this one (which
	// costs about a third less: no cross-process wake-up).
	base := rawChildRoundTrips(64)
	return &Workload{
		ID: "pool-apply", Title: "Pool.apply round trip", Unit: PerOp, Quick: true, Python: true,
		Note:     "process.Apply(square, 3) on a warm pool of 2 worker processes; baseline: a 64 B raw socketpair round trip to a child process that echoes it; Python: Pool(2).apply",
		Concur:   concur,
		Baseline: &base,
		Bars:     []Bar{{Against: AgainstBaseline, Min: 1.0 / 3, Text: "within 3x of a raw socketpair round trip"}},
	}
}

var noopFunc = process.RegisterFunc("benchsuite.noop", func(x int) int { return x })

func processExecutorWorkload() *Workload {
	concur := Impl{Name: "futures.ProcessPoolExecutor", Open: func(ctx context.Context) (RunFunc, func() error, error) {
		e, err := futures.NewProcessPoolExecutor(2)
		if err != nil {
			return nil, nil, err
		}
		fs := make([]*futures.Future[int], ExecutorBatch)
		run := func(ctx context.Context, n int) (time.Duration, error) {
			return timed(func() error {
				return Batches(n, func(size int) error {
					for i := range size {
						f, err := futures.SubmitFunc(ctx, e, noopFunc, i)
						if err != nil {
							return err
						}
						fs[i] = f
					}
					for i, f := range fs[:size] {
						if v, err := f.Result(ctx); err != nil || v != i {
							return fmt.Errorf("task %d: %d, %v", i, v, err)
						}
					}
					return nil
				})
			})
		}
		return run, func() error { return e.Shutdown(context.WithoutCancel(ctx)) }, nil
	}}
	return &Workload{
		ID: "process-executor", Title: "Process executor tasks", Unit: PerOp, Quick: true, Python: true,
		Note: "submit batches of 1024 no-op tasks to a futures.ProcessPoolExecutor of 2 worker processes, then take every result; " +
			"Python: ProcessPoolExecutor(2), spawn",
		Concur: concur,
		Bars:   []Bar{{Against: AgainstPython, Min: 5, Text: "5x Python's ProcessPoolExecutor"}},
	}
}
