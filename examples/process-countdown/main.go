// Command process-countdown is the Go twin of the two programs in seed
// 004_185cbd479786a44e.txt, section "Мультипроцессинг в Python": a
// CPU-bound countdown run twice, first one after the other ("без
// мультипроцессинга"), then in two processes at once ("с
// мультипроцессингом"), each timed.
//
// In Python the processes are what makes the second run faster: threads
// would share one GIL. Go has no GIL, so two goroutines would do as well;
// in Go, processes are for isolation. The countdown is the seed's 100_000_000 steps, which Go
// runs tens of times faster than CPython, so starting a process (about a
// millisecond) shows in the timing more than it does in Python.
package main

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/concurgo/concur/process"
)

const steps = 100_000_000

// countdown is the seed's task(n). It returns what is left of n (zero), so
// that the compiler cannot drop the loop as useless.
func countdown(n int) int {
	for n > 0 {
		n--
	}
	return n
}

var task = process.RegisterFunc("task", countdown)

func main() {
	process.Main()

	start := time.Now()
	countdown(steps)
	countdown(steps)
	fmt.Printf("Без мультипроцессинга: выполнение заняло % .2f секунд.\n", time.Since(start).Seconds())

	start = time.Now()
	p1 := process.New(task, steps)
	p2 := process.New(task, steps)
	if err := p1.Start(); err != nil {
		log.Fatal(err)
	}
	if err := p2.Start(); err != nil {
		log.Fatal(err)
	}
	if err := p1.Join(context.Background()); err != nil {
		log.Fatal(err)
	}
	if err := p2.Join(context.Background()); err != nil {
		log.Fatal(err)
	}
	fmt.Printf("С мультипроцессингом: выполнение заняло % .2f секунд.\n", time.Since(start).Seconds())
}
