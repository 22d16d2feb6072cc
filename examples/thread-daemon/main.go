// Command thread-daemon is the Go twin of the first example of seed
// 001_2345feefc5625c48.txt, section "Демонический (фоновый) поток": a daemon
// thread does not keep the program alive, so its message never appears.
// The seed sleeps 3 s; this sleeps 300 ms.
//
// In Go every goroutine dies when main returns. What makes this thread a
// daemon is that main's WaitNonDaemon, Python's wait at exit, does not wait
// for it.
package main

import (
	"context"
	"fmt"
	"time"

	"github.com/concurgo/concur/thread"
)

func backgroundTask() error {
	time.Sleep(300 * time.Millisecond)
	fmt.Println("Фоновая задача завершилась через 3 секунды работы")
	return nil
}

func main() {
	t := thread.New(backgroundTask, thread.WithDaemon(true))
	t.Start()
	thread.WaitNonDaemon(context.Background()) // returns at once
}
