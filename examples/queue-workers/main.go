// Command queue-workers is the Go twin of seed 001_2345feefc5625c48.txt,
// section "Очередь", "Пример 4: Использование нескольких потоков с
// очередью": two threads share twenty items. Lines come in whatever order
// the threads run; the number before each is the thread's Ident.
//
// The seed's worker loops `while not q.empty(): item = q.get()`. With two
// workers that is a race: both can see one item left, one takes it, and
// the other's get waits forever for an item that never comes. TryGet,
// get_nowait, checks and takes in one step, so the Go twin uses it and
// stops at queue.ErrEmpty. The seed sleeps 0.05 s per item; this sleeps
// 5 ms.
package main

import (
	"context"
	"fmt"
	"time"

	"github.com/concurgo/concur/queue"
	"github.com/concurgo/concur/thread"
)

func worker(q *queue.Queue[int]) error {
	for {
		item, err := q.TryGet()
		if err != nil { // queue.ErrEmpty: all taken
			return nil
		}
		fmt.Printf("%d обработал %d\n", thread.Current().Ident(), item)
		q.TaskDone()
		time.Sleep(5 * time.Millisecond)
	}
}

func main() {
	ctx := context.Background()
	q := queue.New[int](0)

	for i := range 20 {
		q.Put(ctx, i)
	}

	var threads []*thread.Thread
	for range 2 {
		t := thread.New(func() error { return worker(q) })
		t.Start()
		threads = append(threads, t)
	}

	for _, t := range threads {
		t.Join(ctx)
	}

	fmt.Println("Все задачи выполнены")
}
