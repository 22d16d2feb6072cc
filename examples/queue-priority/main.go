// Command queue-priority is the Go twin of seed 001_2345feefc5625c48.txt,
// section "Очередь", "Пример 6: Использование queue.PriorityQueue": tasks
// come out lowest priority number first.
//
// Python queues (priority, name) tuples, which the heap compares as
// tuples: by priority, then, on a tie, by name. The Go twin queues a task
// struct ordered by its priority alone; tasks of equal priority come out
// in the order they were put. String prints a task as Python prints the
// tuple.
package main

import (
	"context"
	"fmt"

	"github.com/concurgo/concur/queue"
)

type task struct {
	priority int
	name     string
}

func (t task) String() string { return fmt.Sprintf("(%d, '%s')", t.priority, t.name) }

func main() {
	ctx := context.Background()
	q := queue.NewPriorityFunc(0, func(a, b task) bool { return a.priority < b.priority })
	q.Put(ctx, task{2, "вторая задача"})
	q.Put(ctx, task{1, "первая задача"})
	q.Put(ctx, task{3, "третья задача"})

	for !q.Empty() {
		t, _ := q.Get(ctx)
		fmt.Println(t) // (1, 'первая задача'), затем (2, 'вторая задача'), затем (3, 'третья задача')
	}
}
