// Command process-workers is the Go twin of seed 001_2345feefc5625c48.txt,
// section "В этом примере создаются и запускаются 5 процессов, каждый из
// которых выполняет функцию `worker`" (the seed's loop starts 8): start
// every process first, then join them all, so that they run at once. The
// lines come out in whatever order the children get there.
//
// The seed's output is a pile of tracebacks, because it ran in a notebook
// where spawn cannot re-import the main module; here the guard is
// process.Main() and each child prints its line.
package main

import (
	"context"
	"fmt"
	"log"

	"github.com/concurgo/concur/process"
)

// worker is the function each process runs.
var worker = process.RegisterTarget("worker", func(_ context.Context, num int) error {
	fmt.Printf("Процесс %d выполняется\n", num)
	return nil
})

func main() {
	process.Main()

	var processes []*process.Child[struct{}]
	for i := range 8 {
		p := process.New(worker, i)
		processes = append(processes, p)
		if err := p.Start(); err != nil {
			log.Fatal(err)
		}
	}
	for _, p := range processes {
		if err := p.Join(context.Background()); err != nil { // <------ следим за завершением
			log.Fatal(err)
		}
	}
}
