// Command process-queue is the Go twin of seed 001_2345feefc5625c48.txt,
// section "Пример с использованием очереди":
//
//	from multiprocessing import Process, Queue
//
//	def worker(q):
//	    q.put('Привет из процесса!')
//
//	if __name__ == '__main__':
//	    q = Queue()
//	    p = Process(target=worker, args=(q,))
//	    p.start()
//	    print(q.get())  # Получаем данные из очереди
//	    p.join()
//
// The Queue travels to the child as the function's argument, as in
// Python; worker is registered by name because Go cannot send a function
// to another process, and process.Main, first in main, is the
// `if __name__ == '__main__':` guard. The child may exit right after its
// Put returns: the item is already in the queue's shared memory, with no
// feeder thread to flush first.
package main

import (
	"context"
	"fmt"
	"log"

	"github.com/concurgo/concur/process"
)

var worker = process.RegisterTarget("worker", func(ctx context.Context, q *process.Queue[string]) error {
	return q.Put(ctx, "Привет из процесса!")
})

func main() {
	process.Main()
	ctx := context.Background()

	q, err := process.NewQueue[string](0)
	if err != nil {
		log.Fatal(err)
	}
	defer q.Close()
	p := process.New(worker, q)
	if err := p.Start(); err != nil {
		log.Fatal(err)
	}
	msg, err := q.Get(ctx) // Получаем данные из очереди
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(msg)
	if err := p.Join(ctx); err != nil {
		log.Fatal(err)
	}
}
