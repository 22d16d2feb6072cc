package process_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/concurgo/concur/process"
	"github.com/concurgo/concur/queue"
)

type exampleQueues struct {
	Tasks   *process.JoinableQueue[string]
	Results *process.SimpleQueue[string]
}

var (
	exampleProduce = process.RegisterTarget("example.queue.produce", func(ctx context.Context, q *process.Queue[int]) error {
		for i := 1; i <= 3; i++ {
			if err := q.Put(ctx, i*i); err != nil {
				return err
			}
		}
		q.Shutdown(false) // no more items: the consumer's loop ends after the drain
		return nil
	})
	exampleWorker = process.RegisterTarget("example.queue.worker", func(ctx context.Context, qs exampleQueues) error {
		for task, err := range qs.Tasks.All(ctx) { // marks each task done after its loop body
			if err != nil {
				return err
			}
			if err := qs.Results.Put(ctx, strings.ToUpper(task)); err != nil {
				return err
			}
		}
		return nil
	})
)

// A child process produces, the parent consumes: the queue travels to the
// child as its argument, and Shutdown takes the place of the sentinel
// (None) a Python producer puts last.
func ExampleQueue() {
	ctx := context.Background()
	q, err := process.NewQueue[int](0)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer q.Close()
	p := process.New(exampleProduce, q)
	if err := p.Start(); err != nil {
		fmt.Println(err)
		return
	}
	for v, err := range q.All(ctx) {
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println(v)
	}
	fmt.Println(p.Join(ctx))
	// Output:
	// 1
	// 4
	// 9
	// <nil>
}

// Worker processes take tasks from a JoinableQueue; the parent's Join
// returns once every task has been marked done, then Shutdown lets the
// workers' loops end.
func ExampleJoinableQueue() {
	ctx := context.Background()
	tasks, err := process.NewJoinableQueue[string](0)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer tasks.Close()
	results, err := process.NewSimpleQueue[string]()
	if err != nil {
		fmt.Println(err)
		return
	}
	defer results.Close()
	var workers []*process.Child[struct{}]
	for range 2 {
		w := process.New(exampleWorker, exampleQueues{tasks, results})
		if err := w.Start(); err != nil {
			fmt.Println(err)
			return
		}
		workers = append(workers, w)
	}
	for _, task := range []string{"a", "b", "c", "d"} {
		tasks.Put(ctx, task)
	}
	if err := tasks.Join(ctx); err != nil { // every task done
		fmt.Println(err)
		return
	}
	tasks.Shutdown(false)
	for _, w := range workers {
		w.Join(ctx)
	}
	var got []string
	for !results.Empty() {
		r, _ := results.Get(ctx)
		got = append(got, r)
	}
	slices.Sort(got) // the workers finish in any order
	fmt.Println(got)
	// Output: [A B C D]
}

// Python's put_nowait and get_nowait, and timeouts: the errors are package
// queue's, and a timeout also matches context.DeadlineExceeded.
func ExampleQueue_TryPut() {
	q, err := process.NewQueue[string](1) // maxsize 1
	if err != nil {
		fmt.Println(err)
		return
	}
	defer q.Close()
	fmt.Println(q.TryPut("first"))
	fmt.Println(errors.Is(q.TryPut("second"), queue.ErrFull))

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	err = q.Put(ctx, "second") // put("second", timeout=0.01)
	fmt.Println(errors.Is(err, queue.ErrFull), errors.Is(err, context.DeadlineExceeded))

	v, err := q.TryGet()
	fmt.Println(v, err)
	_, err = q.TryGet()
	fmt.Println(errors.Is(err, queue.ErrEmpty))
	// Output:
	// <nil>
	// true
	// true true
	// first <nil>
	// true
}

// Encoding happens in the caller: an item that cannot travel fails in
// Put, where Python's feeder thread would drop it later.
func ExampleQueue_Put_unencodable() {
	q, err := process.NewQueue[any](0)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer q.Close()
	err = q.Put(context.Background(), func() {})
	var ee *process.EncodeError
	fmt.Println(errors.As(err, &ee), q.Len())
	// Output: true 0
}
