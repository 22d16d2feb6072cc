// Command thread-sumproduct is the Go twin of seed 001_2345feefc5625c48.txt,
// section "Если несколько потоков нужно запустить и дождаться": two threads
// fill a shared result, and main joins both before reading it. The seed
// sleeps 2 s in each thread; this sleeps 20 ms.
//
// The result is a struct with a field per thread where Python uses a dict:
// a Go map written by two goroutines at once is a data race.
package main

import (
	"context"
	"fmt"
	"time"

	"github.com/concurgo/concur/thread"
)

var result struct{ sum, product int } // <----- обращаемся к глобальной переменной

func calculateSum(numbers []int) error {
	time.Sleep(20 * time.Millisecond)
	for _, n := range numbers {
		result.sum += n
	}
	return nil
}

func calculateProduct(numbers []int) error {
	time.Sleep(20 * time.Millisecond)
	result.product = 1
	for _, n := range numbers {
		result.product *= n
	}
	return nil
}

// numbersFrom is Python's range(from, to).
func numbersFrom(from, to int) []int {
	var s []int
	for i := from; i < to; i++ {
		s = append(s, i)
	}
	return s
}

func main() {
	sumThread := thread.New(func() error { return calculateSum(numbersFrom(1, 1001)) })
	productThread := thread.New(func() error { return calculateProduct(numbersFrom(1, 11)) })

	threads := []*thread.Thread{sumThread, productThread}
	for _, t := range threads {
		t.Start()
	}
	for _, t := range threads {
		t.Join(context.Background()) // а если закомментируем
	}

	fmt.Printf("Сумма чисел от 1 до 1000: %d\n", result.sum)
	fmt.Printf("Произведение чисел от 1 до 10: %d\n", result.product)
}
