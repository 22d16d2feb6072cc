package futures_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync/atomic"
	"time"

	"github.com/concurgo/concur/futures"
)

// Submit a call and wait for its result: executor.submit(pow, 2, 8).result().
func ExampleSubmit() {
	ctx := context.Background()
	pool := futures.NewThreadPoolExecutor(futures.WithMaxWorkers(4))
	defer pool.Shutdown(ctx)

	f, err := futures.Submit(ctx, pool, func(context.Context) (int, error) { return 1 << 8, nil })
	if err != nil {
		panic(err) // the pool was shut down
	}
	v, err := f.Result(ctx)
	fmt.Println(v, err)
	// Output: 256 <nil>
}

// Map runs the calls concurrently and yields the results in input order,
// each with its own error.
func ExampleMap() {
	ctx := context.Background()
	pool := futures.NewThreadPoolExecutor()
	defer pool.Shutdown(ctx)

	divide := func(_ context.Context, d int) (int, error) {
		if d == 0 {
			return 0, errors.New("division by zero")
		}
		return 12 / d, nil
	}
	for q, err := range futures.Map(ctx, pool, divide, slices.Values([]int{1, 2, 0, 3})) {
		fmt.Println(q, err)
	}
	// Output:
	// 12 <nil>
	// 6 <nil>
	// 0 division by zero
	// 4 <nil>
}

// Map's timeout is its context's deadline: when it passes, the sequence
// says so and stops, and the calls that have not started are cancelled.
func ExampleMap_timeout() {
	pool := futures.NewThreadPoolExecutor()
	defer pool.Shutdown(context.Background())

	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	sleep := func(ctx context.Context, d time.Duration) (time.Duration, error) {
		select {
		case <-time.After(d):
			return d, nil
		case <-ctx.Done():
			return 0, ctx.Err()
		}
	}
	for d, err := range futures.Map(ctx, pool, sleep, slices.Values([]time.Duration{0, 0, time.Hour})) {
		fmt.Println(d, err)
	}
	// Output:
	// 0s <nil>
	// 0s <nil>
	// 0s context deadline exceeded
}

// AsCompleted yields futures as they complete, whatever order they were
// submitted in.
func ExampleAsCompleted() {
	ctx := context.Background()
	pool := futures.NewThreadPoolExecutor()
	defer pool.Shutdown(ctx)

	var fs []*futures.Future[string]
	for _, url := range []string{"/a", "/b", "/c"} {
		f, _ := futures.Submit(ctx, pool, func(context.Context) (string, error) { return "fetched " + url, nil })
		fs = append(fs, f)
	}
	var pages []string
	for f, err := range futures.AsCompleted(ctx, fs) {
		if err != nil {
			panic(err) // ctx ended: only with a deadline
		}
		page, _ := f.Result(ctx)
		pages = append(pages, page)
	}
	slices.Sort(pages) // completion order varies from run to run
	fmt.Println(pages)
	// Output: [fetched /a fetched /b fetched /c]
}

// Wait with FirstException returns as soon as one call fails, with the
// calls still running in the other set.
func ExampleWait_firstException() {
	ctx := context.Background()
	pool := futures.NewThreadPoolExecutor()
	defer pool.Shutdown(ctx)

	release := make(chan struct{})
	slow, _ := futures.Submit(ctx, pool, func(context.Context) (int, error) { <-release; return 1, nil })
	failing, _ := futures.Submit(ctx, pool, func(context.Context) (int, error) { return 0, errors.New("boom") })

	done, notDone, _ := futures.Wait(ctx, []*futures.Future[int]{slow, failing}, futures.FirstException)
	fmt.Println(len(done), len(notDone), done[0].Err())
	close(release)
	// Output: 1 1 boom
}

// A done callback runs in the goroutine that completes the future, or at
// once if the future is already done.
func ExampleFuture_AddDoneCallback() {
	var p futures.Promise[int]
	f := p.Future()
	f.AddDoneCallback(func(f *futures.Future[int]) {
		v, _ := f.Result(context.Background())
		fmt.Println("done:", v)
	})
	p.Resolve(42, nil)
	// Output: done: 42
}

// Cancel stops a call that has not started; a cancelled future is done at
// once and reports ErrCancelled.
func ExampleFuture_Cancel() {
	ctx := context.Background()
	pool := futures.NewThreadPoolExecutor(futures.WithMaxWorkers(1))
	defer pool.Shutdown(ctx)

	release := make(chan struct{})
	busy, _ := futures.Submit(ctx, pool, func(context.Context) (int, error) { <-release; return 1, nil })
	queued, _ := futures.Submit(ctx, pool, func(context.Context) (int, error) { return 2, nil })

	fmt.Println(queued.Cancel(), queued.State())
	_, err := queued.Result(ctx)
	fmt.Println(errors.Is(err, futures.ErrCancelled))
	close(release)
	fmt.Println(busy.Result(ctx))
	// Output:
	// true cancelled
	// true
	// 1 <nil>
}

// A Promise is a future completed by hand, like an asyncio Future: here a
// goroutine completes it.
func ExamplePromise() {
	var p futures.Promise[string]
	go p.Resolve("ready", nil)
	fmt.Println(p.Future().Result(context.Background()))
	// Output: ready <nil>
}

// The initializer runs once in each worker before its first call.
func ExampleWithInitializer() {
	ctx := context.Background()
	var workers atomic.Int32
	pool := futures.NewThreadPoolExecutor(
		futures.WithMaxWorkers(2),
		futures.WithInitializer(func() error { workers.Add(1); return nil }),
	)
	f, _ := futures.Submit(ctx, pool, func(context.Context) (int32, error) { return workers.Load(), nil })
	fmt.Println(f.Result(ctx))
	pool.Shutdown(ctx)
	// Output: 1 <nil>
}
