// Command process-signals is the Go twin of "4. Сигналы (signals)" in
// "Обмен данными между процессами", seed 004_185cbd479786a44e.txt, for
// processes: the parent sends SIGTERM to a child (Python's
// p.terminate()), and the child, which handles the signal, cleans up
// before it exits instead of dying mid-job. The seed describes this
// without code; in Python the child would install its handler with
// signal.signal(signal.SIGTERM, handler).
//
// In concur the handler comes with the process: WithGracePeriod turns
// SIGTERM and SIGINT into the cancellation of the child function's
// context, whose cause names the signal, and gives the function that long
// to finish. A child that overruns its grace period dies of the signal.
// Without the option SIGTERM ends the child at once, as in Python.
//
// The child works in steps of 10 ms (a real job's steps would be longer)
// and tells the parent, over a pipe passed as a process.File, when it has
// started, so that the signal does not arrive before the handler exists.
package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"log"
	"os"
	"time"

	"github.com/concurgo/concur/process"
)

type jobArg struct {
	Started process.File
}

var job = process.Register("job", func(ctx context.Context, a jobArg) (string, error) {
	fmt.Println("Дочерний процесс: начинаю работу")
	fmt.Fprintln(a.Started, "started")
	a.Started.Close()
	steps := 0
	for {
		select {
		case <-ctx.Done():
			var sig *process.SignalError
			if errors.As(context.Cause(ctx), &sig) {
				fmt.Printf("Дочерний процесс: получен сигнал %d (%v), сохраняю результат и выхожу\n", sig.Signal, sig.Signal)
			}
			return fmt.Sprintf("сделано шагов: %d", steps), nil
		case <-time.After(10 * time.Millisecond):
			steps++
		}
	}
})

func main() {
	process.Main()

	r, w, err := os.Pipe()
	if err != nil {
		log.Fatal(err)
	}
	p := process.New(job, jobArg{Started: process.File{File: w}}, process.WithGracePeriod(5*time.Second))
	if err := p.Start(); err != nil {
		log.Fatal(err)
	}
	w.Close()
	bufio.NewReader(r).ReadString('\n') // the child runs, its handler is in place

	time.Sleep(50 * time.Millisecond) // let it work a little
	fmt.Println("Родитель: отправляю SIGTERM")
	if err := p.Terminate(); err != nil {
		log.Fatal(err)
	}
	res, err := p.Result(context.Background())
	if err != nil {
		log.Fatal(err)
	}
	code, _ := p.ExitCode()
	fmt.Printf("Родитель: дочерний процесс вернул «%s», код выхода %d\n", res, code)
}
