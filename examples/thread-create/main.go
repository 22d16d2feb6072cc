// Command thread-create is the Go twin of seed 001_2345feefc5625c48.txt,
// section "Как создать свой поток?": run a function in a new thread. A
// thread runs once; it cannot be restarted.
package main

import (
	"context"
	"fmt"

	"github.com/concurgo/concur/thread"
)

// Функция, которую мы хотим выполнить в отдельном потоке
func task() error {
	for i := 1; i <= 5; i++ {
		fmt.Println(i)
	}
	return nil
}

func main() {
	// создаем и настраиваем новый поток для выполнения функции
	t := thread.New(task)

	// запускаем задачу в новом потоке
	t.Start()

	// Python waits for such a thread when the program ends; Go ends the
	// program when main returns, so main waits explicitly.
	t.Join(context.Background())

	// По факту завершения работы функции этот поток завершит свою работу.
	// Перезапуск невозможен
	if err := t.Start(); err != nil {
		fmt.Println("Перезапуск:", err)
	}
}
