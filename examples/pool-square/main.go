// Command pool-square is the Go twin of seed 001_2345feefc5625c48.txt,
// section "Пример использования пула процессов `Pool`": a pool of 4
// worker processes maps square over twenty numbers, each worker printing
// its pid as it takes a number.
//
//	def square(x):
//	    print(f'Процесс {os.getpid()} обрабатывает {x}')
//	    sleep(1)
//	    return x * x
//
//	if __name__ == '__main__':
//	    with Pool(processes=4) as p:
//	        results = p.map(square, list(range(20)))
//	    print(results)
//
// process.Main is the `__main__` guard, and square is registered by name
// so that the workers (this binary re-executed) can run it. Map splits the
// list into chunks, as Python's map does, so a worker takes several
// numbers in a row. The seed sleeps 1 s per number; this sleeps 10 ms.
// Leaving Python's `with` block terminates the pool; so does the deferred
// Terminate here.
package main

import (
	"context"
	"fmt"
	"log"
	"os"
	"strings"
	"time"

	"github.com/concurgo/concur/process"
)

var square = process.RegisterFunc("square", func(x int) int {
	fmt.Printf("Процесс %d обрабатывает %d\n", os.Getpid(), x)
	time.Sleep(10 * time.Millisecond)
	return x * x
})

func main() {
	process.Main()

	p, err := process.NewPool(4)
	if err != nil {
		log.Fatal(err)
	}
	defer p.Terminate()
	numbers := make([]int, 20)
	for i := range numbers {
		numbers[i] = i
	}
	results, err := process.Map(context.Background(), p, square, numbers)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(pyList(results))
}

// pyList prints a list as Python does: [0, 1, 4].
func pyList(xs []int) string {
	s := make([]string, len(xs))
	for i, x := range xs {
		s[i] = fmt.Sprint(x)
	}
	return "[" + strings.Join(s, ", ") + "]"
}
