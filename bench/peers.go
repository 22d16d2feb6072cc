package main

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/alitto/pond/v2"
	"github.com/panjf2000/ants/v2"
	"github.com/sourcegraph/conc"
	"github.com/sourcegraph/conc/pool"
	"golang.org/x/sync/errgroup"

	"github.com/concurgo/concur/internal/benchsuite"
)

// addPeers registers the Go libraries that do what a workload does. Each
// does the same work as concur's side: the executor peers run batches of
// ExecutorBatch no-op tasks on ExecutorWorkers workers, each task's
// result and error kept, as a Future keeps them; the fan-out peers run
// FanoutTasks sleeps that, like aio.Sleep, end early if ctx is done.
func addPeers(s benchsuite.Suite) {
	s.AddPeer("thread-executor", antsExecutor(), pondExecutor(), concExecutor(), errgroupExecutor())
	s.AddPeer("io-fanout-aio", errgroupFanout(), concFanout())
}

func noopTask(context.Context) (int, error) { return 1, nil }

// batches times n no-op tasks, run batch by batch.
func batches(n int, batch func(size int) error) (time.Duration, error) {
	start := time.Now()
	err := benchsuite.Batches(n, batch)
	return time.Since(start), err
}

func antsExecutor() benchsuite.Impl {
	return benchsuite.Impl{Name: "ants", Open: func(context.Context) (benchsuite.RunFunc, func() error, error) {
		p, err := ants.NewPool(benchsuite.ExecutorWorkers())
		if err != nil {
			return nil, nil, err
		}
		res := make([]int, benchsuite.ExecutorBatch)
		errs := make([]error, benchsuite.ExecutorBatch)
		run := func(ctx context.Context, n int) (time.Duration, error) {
			return batches(n, func(size int) error {
				var wg sync.WaitGroup
				wg.Add(size)
				for i := range size {
					if err := p.Submit(func() { res[i], errs[i] = noopTask(ctx); wg.Done() }); err != nil {
						return err
					}
				}
				wg.Wait()
				return errors.Join(errs[:size]...)
			})
		}
		return run, func() error { return p.ReleaseTimeout(10 * time.Second) }, nil
	}}
}

func pondExecutor() benchsuite.Impl {
	return benchsuite.Impl{Name: "pond", Open: func(context.Context) (benchsuite.RunFunc, func() error, error) {
		p := pond.NewResultPool[int](benchsuite.ExecutorWorkers())
		run := func(ctx context.Context, n int) (time.Duration, error) {
			return batches(n, func(size int) error {
				g := p.NewGroup()
				for range size {
					g.SubmitErr(func() (int, error) { return noopTask(ctx) })
				}
				_, err := g.Wait()
				return err
			})
		}
		return run, func() error { p.StopAndWait(); return nil }, nil
	}}
}

// concExecutor makes a pool per batch: conc's pools are meant to be made
// for one use and waited for once.
func concExecutor() benchsuite.Impl {
	return benchsuite.Timed("conc", func(ctx context.Context, n int) (time.Duration, error) {
		return batches(n, func(size int) error {
			p := pool.NewWithResults[int]().WithErrors().WithMaxGoroutines(benchsuite.ExecutorWorkers())
			for range size {
				p.Go(func() (int, error) { return noopTask(ctx) })
			}
			_, err := p.Wait()
			return err
		})
	})
}

func errgroupExecutor() benchsuite.Impl {
	return benchsuite.Timed("errgroup", func(ctx context.Context, n int) (time.Duration, error) {
		res := make([]int, benchsuite.ExecutorBatch)
		return batches(n, func(size int) error {
			var g errgroup.Group
			g.SetLimit(benchsuite.ExecutorWorkers())
			for i := range size {
				g.Go(func() (err error) { res[i], err = noopTask(ctx); return err })
			}
			return g.Wait()
		})
	})
}

// sleep is time.Sleep that ends early when ctx is done, as aio.Sleep does.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// fanouts times n fan-outs made by fanout.
func fanouts(n int, fanout func() error) (time.Duration, error) {
	start := time.Now()
	for range n {
		if err := fanout(); err != nil {
			return 0, err
		}
	}
	return time.Since(start), nil
}

func errgroupFanout() benchsuite.Impl {
	return benchsuite.Timed("errgroup", func(ctx context.Context, n int) (time.Duration, error) {
		return fanouts(n, func() error {
			g, ctx := errgroup.WithContext(ctx)
			for range benchsuite.FanoutTasks {
				g.Go(func() error { return sleep(ctx, benchsuite.FanoutSleep) })
			}
			return g.Wait()
		})
	})
}

func concFanout() benchsuite.Impl {
	return benchsuite.Timed("conc", func(ctx context.Context, n int) (time.Duration, error) {
		return fanouts(n, func() error {
			var wg conc.WaitGroup
			errs := make([]error, benchsuite.FanoutTasks)
			for i := range errs {
				wg.Go(func() { errs[i] = sleep(ctx, benchsuite.FanoutSleep) })
			}
			wg.Wait()
			return errors.Join(errs...)
		})
	})
}
