package futures

import (
	"context"
	"runtime"
	"slices"
	"sync"
	"testing"

	"golang.org/x/sync/errgroup"
)

// The no-op workload of the bar: submit a batch of calls that do
// nothing, then collect every result. Python's ThreadPoolExecutor runs the
// same workload in docs/python-mapping.md#executor-performance. Batches of
// 1024 keep one iteration's memory bounded; ns/op is per call.
const benchBatch = 1024

func noop(context.Context) (int, error) { return 1, nil }

func benchBatches(b *testing.B, batch func(n int)) {
	b.ReportAllocs()
	for left := b.N; left > 0; left -= benchBatch {
		batch(min(left, benchBatch))
	}
}

func BenchmarkThreadPoolSubmitResult(b *testing.B) {
	benchSubmitResult(b, context.Background())
}

// BenchmarkThreadPoolSubmitResultCancellable is
// BenchmarkThreadPoolSubmitResult with a context that can be cancelled,
// as a program's root context usually is, so that every queued call is
// watched for its end.
func BenchmarkThreadPoolSubmitResultCancellable(b *testing.B) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	benchSubmitResult(b, ctx)
}

func benchSubmitResult(b *testing.B, ctx context.Context) {
	pool := NewThreadPoolExecutor()
	defer pool.Shutdown(ctx)
	fs := make([]*Future[int], benchBatch)
	benchBatches(b, func(n int) {
		for i := range n {
			f, err := Submit(ctx, pool, noop)
			if err != nil {
				b.Fatal(err)
			}
			fs[i] = f
		}
		for _, f := range fs[:n] {
			if _, err := f.Result(ctx); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// Baseline: one goroutine per call, results in a slice, a WaitGroup.
func BenchmarkGoroutinesWaitGroup(b *testing.B) {
	ctx := context.Background()
	res := make([]int, benchBatch)
	errs := make([]error, benchBatch)
	benchBatches(b, func(n int) {
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() { res[i], errs[i] = noop(ctx) })
		}
		wg.Wait()
		for i := range n {
			if errs[i] != nil {
				b.Fatal(errs[i])
			}
		}
	})
}

// Baseline: errgroup, unlimited (a goroutine per call) and limited to the
// pool's default worker count (a pool-like bound).
func BenchmarkErrgroup(b *testing.B) {
	for _, limit := range []int{-1, min(32, runtime.NumCPU()+4)} {
		name := "unlimited"
		if limit > 0 {
			name = "limited"
		}
		b.Run(name, func(b *testing.B) {
			ctx := context.Background()
			res := make([]int, benchBatch)
			benchBatches(b, func(n int) {
				var g errgroup.Group
				g.SetLimit(limit)
				for i := range n {
					g.Go(func() (err error) { res[i], err = noop(ctx); return err })
				}
				if err := g.Wait(); err != nil {
					b.Fatal(err)
				}
			})
		})
	}
}

// One call at a time, submitted and waited for: the latency of handing a
// call to an idle worker and its result back.
func BenchmarkThreadPoolRoundTrip(b *testing.B) { benchRoundTrip(b, context.Background()) }

// BenchmarkThreadPoolRoundTripCancellable is BenchmarkThreadPoolRoundTrip
// with a context that can be cancelled, which each call binds its future
// to while no other call is pending.
func BenchmarkThreadPoolRoundTripCancellable(b *testing.B) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	benchRoundTrip(b, ctx)
}

func benchRoundTrip(b *testing.B, ctx context.Context) {
	pool := NewThreadPoolExecutor()
	defer pool.Shutdown(ctx)
	b.ReportAllocs()
	for b.Loop() {
		f, _ := Submit(ctx, pool, noop)
		if _, err := f.Result(ctx); err != nil {
			b.Fatal(err)
		}
	}
}

// Baseline: a goroutine per call and a channel for its result.
func BenchmarkGoroutineRoundTrip(b *testing.B) {
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		ch := make(chan int, 1)
		go func() { v, _ := noop(ctx); ch <- v }()
		<-ch
	}
}

// Map over a batch against the same loop of goroutines.
func BenchmarkThreadPoolMap(b *testing.B) {
	ctx := context.Background()
	pool := NewThreadPoolExecutor()
	defer pool.Shutdown(ctx)
	in := make([]int, benchBatch)
	square := func(_ context.Context, x int) (int, error) { return x * x, nil }
	benchBatches(b, func(n int) {
		for _, err := range Map(ctx, pool, square, slices.Values(in[:n])) {
			if err != nil {
				b.Fatal(err)
			}
		}
	})
}
