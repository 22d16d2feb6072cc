// Command process-queue-producer-consumer is the Go twin of seed
// 004_185cbd479786a44e.txt, section "Обмен данными между процессами",
// 2. Очереди (Queues):
//
//	from multiprocessing import Process, Queue
//
//	# Создание очереди для обмена данными между процессами
//	queue = Queue()
//
//	# Функция для записи данных в очередь
//	def producer(queue):
//	    data = [1, 2, 3]
//	    queue.put(data)
//
//	# Функция для чтения данных из очереди
//	def consumer(queue):
//	    data = queue.get()
//	    print("Data received in consumer:", data)
//
//	# Создание процессов для продюсера и консьюмера
//	producer_process = Process(target=producer, args=(queue,))
//	consumer_process = Process(target=consumer, args=(queue,))
//
//	producer_process.start()
//	consumer_process.start()
//
//	producer_process.join()
//	consumer_process.join()
//
// Both ends of the queue are children: the main process only creates the
// Queue and hands it to each as an argument. The producer may exit before
// the consumer starts; its item waits in the queue's shared memory. The
// item type is the queue's type parameter; the list prints as Python
// prints it.
package main

import (
	"context"
	"fmt"
	"log"
	"strconv"
	"strings"

	"github.com/concurgo/concur/process"
)

// producer writes data into the queue.
var producer = process.RegisterTarget("producer", func(ctx context.Context, queue *process.Queue[[]int]) error {
	data := []int{1, 2, 3}
	return queue.Put(ctx, data)
})

// consumer reads data from the queue.
var consumer = process.RegisterTarget("consumer", func(ctx context.Context, queue *process.Queue[[]int]) error {
	data, err := queue.Get(ctx)
	if err != nil {
		return err
	}
	fmt.Println("Data received in consumer:", pyList(data))
	return nil
})

// pyList formats a list as Python's print does: [1, 2, 3].
func pyList(xs []int) string {
	s := make([]string, len(xs))
	for i, x := range xs {
		s[i] = strconv.Itoa(x)
	}
	return "[" + strings.Join(s, ", ") + "]"
}

func main() {
	process.Main()
	ctx := context.Background()

	// Создание очереди для обмена данными между процессами
	queue, err := process.NewQueue[[]int](0)
	if err != nil {
		log.Fatal(err)
	}
	defer queue.Close()

	// Создание процессов для продюсера и консьюмера
	producerProcess := process.New(producer, queue)
	consumerProcess := process.New(consumer, queue)

	if err := producerProcess.Start(); err != nil {
		log.Fatal(err)
	}
	if err := consumerProcess.Start(); err != nil {
		log.Fatal(err)
	}

	if err := producerProcess.Join(ctx); err != nil {
		log.Fatal(err)
	}
	if err := consumerProcess.Join(ctx); err != nil {
		log.Fatal(err)
	}
}
