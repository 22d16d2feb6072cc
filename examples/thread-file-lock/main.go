// Command thread-file-lock is the Go twin of seed 001_2345feefc5625c48.txt,
// section "Пример с Lock": 50 threads append to one file, one at a time
// under a Lock. It runs the seed's two versions in turn.
//
// The first is the seed's "bad solution", flaws kept on purpose: Release
// is not deferred (Python: no try/finally), so an error or a panic between
// Acquire and Release would leave the lock held and every other writer
// stuck; and the file is never closed. The second is the fix: Lock with a
// deferred Unlock (Python: with lock:) and a deferred Close (with open()).
// The seed never joins its threads: Python waits for them at exit by
// itself, Go needs thread.WaitNonDaemon.
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/concurgo/concur/thread"
)

// Создаем объект блокировки
var lock thread.Lock

func writeToFileWithLockBadly(fileName string, number int) error {
	lock.Acquire(context.Background()) // <---------- да, замочек, но это плохое решение
	f, err := os.OpenFile(fileName, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		return err // the lock stays held: the flaw the seed warns about
	}
	fmt.Fprintf(f, "%d\n", number) // f is never closed: the seed's second flaw
	lock.Release()
	fmt.Printf("Записано число %d с блокировкой\n", number)
	return nil
}

func writeToFileWithLock(fileName string, number int) error {
	// используем Lock с defer Unlock: Python's with lock:
	lock.Lock()
	defer lock.Unlock()
	f, err := os.OpenFile(fileName, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		return err // <--- если произойдет ошибка, lock все равно освободится
	}
	defer f.Close()
	if _, err := fmt.Fprintf(f, "%d\n", number); err != nil {
		return err
	}
	fmt.Printf("Записано число %d с блокировкой\n", number)
	return nil
}

func run(write func(fileName string, number int) error) {
	// Имя файла для записи
	fileName := "numbers_with_lock.txt"

	// Очистка файла перед записью
	if err := os.WriteFile(fileName, nil, 0o644); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}

	// Создание и запуск потоков
	for i := range 50 {
		thread.New(func() error { return write(fileName, i) }).Start() // <---- args
	}
	thread.WaitNonDaemon(context.Background())
}

func main() {
	run(writeToFileWithLockBadly)
	run(writeToFileWithLock)
}
