package queue_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/concurgo/concur/queue"
)

// A first-in, first-out queue: Python's queue.Queue().
func Example() {
	ctx := context.Background()
	q := queue.New[int](0)
	for i := 1; i <= 3; i++ {
		q.Put(ctx, i)
	}
	for !q.Empty() {
		v, _ := q.Get(ctx)
		fmt.Println(v)
	}
	// Output:
	// 1
	// 2
	// 3
}

// A stack: Python's queue.LifoQueue().
func ExampleNewLIFO() {
	q := queue.NewLIFO[int](0)
	for i := 1; i <= 3; i++ {
		q.TryPut(i)
	}
	for !q.Empty() {
		v, _ := q.TryGet()
		fmt.Println(v)
	}
	// Output:
	// 3
	// 2
	// 1
}

func ExampleNewPriority() {
	q := queue.NewPriority[string](0)
	for _, s := range []string{"pear", "apple", "fig"} {
		q.TryPut(s)
	}
	for !q.Empty() {
		s, _ := q.TryGet()
		fmt.Println(s)
	}
	// Output:
	// apple
	// fig
	// pear
}

// Python queues (priority, item) tuples; in Go the item carries its
// priority and the queue orders by it alone. Equal priorities keep their
// order of arrival.
func ExampleNewPriorityFunc() {
	type task struct {
		priority int
		name     string
	}
	q := queue.NewPriorityFunc(0, func(a, b task) bool { return a.priority < b.priority })
	q.TryPut(task{2, "second task"})
	q.TryPut(task{1, "first task"})
	q.TryPut(task{3, "third task"})
	q.TryPut(task{1, "also first, put later"})
	for !q.Empty() {
		t, _ := q.TryGet()
		fmt.Println(t.priority, t.name)
	}
	// Output:
	// 1 first task
	// 1 also first, put later
	// 2 second task
	// 3 third task
}

// TryPut is put_nowait: on a full queue it fails with ErrFull instead of
// waiting.
func ExampleQueue_TryPut() {
	q := queue.New[int](4)
	for i := range 8 {
		if err := q.TryPut(i); errors.Is(err, queue.ErrFull) {
			fmt.Println("full after", i, "items")
			break
		}
	}
	fmt.Println(q.Len())
	// Output:
	// full after 4 items
	// 4
}

// A deadline on the context is Python's get(timeout=...): the error is
// both ErrEmpty and context.DeadlineExceeded.
func ExampleQueue_Get_timeout() {
	q := queue.New[string](0)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	_, err := q.Get(ctx)
	fmt.Println(errors.Is(err, queue.ErrEmpty), errors.Is(err, context.DeadlineExceeded))
	fmt.Println(err)
	// Output:
	// true true
	// queue: empty: context deadline exceeded
}

// Producer and consumers with task tracking: the producer waits in Join
// until every item has been processed, not merely taken.
func ExampleQueue_Join() {
	ctx := context.Background()
	q := queue.New[int](0)
	var mu sync.Mutex
	var squares []int
	var wg sync.WaitGroup
	for range 3 {
		wg.Go(func() { // consumers, stopped by Shutdown below
			for {
				n, err := q.Get(ctx)
				if err != nil {
					return
				}
				mu.Lock()
				squares = append(squares, n*n)
				mu.Unlock()
				q.TaskDone()
			}
		})
	}
	for i := 1; i <= 5; i++ {
		q.Put(ctx, i)
	}
	q.Join(ctx) // every item is done: squares is complete
	q.Shutdown(false)
	wg.Wait()
	slices.Sort(squares)
	fmt.Println(squares)
	// Output: [1 4 9 16 25]
}

// A worker pool with All: each loop body's item is marked done when the
// body finishes, and the loops end when the queue is shut down.
func ExampleQueue_All() {
	ctx := context.Background()
	jobs := queue.New[string](8)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var done []string
	for range 2 {
		wg.Go(func() {
			for job := range jobs.All(ctx) {
				mu.Lock()
				done = append(done, job)
				mu.Unlock()
			}
		})
	}
	for _, j := range []string{"b", "c", "a"} {
		jobs.Put(ctx, j)
	}
	jobs.Join(ctx)
	fmt.Println(len(done), "jobs done")
	jobs.Shutdown(false)
	wg.Wait()
	// Output: 3 jobs done
}

// After Shutdown(false), puts fail and gets drain what is left.
func ExampleQueue_Shutdown() {
	ctx := context.Background()
	q := queue.New[string](0)
	q.Put(ctx, "last order")
	q.Shutdown(false)
	fmt.Println(q.Put(ctx, "too late"))
	for {
		v, err := q.Get(ctx)
		if errors.Is(err, queue.ErrShutDown) {
			fmt.Println(err)
			break
		}
		fmt.Println(v)
	}
	// Output:
	// queue: shut down
	// last order
	// queue: shut down
}

// Errors raised in goroutines come back to the main goroutine through a
// queue, as the seeds pass exceptions back to the main thread.
func ExampleQueue_errorsFromGoroutines() {
	type failure struct {
		worker int
		err    error
	}
	errs := queue.New[failure](0)
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Go(func() {
			if i%2 == 1 {
				errs.TryPut(failure{i, fmt.Errorf("worker %d failed", i)})
			}
		})
	}
	wg.Wait()
	var msgs []string
	for !errs.Empty() {
		f, _ := errs.TryGet()
		msgs = append(msgs, f.err.Error())
	}
	slices.Sort(msgs)
	fmt.Println(msgs)
	// Output: [worker 1 failed worker 3 failed]
}

// Simple is Python's SimpleQueue: unbounded, no task tracking, and a Put
// that never waits or fails.
func ExampleSimple() {
	var q queue.Simple[string] // the zero value is ready to use
	q.Put("hello")
	q.Put("world")
	a, _ := q.Get(context.Background())
	b, _ := q.TryGet()
	fmt.Println(a, b)
	// Output: hello world
}
