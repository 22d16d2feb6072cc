// Command queue-producer-consumer is the Go twin of seed
// 001_2345feefc5625c48.txt, section "Очередь", "Пример c producer &
// consumer": one producer thread adds ten tasks, three daemon consumer
// threads process them forever, and the main thread waits for the
// producer, then in q.Join until every task is done.
//
// The consumers never return: they die when main does, which is what
// daemon means (thread.WithDaemon). Go ends the program when main
// returns, as Python does once no non-daemon thread is left. The seed
// waits 1 s between tasks and works 2 s on each; this waits 20 ms and
// works 40 ms, so the interleaving of the lines is the seed's.
package main

import (
	"context"
	"fmt"
	"time"

	"github.com/concurgo/concur/queue"
	"github.com/concurgo/concur/thread"
)

const second = 20 * time.Millisecond // the seed's 1 s

func producer(q *queue.Queue[int], count int) error {
	for i := range count {
		fmt.Printf("Производитель добавляет задачу %d\n", i)
		q.Put(context.Background(), i)
		time.Sleep(1 * second) // Имитация задержки
	}
	return nil
}

func consumer(q *queue.Queue[int]) error {
	for {
		task, err := q.Get(context.Background())
		if err != nil { // only after a Shutdown, which this program never calls
			return err
		}
		fmt.Printf("Потребитель обрабатывает задачу %d\n", task)
		time.Sleep(2 * second) // Имитация обработки задачи
		q.TaskDone()
	}
}

func main() {
	ctx := context.Background()

	// Создаем очередь
	q := queue.New[int](0)

	// Запускаем поток-производитель
	producerThread := thread.New(func() error { return producer(q, 10) })
	producerThread.Start()

	// Запускаем несколько потоков-потребителей
	for range 3 {
		// Потоки завершатся при завершении основного потока
		consumerThread := thread.New(func() error { return consumer(q) }, thread.WithDaemon(true))
		consumerThread.Start()
	}

	// Ожидаем завершения всех задач
	producerThread.Join(ctx)
	q.Join(ctx) // Ждем пока все задачи из очереди будут обработаны

	fmt.Println("Все задачи завершены.")
}
