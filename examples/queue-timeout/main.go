// Command queue-timeout is the Go twin of seed 001_2345feefc5625c48.txt,
// section "Очередь", "Пример 7: Очередь с timeout": get with a timeout
// until the queue stays empty too long. The queue is first in, first out,
// so the tuples come out in the order they were put, priorities
// notwithstanding. Then the fourth get times out: the seed's program ends
// with an uncaught queue.Empty and its traceback, this one with the error
// (queue.ErrEmpty and context.DeadlineExceeded) and exit status 1. The
// seed waits 5 s; this waits 50 ms.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/concurgo/concur/queue"
)

const timeout = 50 * time.Millisecond

type task struct {
	priority int
	name     string
}

// String prints a task as Python prints the tuple (priority, name).
func (t task) String() string { return fmt.Sprintf("(%d, '%s')", t.priority, t.name) }

func run(w io.Writer) error {
	q := queue.New[task](0)
	q.TryPut(task{2, "вторая задача"})
	q.TryPut(task{1, "первая задача"})
	q.TryPut(task{3, "третья задача"})

	for {
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		t, err := q.Get(ctx)
		cancel()
		if err != nil {
			return err
		}
		fmt.Fprintln(w, t)
	}
}

func main() {
	if err := run(os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
