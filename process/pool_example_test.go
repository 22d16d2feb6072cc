package process_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/concurgo/concur/process"
)

var (
	exampleSquare = process.RegisterFunc("example.pool.square", func(x int) int { return x * x })
	exampleMul    = process.RegisterFunc("example.pool.mul", func(p process.Pair[int, int]) int { return p.First * p.Second })
	exampleSlow   = process.Register("example.pool.slow", func(ctx context.Context, d time.Duration) (time.Duration, error) {
		time.Sleep(d) // heedless of ctx: only killing its process stops it
		return d, nil
	})
)

// Map runs a registered function on every element of a slice, in worker
// processes, and returns the results in order: pool.map(square, range(10)).
func ExampleMap() {
	pool, err := process.NewPool(4)
	if err != nil {
		panic(err)
	}
	defer pool.Terminate()

	squares, err := process.Map(context.Background(), pool, exampleSquare, []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9})
	fmt.Println(squares, err)
	// Output: [0 1 4 9 16 25 36 49 64 81] <nil>
}

// Apply runs one call in a worker and waits for it: pool.apply(square, (7,)).
func ExampleApply() {
	pool, err := process.NewPool(1)
	if err != nil {
		panic(err)
	}
	defer pool.Terminate()

	v, err := process.Apply(context.Background(), pool, exampleSquare, 7)
	fmt.Println(v, err)
	// Output: 49 <nil>
}

// ApplyAsync returns at once; the AsyncResult's callbacks run when the
// result arrives, before Get returns it.
func ExampleApplyAsync_callbacks() {
	pool, err := process.NewPool(2)
	if err != nil {
		panic(err)
	}
	defer pool.Terminate()

	r, err := process.ApplyAsync(context.Background(), pool, exampleSquare, 12)
	if err != nil {
		panic(err)
	}
	r.AddCallback(func(v int) { fmt.Println("callback:", v) })
	r.AddErrorCallback(func(err error) { fmt.Println("error callback:", err) })
	v, err := r.Get(context.Background())
	fmt.Println(v, err, r.Successful())
	// Output:
	// callback: 144
	// 144 <nil> true
}

// Imap yields results in order as they come, each with its own error,
// reading its input as the workers need more of it.
func ExampleImap() {
	pool, err := process.NewPool(2)
	if err != nil {
		panic(err)
	}
	defer pool.Terminate()

	for v, err := range process.Imap(context.Background(), pool, exampleSquare, slices.Values([]int{3, 4, 5}), process.Chunksize(2)) {
		fmt.Println(v, err)
	}
	// Output:
	// 9 <nil>
	// 16 <nil>
	// 25 <nil>
}

// Starmap takes the arguments of a two-argument function from an
// iter.Seq2: here the index and the value of each element, Python's
// pool.starmap(mul, enumerate(xs)).
func ExampleStarmap() {
	pool := process.NewThreadPool(2)
	defer pool.Terminate()

	products, err := process.Starmap(context.Background(), pool, exampleMul, slices.All([]int{10, 10, 10}))
	fmt.Println(products, err)
	// Output: [0 10 20] <nil>
}

// A thread pool has the process pool's API and runs the same registered
// functions, in goroutines.
func ExampleNewThreadPool() {
	pool := process.NewThreadPool(4)
	defer pool.Terminate()

	squares, err := process.Map(context.Background(), pool, exampleSquare, []int{1, 2, 3})
	fmt.Println(squares, err)
	// Output: [1 4 9] <nil>
}

// A context that ends stops the call: the worker running it is killed and
// replaced, which no goroutine pool can do.
func ExampleApply_timeout() {
	pool, err := process.NewPool(1)
	if err != nil {
		panic(err)
	}
	defer pool.Terminate()

	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err = process.Apply(ctx, pool, exampleSlow, time.Hour)
	fmt.Println(errors.Is(err, context.DeadlineExceeded))

	d, err := process.Apply(context.Background(), pool, exampleSlow, 0) // a fresh worker
	fmt.Println(d, err)
	// Output:
	// true
	// 0s <nil>
}

// WithTaskTimeout bounds every item of every call: an item that runs too
// long fails with a *TaskTimeoutError, its worker is killed and replaced,
// and the other items are unaffected.
func ExampleWithTaskTimeout() {
	pool, err := process.NewPool(2, process.WithTaskTimeout(100*time.Millisecond))
	if err != nil {
		panic(err)
	}
	defer pool.Terminate()

	args := []time.Duration{0, time.Hour, 0}
	for d, err := range process.Imap(context.Background(), pool, exampleSlow, slices.Values(args)) {
		var te *process.TaskTimeoutError
		fmt.Println(d, errors.As(err, &te), errors.Is(err, context.DeadlineExceeded))
	}
	// Output:
	// 0s false false
	// 0s true true
	// 0s false false
}
