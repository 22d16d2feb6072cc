// Command thread-workers is the Go twin of seed 001_2345feefc5625c48.txt,
// section "Можно запустить несколько потоков": five named threads print
// their name, daemon flag and id. Threads run in parallel, so the lines may
// come in any order. The ids are goroutine ids, never reused, where Python's
// OS thread ids are.
package main

import (
	"context"
	"fmt"

	"github.com/concurgo/concur/thread"
)

func threadFunction() error {
	c := thread.Current()
	fmt.Printf("Дочерний поток: имя=%s, daemon=%v, id=%d\n", c.Name(), c.Daemon(), c.Ident())
	return nil
}

func main() {
	for i := range 5 {
		t := thread.New(threadFunction, thread.WithName(fmt.Sprintf("Worker-%d", i+1)))
		t.Start()
	}
	// What Python does at exit: wait for the non-daemon threads.
	thread.WaitNonDaemon(context.Background())
}
