// Command process-nomain is the Go twin of seed 001_2345feefc5625c48.txt,
// section "1. Предотвращение рекурсивного создания процессов": the program
// that starts a process without the `if __name__ == '__main__':` guard.
//
// In Python every child re-imports the script, starts a child of its own,
// and the tracebacks pile up. The Go program below likewise forgets the
// guard — it never calls process.Main — and the lesson is the same, but
// the outcome is a clear error instead: Start refuses, and a child that
// did not reach Main would be refused and killed in the same way, so
// nothing multiplies and nothing hangs.
package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/concurgo/concur/process"
)

var worker = process.RegisterTarget("worker", func(context.Context, struct{}) error {
	fmt.Println("Рабочий процесс выполняется")
	return nil
})

func main() {
	// process.Main() is missing here: this is the bug the seed shows.
	p := process.New(worker, struct{}{})
	err := p.Start()
	fmt.Println(err)
	if errors.Is(err, process.ErrMainNotCalled) {
		fmt.Println("Исправление: вызовите process.Main() первой строкой main.")
	}
}
