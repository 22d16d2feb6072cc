package benchsuite

import (
	"cmp"
	"container/heap"
	"context"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/concurgo/concur/queue"
)

func queueWorkload() *Workload {
	base := Timed("chan (1024)", func(_ context.Context, n int) (time.Duration, error) {
		ch := make(chan int, 1024)
		start := time.Now()
		go func() {
			for i := range n {
				ch <- i
			}
		}()
		for range n {
			<-ch
		}
		return time.Since(start), nil
	})
	return &Workload{
		ID: "queue-1p1c", Title: "Queue, 1 producer 1 consumer", Unit: ItemsPerSec, Items: 1, Quick: true, Python: true,
		Note: "one goroutine Puts n ints into a maxsize-1024 queue.Queue, another Gets them; " +
			"baseline: a 1024-buffered channel; Python: queue.Queue(1024) between two threads",
		Concur: Timed("queue.Queue", func(ctx context.Context, n int) (time.Duration, error) {
			q := queue.New[int](1024)
			errc := make(chan error, 1)
			start := time.Now()
			go func() {
				for i := range n {
					if err := q.Put(ctx, i); err != nil {
						errc <- err
						return
					}
				}
				errc <- nil
			}()
			for range n {
				if _, err := q.Get(ctx); err != nil {
					return 0, err
				}
			}
			d := time.Since(start)
			return d, <-errc
		}),
		Baseline: &base,
		Bars:     []Bar{{Against: AgainstBaseline, Min: 0.5, Text: "0.5x a 1024-buffered channel"}},
	}
}

func randomInts(n int) []int {
	r := rand.New(rand.NewPCG(1, 2))
	xs := make([]int, n)
	for i := range xs {
		xs[i] = r.Int()
	}
	return xs
}

// intHeap is the priority queue a Go programmer writes by hand: the
// container/heap example.
type intHeap []int

func (h intHeap) Len() int           { return len(h) }
func (h intHeap) Less(i, j int) bool { return cmp.Less(h[i], h[j]) }
func (h intHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *intHeap) Push(x any)        { *h = append(*h, x.(int)) }
func (h *intHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

func priorityWorkload() *Workload {
	base := Timed("container/heap+Mutex", func(_ context.Context, n int) (time.Duration, error) {
		xs := randomInts(n)
		var mu sync.Mutex
		h := new(intHeap)
		start := time.Now()
		for _, x := range xs {
			mu.Lock()
			heap.Push(h, x)
			mu.Unlock()
		}
		for range xs {
			mu.Lock()
			heap.Pop(h)
			mu.Unlock()
		}
		return time.Since(start), nil
	})
	return &Workload{
		ID: "priority", Title: "Priority queue put+get of random ints", Unit: ItemsPerSec, Items: 1, Quick: true, Python: true,
		Note: "put n random ints into an unbounded queue.NewPriority, then get them all (n is calibrated: some hundred thousand in a full run, so the heap is that deep); " +
			"baseline: container/heap under a sync.Mutex; Python: queue.PriorityQueue",
		Concur: Timed("queue.Priority", func(_ context.Context, n int) (time.Duration, error) {
			xs := randomInts(n)
			q := queue.NewPriority[int](0)
			start := time.Now()
			for _, x := range xs {
				if err := q.TryPut(x); err != nil {
					return 0, err
				}
			}
			for range xs {
				if _, err := q.TryGet(); err != nil {
					return 0, err
				}
			}
			return time.Since(start), nil
		}),
		Baseline: &base,
	}
}
