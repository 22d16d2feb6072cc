package futures

import (
	"context"
	"slices"
	"sync"
	"testing"
)

// The no-op workload of the bar: submit a batch of calls that do
// nothing, then collect every result. Python's ThreadPoolExecutor runs the
// same workload in docs/mapping/futures.md. Batches of 1024 keep one
// iteration's memory bounded; ns/op is per call.
//
// The errgroup baselines are in errgroup_bench_test.go (see there).
const benchBatch = 1024

func noop(context.Context) (int, error) { return 1, nil }

func benchBatches(b *testing.B, batch func(n int)) {
	b.ReportAllocs()
	for left := b.N; left > 0; left -= benchBatch {
		batch(min(left, benchBatch))
	}
}

func BenchmarkThreadPoolSubmitResult(b *testing.B) {
	ctx := context.Background()
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

// One call at a time, submitted and waited for: the latency of handing a
// call to an idle worker and its result back.
func BenchmarkThreadPoolRoundTrip(b *testing.B) {
	ctx := context.Background()
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
