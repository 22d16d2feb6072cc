// Command queue-basic is the Go twin of seed 001_2345feefc5625c48.txt,
// section "Очередь", "Пример 1: Основная очередь и добавление элементов":
// items leave a Queue in the order they came in. The seed's commented-out
// fourth get would wait forever on the empty queue; so would Get with
// context.Background() here, while TryGet would return queue.ErrEmpty.
package main

import (
	"context"
	"fmt"

	"github.com/concurgo/concur/queue"
)

func main() {
	ctx := context.Background()
	q := queue.New[int](0)
	q.Put(ctx, 1)
	q.Put(ctx, 2)
	q.Put(ctx, 3)

	for range 3 {
		v, _ := q.Get(ctx)
		fmt.Println(v) // 1, 2, 3
	}
	// fmt.Println(q.Get(ctx)) // ?
}
