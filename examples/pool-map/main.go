// Command pool-map is the Go twin of seed 001_2345feefc5625c48.txt,
// section "1. Управление процессами", example "С Pool": the pool does
// what process-square (the same section's "Без Pool") does by hand —
// starts the workers, hands out the numbers, collects the results in
// order and stops the workers.
//
//	def square(x):
//	    print(f"Процесс {os.getpid()} обрабатывает {x}")
//	    return x * x
//
//	if __name__ == '__main__':
//	    with Pool(4) as p:
//	        results = p.map(square, [1, 2, 3, 4, 5])
//	    print(results)
package main

import (
	"context"
	"fmt"
	"log"
	"os"
	"strings"

	"github.com/concurgo/concur/process"
)

var square = process.RegisterFunc("square", func(x int) int {
	fmt.Printf("Процесс %d обрабатывает %d\n", os.Getpid(), x)
	return x * x
})

func main() {
	process.Main()

	p, err := process.NewPool(4)
	if err != nil {
		log.Fatal(err)
	}
	defer p.Terminate() // leaving Python's with block terminates the pool
	results, err := process.Map(context.Background(), p, square, []int{1, 2, 3, 4, 5})
	if err != nil {
		log.Fatal(err)
	}
	s := make([]string, len(results))
	for i, r := range results {
		s[i] = fmt.Sprint(r)
	}
	fmt.Println("[" + strings.Join(s, ", ") + "]") // as Python prints a list
}
