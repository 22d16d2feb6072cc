// Command queue-empty is the Go twin of seed 001_2345feefc5625c48.txt,
// section "Очередь", "Пример 2: Проверка пустоты очереди". Checking Empty
// before Get is safe here because no other goroutine gets from the queue;
// see queue-workers for when it is not.
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

	for !q.Empty() {
		v, _ := q.Get(ctx)
		fmt.Println(v) // 1
	}
}
