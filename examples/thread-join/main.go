// Command thread-join is the Go twin of seed 001_2345feefc5625c48.txt,
// section "join - Какой вывод даст следующий код?": Join holds main until
// the thread is done, so the thread's name is printed before main's. The
// seed sleeps 2 s; this sleeps 20 ms.
package main

import (
	"context"
	"fmt"
	"time"

	"github.com/concurgo/concur/thread"
)

func printThreadName() error {
	time.Sleep(20 * time.Millisecond)
	fmt.Println(thread.Current().Name())
	return nil
}

func main() {
	t := thread.New(printThreadName, thread.WithName("CustomThread"))
	t.Start()
	t.Join(context.Background()) // никуда дальше этой строчки кода не пойдем, пока поток не закончит работу

	printThreadName()
}
