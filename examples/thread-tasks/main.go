// Command thread-tasks is the Go twin of the threading example in seed
// 003_c3bae16890c099e5.txt ("Пример использования threading"): three
// threads simulate I/O-bound work and main joins them all. The seed sleeps
// 2 s; this sleeps 20 ms. The threads start and finish in any order.
package main

import (
	"context"
	"fmt"
	"time"

	"github.com/concurgo/concur/thread"
)

func task(name int) error {
	fmt.Printf("Thread %d: Starting\n", name)
	time.Sleep(20 * time.Millisecond) // Имитация I/O-bound работы
	fmt.Printf("Thread %d: Finishing\n", name)
	return nil
}

func main() {
	var threads []*thread.Thread
	for i := range 3 {
		t := thread.New(func() error { return task(i) })
		threads = append(threads, t)
		t.Start()
	}

	for _, t := range threads {
		t.Join(context.Background()) // Ждем завершения всех потоков
	}

	fmt.Println("All threads finished")
}
