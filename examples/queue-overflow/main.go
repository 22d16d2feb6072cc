// Command queue-overflow is the Go twin of seed 001_2345feefc5625c48.txt,
// section "Очередь", "Пример - очередь переполнена": eight puts into a
// queue that holds four. The seed's lesson is in its first comment: the
// program hangs, because a blocking put on a full queue waits for room and
// never raises queue.Full, so its except clause never runs. Put with
// context.Background() waits forever in the same way.
//
// Here each Put has a deadline of 200 ms instead, which is what the
// seed's except clause needs: when the deadline passes, Put fails with an
// error that is queue.ErrFull (and context.DeadlineExceeded), and the loop
// stops as the seed meant it to. TryPut, put_nowait, would fail at once.
package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/concurgo/concur/queue"
)

func main() {
	myQueue := queue.New[int](4)

	for elem := range 8 {
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		err := myQueue.Put(ctx, elem)
		cancel()
		if errors.Is(err, queue.ErrFull) {
			fmt.Printf("put(%d): %v\n", elem, err)
			break
		}
	}

	fmt.Println(myQueue.Len())
}
