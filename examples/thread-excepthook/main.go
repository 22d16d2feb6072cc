// Command thread-excepthook is the Go twin of seed 001_2345feefc5625c48.txt,
// section "Обработка ошибок", "Пример 2: Использование threading.excepthook":
// the threads do not handle their errors; they return them, and the except
// hook reports each, in the failing thread, before its Join returns.
// Python's exc_type.__name__ is args.Type.Name(). Threads are named after
// the closure that passes the argument: "Thread-1 (main.func1)".
package main

import (
	"context"
	"fmt"

	"github.com/concurgo/concur/examples/internal/pyarith"
	"github.com/concurgo/concur/thread"
)

func handleThreadException(args thread.ExceptHookArgs) {
	fmt.Printf("Исключение в %s: %s: %v\n", args.Thread.Name(), args.Type.Name(), args.Value)
}

func threadFunction(number any) error {
	_, err := pyarith.Div(10, number)
	return err
}

func main() {
	// Назначаем обработчик исключений для потоков
	thread.SetExceptHook(handleThreadException)

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
