package queue

import (
	"context"
	"errors"
	"math/rand/v2"
	"runtime"
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

// Ports of CPython's BaseSimpleQueueTest.

func TestSimpleBasic(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		q := NewSimple[int]()
		if !q.Empty() || q.Len() != 0 {
			t.Fatal("new Simple is not empty")
		}
		q.Put(1)
		if q.Empty() || q.Len() != 1 {
			t.Fatal("Put did not add")
		}
		q.Put(2)
		q.Put(3)
		q.Put(4)
		if q.Len() != 4 {
			t.Fatalf("Len() = %d, want 4", q.Len())
		}
		if v, err := q.Get(context.Background()); v != 1 || err != nil {
			t.Fatalf("Get: %v, %v", v, err)
		}
		if v, err := q.TryGet(); v != 2 || err != nil {
			t.Fatalf("TryGet: %v, %v", v, err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		defer cancel()
		if v, err := q.Get(ctx); v != 3 || err != nil {
			t.Fatalf("Get with a deadline: %v, %v", v, err)
		}
		if v, err := q.TryGet(); v != 4 || err != nil {
			t.Fatalf("TryGet: %v, %v", v, err)
		}
		if _, err := q.TryGet(); !errors.Is(err, ErrEmpty) {
			t.Fatalf("TryGet on empty: %v", err)
		}
		ctx, cancel = context.WithTimeout(context.Background(), time.Millisecond)
		defer cancel()
		start := time.Now()
		if _, err := q.Get(ctx); !errors.Is(err, ErrEmpty) || !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Get timing out: %v", err)
		}
		if time.Since(start) != time.Millisecond {
			t.Fatalf("Get timed out after %v", time.Since(start))
		}
		if !q.Empty() || q.Len() != 0 {
			t.Fatal("Simple not empty at the end")
		}
	})
}

func TestSimpleZeroValue(t *testing.T) {
	var q Simple[string]
	q.Put("a")
	if v, _ := q.TryGet(); v != "a" {
		t.Fatalf("got %q", v)
	}
}

// simpleRun is CPython's run_threads: n feeders each put items from a
// shared input list, then a sentinel; n consumers stop at a sentinel.
func simpleRun(t *testing.T, n int, inputs []int, consume func(q *Simple[int]) int) []int {
	q := NewSimple[int]()
	const sentinel = -1
	var mu sync.Mutex
	seq := slices.Clone(inputs)
	var results []int
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { // feed
			rnd := rand.New(rand.NewPCG(42, uint64(i)))
			for {
				mu.Lock()
				if len(seq) == 0 {
					mu.Unlock()
					q.Put(sentinel)
					return
				}
				v := seq[0]
				seq = seq[1:]
				mu.Unlock()
				q.Put(v)
				if rnd.IntN(2) == 0 {
					runtime.Gosched()
				}
			}
		})
		wg.Go(func() { // consume
			for {
				v := consume(q)
				if v == sentinel {
					return
				}
				mu.Lock()
				results = append(results, v)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if !q.Empty() || q.Len() != 0 {
		t.Fatal("queue not empty after the run")
	}
	return results
}

func consumeBlocking(q *Simple[int]) int {
	v, _ := q.Get(context.Background())
	return v
}

func consumeNonblock(q *Simple[int]) int {
	for {
		if v, err := q.TryGet(); err == nil {
			return v
		}
		runtime.Gosched()
	}
}

func consumeTimeout(q *Simple[int]) int {
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Microsecond)
		v, err := q.Get(ctx)
		cancel()
		if err == nil {
			return v
		}
	}
}

func TestSimpleOrder(t *testing.T) {
	inputs := make([]int, 100)
	for i := range inputs {
		inputs[i] = i
	}
	// One producer and one consumer: results in input order.
	if got := simpleRun(t, 1, inputs, consumeBlocking); !slices.Equal(got, inputs) {
		t.Fatalf("1p1c order %v", got)
	}
}

func TestSimpleManyGoroutines(t *testing.T) {
	for _, c := range []struct {
		name    string
		n       int
		consume func(*Simple[int]) int
	}{
		{"blocking", 10000, consumeBlocking},
		{"nonblock", 10000, consumeNonblock},
		{"timeout", 1000, consumeTimeout},
	} {
		t.Run(c.name, func(t *testing.T) {
			inputs := make([]int, c.n)
			for i := range inputs {
				inputs[i] = i
			}
			got := simpleRun(t, 50, inputs, c.consume)
			slices.Sort(got)
			if !slices.Equal(got, inputs) {
				t.Fatalf("items lost or duplicated: got %d items", len(got))
			}
		})
	}
}
