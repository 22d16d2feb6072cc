// Command queue-timeout-workers is the Go twin of seed
// 001_2345feefc5625c48.txt, section "Очередь", "Пример 8: Очередь с timeout
// и потоками": three workers get with a timeout and stop once the queue
// has stayed empty that long; the main thread waits in Join until every
// item is marked done. Lines come in whatever order the threads run; the
// number in each is the thread's Ident.
//
// Python's `except queue.Empty` becomes errors.Is(err, queue.ErrEmpty).
// Python waits for the (non-daemon) workers before the program exits,
// which here is WaitNonDaemon; so the "Очередь пуста" lines appear after
// Join, once each worker's last wait runs out. The seed waits 2 s and
// sleeps 0.05 s per item; this waits 200 ms and sleeps 5 ms.
package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/concurgo/concur/queue"
	"github.com/concurgo/concur/thread"
)

func worker(q *queue.Queue[int]) error {
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		item, err := q.Get(ctx)
		cancel()
		if errors.Is(err, queue.ErrEmpty) {
			fmt.Printf("Очередь пуста, завершение работы (поток %d)\n", thread.Current().Ident())
			return nil
		}
		fmt.Printf("Потребитель обработал %d (поток %d)\n", item, thread.Current().Ident())
		q.TaskDone()
		time.Sleep(5 * time.Millisecond)
	}
}

func main() {
	ctx := context.Background()
	q := queue.New[int](0)

	for i := range 5 {
		q.Put(ctx, i)
	}

	for range 3 {
		t := thread.New(func() error { return worker(q) })
		t.Start()
	}

	q.Join(ctx)
	thread.WaitNonDaemon(ctx)
}
