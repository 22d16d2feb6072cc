// Command thread-countdown is the Go twin of seed 001_2345feefc5625c48.txt,
// section "Еще один пример": main waits with Join for a countdown thread.
// The seed sleeps 1 s per step; this sleeps 10 ms. (Without the Join, main
// would print its last line first and, in Go, end the program and the
// countdown with it.)
package main

import (
	"context"
	"fmt"
	"time"

	"github.com/concurgo/concur/thread"
)

func countdown() error {
	for i := 5; i > 0; i-- {
		fmt.Printf("Осталось %d секунд\n", i)
		time.Sleep(10 * time.Millisecond)
	}
	return nil
}

func main() {
	t := thread.New(countdown)
	fmt.Println("Запущен обратный отсчет.")

	t.Start()
	t.Join(context.Background()) // а если без него?

	fmt.Println("Обратный отсчет завершен. Главный поток продолжает выполнение.")
}
