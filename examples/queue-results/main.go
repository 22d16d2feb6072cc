// Command queue-results is the Go twin of seed 001_2345feefc5625c48.txt,
// section "Как можно передавать информацию из потоков?", way 2
// "Использование очереди (Queue)": threads put their results into a
// queue, and the main thread collects them after joining the threads.
// The queue does the locking. (Ways 1 and 3 are in thread-results.)
//
// Threads put in the order they finish, which varies from run to run, so
// the results are sorted before printing; the list is printed as Python
// prints it.
package main

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/concurgo/concur/queue"
	"github.com/concurgo/concur/thread"
)

func threadFunction(number int, q *queue.Queue[int]) error {
	result := number * 2
	return q.Put(context.Background(), result)
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
	ctx := context.Background()

	// Очередь для хранения результатов
	resultQueue := queue.New[int](0)

	var threads []*thread.Thread
	for i := range 5 {
		t := thread.New(func() error { return threadFunction(i, resultQueue) })
		threads = append(threads, t)
		t.Start()
	}

	for _, t := range threads {
		t.Join(ctx)
	}

	// Сбор результатов из очереди
	var results []int
	for !resultQueue.Empty() {
		v, _ := resultQueue.Get(ctx)
		results = append(results, v)
	}

	slices.Sort(results)
	fmt.Println("Результаты:", pyList(results))
}
