// Command thread-file-nolock is the Go twin of seed 001_2345feefc5625c48.txt,
// section "Пример записи в файл БЕЗ Lock": 50 threads append to one file
// with no lock, so they write, and report, in whatever order they run.
//
// On Linux each small append to a file opened with O_APPEND lands whole, so
// here the damage is the order; a write made of several calls could also
// interleave with others. The seed never joins its threads: Python waits
// for them at exit by itself, Go needs thread.WaitNonDaemon.
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/concurgo/concur/thread"
)

func writeToFileWithoutLock(fileName string, number int) error {
	f, err := os.OpenFile(fileName, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	if _, err := fmt.Fprintf(f, "%d\n", number); err != nil {
		return err
	}
	fmt.Printf("Записано число %d\n", number)
	return nil
}

func main() {
	// Имя файла для записи
	fileName := "numbers_without_lock.txt"

	// Очистка файла перед записью
	if err := os.WriteFile(fileName, nil, 0o644); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}

	// Создание и запуск потоков
	for i := range 50 {
		thread.New(func() error { return writeToFileWithoutLock(fileName, i) }).Start()
	}
	thread.WaitNonDaemon(context.Background())
}
