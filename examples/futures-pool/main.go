// Command futures-pool is the pool of seed 004_185cbd479786a44e.txt
// ("Использование пулов процессов"): a fixed number of workers run tasks
// from a queue, through concurrent.futures. This is the thread-backed
// executor (ThreadPoolExecutor); Go threads run on every core, so unlike
// Python's it helps CPU-bound work too.
//
//	with ThreadPoolExecutor(max_workers=4) as executor:
//	    print(list(executor.map(square, range(10))))
//	    futures = [executor.submit(square_sum, range(n)) for n in (10, 100, 1000)]
//	    for f in as_completed(futures): ...
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"slices"
	"sort"

	"github.com/concurgo/concur/futures"
)

func square(_ context.Context, x int) (int, error) { return x * x, nil }

func squareSum(n int) func(context.Context) (int, error) {
	return func(context.Context) (int, error) {
		sum := 0
		for x := range n {
			sum += x * x
		}
		return sum, nil
	}
}

func run(ctx context.Context, w io.Writer) error {
	executor := futures.NewThreadPoolExecutor(futures.WithMaxWorkers(4))
	defer executor.Shutdown(ctx) // the with block's exit: wait for the workers

	var squares []int
	for sq, err := range futures.Map(ctx, executor, square, slices.Values([]int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9})) {
		if err != nil {
			return err
		}
		squares = append(squares, sq)
	}
	fmt.Fprintln(w, squares)

	var fs []*futures.Future[int]
	for _, n := range []int{10, 100, 1000} {
		f, err := futures.Submit(ctx, executor, squareSum(n))
		if err != nil {
			return err
		}
		fs = append(fs, f)
	}
	var sums []int
	for f, err := range futures.AsCompleted(ctx, fs) {
		if err != nil {
			return err
		}
		sum, err := f.Result(ctx)
		if err != nil {
			return err
		}
		sums = append(sums, sum)
	}
	sort.Ints(sums) // they complete in any order
	fmt.Fprintln(w, sums)
	return nil
}

func main() {
	if err := run(context.Background(), os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
