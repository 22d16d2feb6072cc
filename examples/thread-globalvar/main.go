// Command thread-globalvar is the Go twin of seed 001_2345feefc5625c48.txt,
// section "Тренируемся: Чему будет равно global_variable?": the thread reads
// the variable after main has changed it, because the thread sleeps first
// (without the sleep it may print 909).
//
// The variable is an atomic.Int64 where Python's is a plain global: in Go,
// one goroutine writing a variable while another reads it, unsynchronised,
// is a data race, which go run -race reports.
package main

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/concurgo/concur/thread"
)

var globalVariable atomic.Int64

func task() error {
	// Засыпаем...
	time.Sleep(100 * time.Millisecond) // <-------- а если закомментируем?
	// Выводим сообщение
	fmt.Printf("Значение global_variable = %d\n", globalVariable.Load())
	return nil
}

func main() {
	globalVariable.Store(909)

	// Создаем и настраиваем новый поток для выполнения функции task
	t := thread.New(task)
	t.Start()
	globalVariable.Add(42)
	t.Join(context.Background())
}
