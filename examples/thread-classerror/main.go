// Command thread-classerror is the Go twin of seed 001_2345feefc5625c48.txt,
// section "Обработка ошибок", "Пример 3: Использование пользовательского
// класса потока с try-except": the thread keeps its error in a field, and
// main reads it after Join. (Join would also return an error Run returned;
// the field is the seed's way.)
package main

import (
	"context"
	"fmt"

	"github.com/concurgo/concur/examples/internal/pyarith"
	"github.com/concurgo/concur/thread"
)

type MyThread struct {
	*thread.Thread
	number    any
	exception error
}

func NewMyThread(number any) *MyThread {
	t := &MyThread{number: number}
	t.Thread = thread.NewRunner(t)
	return t
}

func (t *MyThread) Run() error {
	result, err := pyarith.Div(10, t.number) // Это может вызвать деление на ноль
	if err != nil {
		t.exception = err
		return nil
	}
	fmt.Printf("Результат: %v\n", result)
	return nil
}

func main() {
	var threads []*MyThread
	for _, i := range []any{0, 1, 2, 3, "4", 5} {
		t := NewMyThread(i)
		threads = append(threads, t)
		t.Start()
	}

	for _, t := range threads {
		t.Join(context.Background())
		if t.exception != nil {
			fmt.Printf("Исключение в %s: %v\n", t.Name(), t.exception)
		}
	}
}
