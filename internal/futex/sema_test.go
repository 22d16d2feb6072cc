package futex

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unsafe"
)

func TestSemaBounds(t *testing.T) {
	var s Sema
	s.Init(2)
	if !s.TryAcquire() || !s.TryAcquire() || s.TryAcquire() {
		t.Fatal("TryAcquire with count 2")
	}
	if !s.Release(2, 2) || s.Release(1, 2) || s.Value() != 2 {
		t.Fatal("a bounded Release past its limit must fail and change nothing")
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Millisecond)
	defer cancel()
	s.Init(0)
	if err := s.Acquire(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatal(err)
	}
}

// TestSemaStress checks that no unit is lost or granted twice while
// waiters time out: at the end the count is what was released and not
// taken.
func TestSemaStress(t *testing.T) {
	a, b := twoMappings(t)
	sa := (*Sema)(a.At(0, unsafe.Sizeof(Sema{})))
	sb := (*Sema)(b.At(0, unsafe.Sizeof(Sema{})))
	const n = 4000
	var taken atomic.Int64
	var wg sync.WaitGroup
	for g := range 6 {
		s := sa
		if g%2 == 1 {
			s = sb
		}
		wg.Go(func() {
			for {
				ctx, cancel := context.WithTimeout(context.Background(), time.Duration(g)*time.Millisecond)
				err := s.Acquire(ctx)
				cancel()
				if err == nil {
					if taken.Add(1) > n {
						t.Error("more units taken than released")
					}
				} else if taken.Load() >= n {
					return
				}
			}
		})
	}
	for i := range n {
		s := sa
		if i%2 == 0 {
			s = sb
		}
		s.Release(1, 0)
	}
	wg.Wait()
	if taken.Load() != n || sa.Value() != 0 {
		t.Fatalf("taken %d, left %d", taken.Load(), sa.Value())
	}
}

// TestCondProducersConsumers runs a bounded queue of ints guarded by a Mutex with
// two Conds: every item put is got exactly once.
func TestCondProducersConsumers(t *testing.T) {
	type queue struct {
		mu                Mutex
		notEmpty, notFull Cond
		n, head, tail     uint64
		items             [4]uint64
	}
	a, b := twoMappings(t)
	qa := (*queue)(a.At(0, unsafe.Sizeof(queue{})))
	qb := (*queue)(b.At(0, unsafe.Sizeof(queue{})))
	ctx := context.Background()
	wait := func(q *queue, c *Cond) {
		c.Enqueue()
		q.mu.Unlock()
		err := c.Wait(ctx)
		q.mu.Lock(ctx)
		if err != nil && !c.Cancel() {
			t.Error(err)
		}
	}
	const producers, perProducer = 3, 500
	var sum atomic.Uint64
	var wg sync.WaitGroup
	for p := range producers {
		q := []*queue{qa, qb}[p%2]
		wg.Go(func() {
			for i := range perProducer {
				q.mu.Lock(ctx)
				for q.n == uint64(len(q.items)) {
					wait(q, &q.notFull)
				}
				q.items[q.tail%uint64(len(q.items))] = uint64(i + 1)
				q.tail++
				q.n++
				q.notEmpty.Signal(1)
				q.mu.Unlock()
			}
		})
	}
	for c := range producers {
		q := []*queue{qb, qa}[c%2]
		wg.Go(func() {
			for range perProducer {
				q.mu.Lock(ctx)
				for q.n == 0 {
					wait(q, &q.notEmpty)
				}
				sum.Add(q.items[q.head%uint64(len(q.items))])
				q.head++
				q.n--
				q.notFull.Signal(1)
				q.mu.Unlock()
			}
		})
	}
	wg.Wait()
	if want := uint64(producers * perProducer * (perProducer + 1) / 2); sum.Load() != want {
		t.Fatalf("sum %d, want %d", sum.Load(), want)
	}
}

func TestCondSignalCountsAndCancel(t *testing.T) {
	var c Cond
	if c.Signal(1) != 0 {
		t.Fatal("a signal with no waiter is not kept")
	}
	c.Enqueue()
	c.Enqueue()
	if c.Waiters() != 2 || c.Signal(5) != 2 || c.Waiters() != 0 {
		t.Fatal("Signal must wake at most the enqueued waiters")
	}
	// Both tokens are there; the first waiter takes one, the second gives
	// up but finds the other left for it.
	if err := c.Wait(context.Background()); err != nil {
		t.Fatal(err)
	}
	if !c.Cancel() {
		t.Fatal("Cancel must report the token left for the waiter")
	}
	c.Enqueue()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := c.Wait(ctx); !errors.Is(err, context.Canceled) || c.Cancel() || c.Waiters() != 0 {
		t.Fatalf("a cancelled wait: %v, waiters %d", err, c.Waiters())
	}
}
