// Command process-square is the Go twin of seed 001_2345feefc5625c48.txt,
// section "1. Управление процессами", example "без использования Pool":
// one process per number, each printing its pid — Python's
// multiprocessing.current_process().pid, here process.Current().Pid().
//
// The seed keeps a results list that stays empty: a Python Process has no
// return value, and getting one back takes a Queue or a Pipe. A concur
// child returns its function's result to Result, so the Go twin can fill
// the list and print it.
package main

import (
	"context"
	"fmt"
	"log"

	"github.com/concurgo/concur/process"
)

var square = process.RegisterFunc("square", func(x int) int {
	fmt.Printf("Процесс %d обрабатывает %d\n", process.Current().Pid(), x)
	return x * x
})

func main() {
	process.Main()

	var processes []*process.Child[int]
	var results []int

	for _, i := range []int{1, 2, 3, 4, 5} {
		p := process.New(square, i)
		processes = append(processes, p)
		if err := p.Start(); err != nil {
			log.Fatal(err)
		}
	}
	for _, p := range processes {
		r, err := p.Result(context.Background()) // join, then the return value
		if err != nil {
			log.Fatal(err)
		}
		results = append(results, r)
	}
	fmt.Println("Результаты:", results)
}
