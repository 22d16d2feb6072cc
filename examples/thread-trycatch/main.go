// Command thread-trycatch is the Go twin of seed 001_2345feefc5625c48.txt,
// section "Обработка ошибок", "Пример 1: Использование try-except внутри
// потока": each thread handles its own failure. Python's except clauses
// become a switch on errors.As. Threads print in whatever order they run.
// A thread is named after its target, here the closure that passes the
// argument, "Thread-1 (main.func1)", where Python's is named after the
// function it calls with args, "Thread-1 (thread_function)".
package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/concurgo/concur/examples/internal/pyarith"
	"github.com/concurgo/concur/thread"
)

func threadFunction(number any) error {
	result, err := pyarith.Div(10, number) // Это может вызвать деление на ноль
	var zeroDivision pyarith.ZeroDivisionError
	switch {
	case errors.As(err, &zeroDivision):
		fmt.Printf("Ошибка в потоке %s: %v\n", thread.Current().Name(), err)
	case err != nil:
		fmt.Printf("Неизвестная ошибка в потоке %s: %v\n", thread.Current().Name(), err)
	default:
		fmt.Printf("Результат: %v\n", result)
	}
	return nil
}

func main() {
	var threads []*thread.Thread
	for _, i := range []any{0, 1, 2, 3, "4", 5} {
		t := thread.New(func() error { return threadFunction(i) })
		threads = append(threads, t)
		t.Start()
	}

	for _, t := range threads {
		t.Join(context.Background())
	}
}
