// Command process-tasks is the Go twin of seed 003_c3bae16890c099e5.txt,
// example "Пример использования multiprocessing": three processes that
// start, work (the seed sleeps 2 s to stand in for CPU-bound work; this
// sleeps 20 ms) and finish, then the main program reports.
//
// The seed has no `if __name__ == '__main__':` guard, which only works
// with Python's fork start method; Go always needs its form, process.Main.
package main

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/concurgo/concur/process"
)

var task = process.RegisterTarget("task", func(_ context.Context, name int) error {
	fmt.Printf("Process %d: Starting\n", name)
	time.Sleep(20 * time.Millisecond) // Имитация CPU-bound работы
	fmt.Printf("Process %d: Finishing\n", name)
	return nil
})

func main() {
	process.Main()

	var processes []*process.Child[struct{}]
	for i := range 3 {
		p := process.New(task, i)
		processes = append(processes, p)
		if err := p.Start(); err != nil {
			log.Fatal(err)
		}
	}
	for _, p := range processes {
		if err := p.Join(context.Background()); err != nil { // Ждем завершения всех процессов
			log.Fatal(err)
		}
	}
	fmt.Println("All processes finished")
}
