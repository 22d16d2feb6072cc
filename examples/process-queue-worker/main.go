// Command process-queue-worker is the Go twin of seed
// 004_185cbd479786a44e.txt, section "Коммуникация между процессами с
// использованием модуля multiprocessing" ("Передача данных из основного
// процесса в рабочий процесс через очередь"):
//
//	from multiprocessing import Process, Queue
//
//	# Функция, которая будет выполнена в новом процессе
//	def worker_func(queue):
//	    data = queue.get()  # Получить данные из очереди
//	    print('Received data in worker:', data)
//
//	# Создание очереди для обмена данными между процессами
//	queue = Queue()
//
//	# Создание и запуск нового процесса с передачей очереди данных
//	worker_process = Process(target=worker_func, args=(queue,))
//	worker_process.start()
//
//	# Передача данных из основного процесса в рабочий процесс через очередь
//	data_to_send = 'Hello from main process!'
//	queue.put(data_to_send)
//
//	worker_process.join()  # Ожидание завершения работы рабочего процесса
//
// The seed has no `if __name__ == '__main__':` guard, which the spawn
// start method (the default on macOS and Windows) needs; here the guard
// is process.Main, first in main.
package main

import (
	"context"
	"fmt"
	"log"

	"github.com/concurgo/concur/process"
)

// workerFunc is the function run in the new process.
var workerFunc = process.RegisterTarget("worker_func", func(ctx context.Context, queue *process.Queue[string]) error {
	data, err := queue.Get(ctx) // Получить данные из очереди
	if err != nil {
		return err
	}
	fmt.Println("Received data in worker:", data)
	return nil
})

func main() {
	process.Main()
	ctx := context.Background()

	// Создание очереди для обмена данными между процессами
	queue, err := process.NewQueue[string](0)
	if err != nil {
		log.Fatal(err)
	}
	defer queue.Close()

	// Создание и запуск нового процесса с передачей очереди данных
	workerProcess := process.New(workerFunc, queue)
	if err := workerProcess.Start(); err != nil {
		log.Fatal(err)
	}

	// Передача данных из основного процесса в рабочий процесс через очередь
	dataToSend := "Hello from main process!"
	if err := queue.Put(ctx, dataToSend); err != nil {
		log.Fatal(err)
	}

	if err := workerProcess.Join(ctx); err != nil { // Ожидание завершения работы рабочего процесса
		log.Fatal(err)
	}
}
