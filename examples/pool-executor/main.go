// Command pool-executor is the process pool of seed
// 004_185cbd479786a44e.txt, section "Использование пулов процессов": a
// fixed number of worker processes run tasks from a queue, through
// multiprocessing.Pool or concurrent.futures — here both, on the same
// squares and sums of squares. examples/futures-pool runs the same tasks
// on threads (ThreadPoolExecutor); this is its process twin.
//
//	with Pool(4) as pool:
//	    print(pool.map(square, range(10)))
//	with ProcessPoolExecutor(max_workers=4) as executor:
//	    futures = [executor.submit(square_sum, n) for n in (10, 100, 1000)]
//	    print(sorted(f.result() for f in as_completed(futures)))
package main

import (
	"context"
	"fmt"
	"log"
	"slices"

	"github.com/concurgo/concur/futures"
	"github.com/concurgo/concur/process"
)

var (
	square    = process.RegisterFunc("square", func(x int) int { return x * x })
	squareSum = process.RegisterFunc("square_sum", func(n int) int {
		sum := 0
		for x := range n {
			sum += x * x
		}
		return sum
	})
)

func main() {
	process.Main()
	ctx := context.Background()

	pool, err := process.NewPool(4)
	if err != nil {
		log.Fatal(err)
	}
	squares, err := process.Map(ctx, pool, square, []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9})
	if err != nil {
		log.Fatal(err)
	}
	pool.Terminate()
	fmt.Println(squares)

	executor, err := futures.NewProcessPoolExecutor(4)
	if err != nil {
		log.Fatal(err)
	}
	defer executor.Shutdown(ctx) // the with block's exit: wait for the workers
	var fs []*futures.Future[int]
	for _, n := range []int{10, 100, 1000} {
		f, err := futures.SubmitFunc(ctx, executor, squareSum, n)
		if err != nil {
			log.Fatal(err)
		}
		fs = append(fs, f)
	}
	var sums []int
	for f, err := range futures.AsCompleted(ctx, fs) {
		if err != nil {
			log.Fatal(err)
		}
		sum, err := f.Result(ctx)
		if err != nil {
			log.Fatal(err)
		}
		sums = append(sums, sum)
	}
	slices.Sort(sums) // they complete in any order
	fmt.Println(sums)
}
