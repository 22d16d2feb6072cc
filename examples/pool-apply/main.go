// Command pool-apply is the Go twin of seed 000_77c3227d2e64a08f.txt,
// section "Каковы преимущества мультипроцессинга в Python?": the sum of
// the squares of 1..1_000_000, computed by a worker of a process pool
// with apply.
//
//	def square_sum(numbers):
//	    return sum(x * x for x in numbers)
//
//	if __name__ == '__main__':
//	    numbers = range(1, 1000001)
//	    pool = multiprocessing.Pool()
//	    result = pool.apply(square_sum, (numbers,))
//	    print(result)
//
// Python pickles a range as its bounds, not its million numbers; the Go
// twin sends a Range the same way. Python's Pool() has as many workers as
// CPUs, as NewPool(0) does. The seed never closes its pool, which Python
// terminates at exit; here a deferred Terminate does. apply runs the whole
// sum in one worker: the seed's point is that the work leaves the main
// process, not that it is split (Map would split it).
package main

import (
	"context"
	"fmt"
	"log"

	"github.com/concurgo/concur/process"
)

// Range is Python's range(Start, Stop).
type Range struct{ Start, Stop int }

var squareSum = process.RegisterFunc("square_sum", func(numbers Range) int {
	sum := 0
	for x := numbers.Start; x < numbers.Stop; x++ {
		sum += x * x
	}
	return sum
})

func main() {
	process.Main()

	numbers := Range{1, 1000001}
	pool, err := process.NewPool(0)
	if err != nil {
		log.Fatal(err)
	}
	defer pool.Terminate()
	result, err := process.Apply(context.Background(), pool, squareSum, numbers)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(result)
}
