// Command queue-lifo is the Go twin of seed 001_2345feefc5625c48.txt,
// section "Очередь", "Пример 5: Использование queue.LifoQueue (стек)":
// the last item put is the first one got.
package main

import (
	"context"
	"fmt"

	"github.com/concurgo/concur/queue"
)

func main() {
	ctx := context.Background()
	q := queue.NewLIFO[int](0)
	q.Put(ctx, 1)
	q.Put(ctx, 2)
	q.Put(ctx, 3)

	for _, note := range []string{" (последний добавленный)", "", ""} {
		v, _ := q.Get(ctx)
		fmt.Printf("%d%s\n", v, note) // 3, 2, 1
	}
}
