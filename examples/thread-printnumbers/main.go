// Command thread-printnumbers is the Go twin of the print_numbers example in
// seed 000_77c3227d2e64a08f.txt, section "Какие основные функции и команды
// для потоков используются в Python?": create a thread, start it, join it,
// ask whether it is alive. The seed sleeps 1 s per number; this sleeps
// 10 ms.
package main

import (
	"context"
	"fmt"
	"time"

	"github.com/concurgo/concur/thread"
)

// Определение функции, которая будет выполняться в потоке
func printNumbers() error {
	for i := range 5 {
		fmt.Println(i)
		time.Sleep(10 * time.Millisecond)
	}
	return nil
}

func main() {
	// Создание потока
	t := thread.New(printNumbers)
	// Запуск потока
	t.Start()
	// Ожидание завершения потока
	t.Join(context.Background())
	// Проверка состояния потока
	if t.IsAlive() {
		fmt.Println("Поток все еще выполняется")
	} else {
		fmt.Println("Поток завершил выполнение")
	}
}
