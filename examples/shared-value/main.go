// Command shared-value is the Go twin of the seed's shared-memory example,
// "Обмен данными между процессами", 1. Shared Memory (разделяемая память),
// shared/seeds/004_185cbd479786a44e.txt:
//
//	from multiprocessing import Process, Value
//
//	# Создание переменной типа Value для разделяемой памяти
//	shared_var = Value('i', 0)
//
//	# Функция, которая будет выполнена в отдельном процессе
//	def worker_func(shared_var):
//	    shared_var.value = 123
//
//	# Создание и запуск процесса
//	worker_process = Process(target=worker_func, args=(shared_var,))
//	worker_process.start()
//	worker_process.join()
//
//	# Чтение значения переменной из основного процесса
//	print("Value in main process:", shared_var.value)
//
// Python's typecode 'i' is a C int, an int32. The function a child runs is
// registered by name (Go cannot send a closure to another process), and
// process.Main, first in main, is the `if __name__ == '__main__':` guard:
// in the child it runs worker_func and exits.
package main

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/concurgo/concur/process"
)

// workerFunc runs in the child; the Value it receives maps the same
// memory as the parent's.
var workerFunc = process.RegisterTarget("worker_func", func(ctx context.Context, sharedVar *process.Value[int32]) error {
	sharedVar.Store(123)
	return nil
})

func main() {
	process.Main()
	if err := run(os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func run(w io.Writer) error {
	// Создание переменной типа Value для разделяемой памяти
	sharedVar, err := process.NewValue[int32](0)
	if err != nil {
		return err
	}
	defer sharedVar.Close()

	// Создание и запуск процесса
	workerProcess := process.New(workerFunc, sharedVar)
	if err := workerProcess.Start(); err != nil {
		return err
	}
	defer workerProcess.Close()
	if err := workerProcess.Join(context.Background()); err != nil {
		return err
	}

	// Чтение значения переменной из основного процесса
	fmt.Fprintln(w, "Value in main process:", sharedVar.Load())
	return nil
}
