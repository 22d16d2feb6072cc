// Command thread-class is the Go twin of seed 001_2345feefc5625c48.txt,
// section "Потоки на классах": a Thread "subclass" whose Run method is the
// thread's body and whose result field outlives the thread. Python
// subclasses threading.Thread and overrides run(); Go embeds *thread.Thread
// and hands the type to thread.NewRunner.
package main

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/concurgo/concur/thread"
)

type MyThread struct {
	*thread.Thread
	number int
	result int // <---- хранит информацию даже после завершения работы
}

func NewMyThread(number int) *MyThread {
	t := &MyThread{number: number}
	t.Thread = thread.NewRunner(t)
	return t
}

// Run is the logic that runs in the thread.
func (t *MyThread) Run() error {
	t.result = t.number * 2
	fmt.Printf("Результат в потоке %s: %d\n", t.Name(), t.result)
	return nil
}

func main() {
	// Создание и запуск потоков
	var threads []*MyThread
	for i := range 5 {
		t := NewMyThread(i)
		threads = append(threads, t)
		t.Start()
	}

	// Ожидание завершения всех потоков
	for _, t := range threads {
		t.Join(context.Background())
	}

	// Сбор и вывод результатов
	var results []string
	for _, t := range threads {
		results = append(results, strconv.Itoa(t.result))
	}
	fmt.Printf("Все результаты: [%s]\n", strings.Join(results, ", "))
}
