// Command thread-results is the Go twin of seed 001_2345feefc5625c48.txt,
// section "Как можно передавать информацию из потоков?", ways 1 and 3: a
// shared slice guarded by a Lock, and a result field on a Thread type.
// (Way 2, a queue, is in the queue package's examples.)
package main

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/concurgo/concur/thread"
)

// 1. Глобальная переменная с блокировкой

// Глобальная переменная для хранения результатов
var (
	results []int
	lock    thread.Lock
)

func threadFunction(number int) error {
	result := number * 2 // Пример вычисления
	lock.Lock()
	defer lock.Unlock()
	results = append(results, result)
	return nil
}

// 3. Список потоков и атрибуты

type MyThread struct {
	*thread.Thread
	number int
	result int
}

func NewMyThread(number int) *MyThread {
	t := &MyThread{number: number}
	t.Thread = thread.NewRunner(t)
	return t
}

func (t *MyThread) Run() error {
	t.result = t.number * 2
	return nil
}

// pyList prints a slice as Python prints a list.
func pyList(s []int) string {
	parts := make([]string, len(s))
	for i, n := range s {
		parts[i] = strconv.Itoa(n)
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

func main() {
	var threads []*thread.Thread
	for i := range 5 {
		t := thread.New(func() error { return threadFunction(i) })
		threads = append(threads, t)
		t.Start()
	}
	for _, t := range threads {
		t.Join(context.Background())
	}
	slices.Sort(results) // threads append in the order they finish
	fmt.Println("Результаты:", pyList(results))

	var myThreads []*MyThread
	for i := range 5 {
		t := NewMyThread(i)
		myThreads = append(myThreads, t)
		t.Start()
	}
	for _, t := range myThreads {
		t.Join(context.Background())
	}
	// Сбор результатов из каждого потока
	var fromAttributes []int
	for _, t := range myThreads {
		fromAttributes = append(fromAttributes, t.result)
	}
	fmt.Println("Результаты:", pyList(fromAttributes))
}
