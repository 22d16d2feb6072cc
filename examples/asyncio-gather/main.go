// Command asyncio-gather is the Go twin of the asyncio example in seed
// 003_c3bae16890c099e5.txt ("Пример использования asyncio"): three
// coroutines simulate I/O-bound work and asyncio.gather runs them
// concurrently. An async def is a plain function taking a context, await
// asyncio.sleep is aio.Sleep, and gather is aio.Gather. The seed sleeps
// 2 s; this sleeps 200 ms. Python's event loop starts the coroutines in
// list order; goroutines start (and finish) in any order, but all three
// start before any finishes, as in the seed.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/concurgo/concur/aio"
)

const delay = 200 * time.Millisecond // the seed's 2 s, scaled down

// task is the seed's "async def task(name)".
func task(out *lineWriter, name int) func(context.Context) (struct{}, error) {
	return func(ctx context.Context) (struct{}, error) {
		out.printf("Coroutine %d: Starting\n", name)
		if err := aio.Sleep(ctx, delay); err != nil { // Имитация асинхронной I/O-bound работы
			return struct{}{}, err
		}
		out.printf("Coroutine %d: Finishing\n", name)
		return struct{}{}, nil
	}
}

// run is the seed's "async def main()".
func run(ctx context.Context, w io.Writer) error {
	out := &lineWriter{w: w}
	var tasks []func(context.Context) (struct{}, error)
	for i := range 3 {
		tasks = append(tasks, task(out, i))
	}
	_, err := aio.Gather(ctx, tasks...) // Запускаем все корутины конкурентно
	return err
}

func main() {
	if err := run(context.Background(), os.Stdout); err != nil { // asyncio.run(main())
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

// lineWriter writes each line whole: goroutines print at the same time,
// where Python's coroutines took turns on one thread.
type lineWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lineWriter) printf(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	fmt.Fprintf(l.w, format, args...)
}
