// Command process-main is the Go twin of seed 001_2345feefc5625c48.txt,
// section "Пример правильного использования `if __name__ == '__main__':`":
// a worker function run in a child process, started only from the main
// program.
//
// process.Main() is the guard: in the program you started it returns at
// once; in the child — this same binary, executed again — it runs the
// registered function and exits, so nothing after it runs there.
package main

import (
	"context"
	"fmt"
	"log"

	"github.com/concurgo/concur/process"
)

// worker is registered at package level, so that the child knows it too.
var worker = process.RegisterTarget("worker", func(context.Context, struct{}) error {
	fmt.Println("Рабочий процесс выполняется")
	return nil
})

func main() {
	process.Main() // if __name__ == '__main__':

	p := process.New(worker, struct{}{})
	if err := p.Start(); err != nil {
		log.Fatal(err)
	}
	if err := p.Join(context.Background()); err != nil {
		log.Fatal(err)
	}
}
