// Command thread-daemonloop is the Go twin of the second example of seed
// 001_2345feefc5625c48.txt, section "Демонический (фоновый) поток": a daemon
// thread loops forever, printing, and stops only because the program ends
// after main sleeps. The seed sleeps 1 s; this sleeps 10 ms.
package main

import (
	"fmt"
	"time"

	"github.com/concurgo/concur/thread"
)

func backgroundTask() error {
	for {
		fmt.Println("Фоновая задача завершилась через 3 секунды работы")
	}
}

func main() {
	t := thread.New(backgroundTask, thread.WithDaemon(true))
	t.Start()

	time.Sleep(10 * time.Millisecond)
}
