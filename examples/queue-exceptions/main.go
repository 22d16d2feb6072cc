// Command queue-exceptions is the Go twin of seed 001_2345feefc5625c48.txt,
// section "Очередь", "Передача исключений в основной поток через очередь":
// each thread divides 10 by its number and, instead of failing alone, puts
// its thread's name and the error into a queue, which the main thread
// reads once all have finished.
//
// Python's 10 / number is pyarith.Div, which returns Python's
// ZeroDivisionError as an error, and `except Exception as e` is the check
// of that error. The "Результат" lines come in whatever order the threads
// run. A thread is named after its target, here the closure that passes
// the arguments, "Thread-1 (main.func1)", where Python names it after the
// function, "Thread-1 (thread_function)".
package main

import (
	"context"
	"fmt"

	"github.com/concurgo/concur/examples/internal/pyarith"
	"github.com/concurgo/concur/queue"
	"github.com/concurgo/concur/thread"
)

// threadError is the (thread name, exception) tuple the seed queues.
type threadError struct {
	threadName string
	err        error
}

func threadFunction(number int, q *queue.Queue[threadError]) error {
	result, err := pyarith.Div(10, number) // Это может вызвать деление на ноль
	if err != nil {
		return q.Put(context.Background(), threadError{thread.Current().Name(), err})
	}
	fmt.Printf("Результат: %v\n", result)
	return nil
}

func main() {
	ctx := context.Background()
	exceptionQueue := queue.New[threadError](0)

	var threads []*thread.Thread
	for i := range 5 {
		t := thread.New(func() error { return threadFunction(i, exceptionQueue) })
		threads = append(threads, t)
		t.Start()
	}

	for _, t := range threads {
		t.Join(ctx)
	}

	for !exceptionQueue.Empty() {
		e, _ := exceptionQueue.Get(ctx)
		fmt.Printf("Исключение в %s: %v\n", e.threadName, e.err)
	}
}
