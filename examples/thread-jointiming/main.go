// Command thread-jointiming is the Go twin of seed 001_2345feefc5625c48.txt,
// section "join - ждем, когда поток выполнится до конца": the thread
// finishes while main sleeps, so the final Join returns at once and the
// program takes as long as main's sleep. The seed's 5 s and 6 s are 50 ms
// and 60 ms here; swap them (main 30 ms) to see Join wait instead.
package main

import (
	"context"
	"fmt"
	"time"

	"github.com/concurgo/concur/thread"
)

func task() error {
	taskThreadID := thread.Current().Ident()
	time.Sleep(50 * time.Millisecond)
	fmt.Printf("Это сообщение от задачи task из потока %d\n", taskThreadID)
	return nil
}

func main() {
	// Засекаем время начала выполнения скрипта
	start := time.Now()

	// Определяем id главного потока и выводим его
	baseThreadID := thread.Current().Ident()
	fmt.Printf("id главного потока: %d\n", baseThreadID)

	// Создаем и запускаем новый поток для выполнения функции task
	t := thread.New(task)
	fmt.Println("Запускаем новый поток")
	t.Start()

	// выводим сообщение
	fmt.Println("Ждем завершения нового потока...")

	// Главный поток засыпает
	time.Sleep(60 * time.Millisecond) // <---------------------- 30 vs 60
	fmt.Println("Главный поток проснулся")
	fmt.Printf("Время выполнения программы: %.4f секунды\n", time.Since(start).Seconds())

	// Ждем завершения задачи и завершения работы нового потока
	t.Join(context.Background())
	fmt.Println("Работа нового потока завершена")
	fmt.Printf("Время выполнения программы: %.4f секунды\n", time.Since(start).Seconds())
}
