// Command queue-full is the Go twin of seed 001_2345feefc5625c48.txt,
// section "Очередь", "Пример 3: Ограничение размера очереди": a queue of
// maxsize 2 is full after two puts, and a get makes room. The commented-out
// third put would wait for room forever, as in the seed. Booleans are
// printed as Python prints them.
package main

import (
	"context"
	"fmt"

	"github.com/concurgo/concur/queue"
)

// pyBool prints a bool as Python does.
func pyBool(b bool) string {
	if b {
		return "True"
	}
	return "False"
}

func main() {
	ctx := context.Background()
	q := queue.New[int](2)
	q.Put(ctx, 1)
	q.Put(ctx, 2)
	// q.Put(ctx, 3)

	fmt.Println(pyBool(q.Full())) // True

	q.Get(ctx)
	fmt.Println(pyBool(q.Full())) // False

	q.Put(ctx, 3)
	v, _ := q.Get(ctx)
	fmt.Println(v) // 2
	v, _ = q.Get(ctx)
	fmt.Println(v) // 3
}
