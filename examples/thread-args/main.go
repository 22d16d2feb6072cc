// Command thread-args is the Go twin of seed 001_2345feefc5625c48.txt,
// section "Как передавать args": Python's args=("Алиса", 42) become a
// closure that calls the function with them.
package main

import (
	"context"
	"fmt"

	"github.com/concurgo/concur/thread"
)

func threadFunction(name string, number int) error {
	fmt.Printf("Привет, %s! Твой номер: %d\n", name, number)
	return nil
}

func main() {
	// Создание и запуск потока с передачей аргументов
	t := thread.New(func() error { return threadFunction("Алиса", 42) })
	t.Start()

	// Ожидание завершения потока
	t.Join(context.Background())
}
