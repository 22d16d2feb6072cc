package queue

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/concurgo/concur"
)

// Tests of waiting: what a context that ends does to a waiter, the order
// waiters are served in, and the hand-off racing a cancellation.

// TestCancelledGetterTakesNothing: a getter whose context ended is gone;
// the next item is queued, not handed to it.
func TestCancelledGetterTakesNothing(t *testing.T) {
	forEachKind(t, func(t *testing.T, k kind) {
		q := k.new(1)
		ctx, cancel := context.WithCancel(context.Background())
		wait := mustBlock(t, func() {
			if _, err := q.Get(ctx); !errors.Is(err, ErrEmpty) || !errors.Is(err, context.Canceled) {
				t.Errorf("cancelled Get: %v", err)
			}
		})
		cancel()
		wait()
		put(t, q, 7)
		if q.Len() != 1 || get(t, q) != 7 {
			t.Fatal("the item did not stay in the queue")
		}
	})
}

// TestCancelledPutterLeavesNothing: the item of a putter whose context
// ended never enters the queue and is never counted.
func TestCancelledPutterLeavesNothing(t *testing.T) {
	forEachKind(t, func(t *testing.T, k kind) {
		q := k.new(1)
		put(t, q, 1)
		ctx, cancel := context.WithCancel(context.Background())
		wait := mustBlock(t, func() {
			if err := q.Put(ctx, 2); !errors.Is(err, ErrFull) || !errors.Is(err, context.Canceled) {
				t.Errorf("cancelled Put: %v", err)
			}
		})
		cancel()
		wait()
		if v := get(t, q); v != 1 {
			t.Fatalf("got %d, want 1", v)
		}
		if q.Len() != 0 || q.Unfinished() != 1 {
			t.Fatalf("Len() = %d, Unfinished() = %d: the cancelled item got in", q.Len(), q.Unfinished())
		}
	})
}

// TestHandOffBeatsCancel: when the item is handed over before the
// waiter sees its context end, the hand-off stands: the item is neither
// lost nor duplicated, whichever case of its select the waiter takes.
func TestHandOffBeatsCancel(t *testing.T) {
	forEachKind(t, func(t *testing.T, k kind) {
		for i := range 50 { // the waiter's select picks at random
			q := k.new(1)
			ctx, cancel := context.WithCancel(context.Background())
			var v int
			var err error
			wait := mustBlock(t, func() { v, err = q.Get(ctx) })
			put(t, q, i) // hands the item to the blocked getter...
			cancel()     // ...which has not run yet
			wait()
			if err != nil || v != i || q.Len() != 0 {
				t.Fatalf("Get returned %d, %v and left %d items; want %d, nil, 0", v, err, q.Len(), i)
			}
		}
	})
}

func TestAdmitBeatsCancel(t *testing.T) {
	forEachKind(t, func(t *testing.T, k kind) {
		for i := range 50 {
			q := k.new(1)
			put(t, q, -1)
			ctx, cancel := context.WithCancel(context.Background())
			var err error
			wait := mustBlock(t, func() { err = q.Put(ctx, i) })
			get(t, q) // moves the blocked putter's item in...
			cancel()  // ...before the putter runs
			wait()
			if err != nil || q.Len() != 1 || get(t, q) != i {
				t.Fatalf("Put returned %v; its item must be in the queue", err)
			}
		}
	})
}

// TestWaitersServedInOrder: blocked getters receive items, and blocked
// putters get their items in, in the order they started waiting.
func TestWaitersServedInOrder(t *testing.T) {
	forEachKind(t, func(t *testing.T, k kind) {
		q := k.new(1)
		got := make([]int, 3)
		var wg sync.WaitGroup
		for i := range 3 {
			wg.Go(func() { got[i] = get(t, q) })
			synctest.Wait() // getter i is queued before getter i+1 starts
		}
		for i := range 3 {
			put(t, q, 10*i) // priority order would give the smallest to whoever asks first
		}
		wg.Wait()
		if !slices.Equal(got, []int{0, 10, 20}) {
			t.Fatalf("getters received %v, want [0 10 20]", got)
		}

		put(t, q, 100)
		for i := range 3 {
			wg.Go(func() { put(t, q, 3-i) })
			synctest.Wait()
		}
		var order []int
		for range 4 {
			order = append(order, get(t, q))
		}
		wg.Wait()
		// A one-slot queue: each get admits exactly the next putter, so
		// even a priority queue yields them in arrival order.
		if !slices.Equal(order, []int{100, 3, 2, 1}) {
			t.Fatalf("putters got in as %v, want [100 3 2 1]", order)
		}
	})
}

// TestTimeoutsExact: each waiter times out at its own deadline and no
// earlier, whatever else is waiting.
func TestTimeoutsExact(t *testing.T) {
	forEachKind(t, func(t *testing.T, k kind) {
		q := k.new(1)
		start := time.Now()
		var wg sync.WaitGroup
		for _, d := range []time.Duration{3 * time.Second, time.Second, 2 * time.Second} {
			wg.Go(func() {
				ctx, cancel := context.WithTimeout(context.Background(), d)
				defer cancel()
				if _, err := q.Get(ctx); !errors.Is(err, context.DeadlineExceeded) {
					t.Errorf("Get: %v", err)
				}
				if e := time.Since(start); e != d {
					t.Errorf("Get with timeout %v returned after %v", d, e)
				}
			})
		}
		wg.Wait()
	})
}

// FailingQueue: CPython's FailingQueueTest makes _put and _get raise and
// checks the queue survives. The only user code a concur queue runs under
// its lock is a priority queue's less; these tests make it panic and
// check that the call fails with a *PanicError and changes nothing.

type failingLess struct {
	mu     sync.Mutex
	next   bool // panic on the next comparison
	poison int  // panic on any comparison with this value, if non-zero
}

func (f *failingLess) arm()            { f.mu.Lock(); f.next = true; f.mu.Unlock() }
func (f *failingLess) setPoison(v int) { f.mu.Lock(); f.poison = v; f.mu.Unlock() }

func (f *failingLess) less(a, b int) bool {
	f.mu.Lock()
	fail := f.next || (f.poison != 0 && (a == f.poison || b == f.poison))
	f.next = false
	f.mu.Unlock()
	if fail {
		panic("You Lose")
	}
	return a < b
}

func assertPanicError(t *testing.T, err error) {
	t.Helper()
	var pe *concur.PanicError
	if !errors.As(err, &pe) || pe.Value != "You Lose" {
		t.Fatalf("error %v, want a *concur.PanicError for the panic in less", err)
	}
}

func TestFailingPriorityQueue(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var f failingLess
		q := NewPriorityFunc(queueSize, f.less)
		for range 2 { // twice on the same instance, as CPython does
			failingQueueTest(t, q, &f)
		}
	})
}

func failingQueueTest(t *testing.T, q *Queue[int], f *failingLess) {
	for i := range queueSize - 1 {
		put(t, q, i)
	}
	// A failing TryPut and Put leave the queue as it was.
	f.arm()
	assertPanicError(t, q.TryPut(100))
	f.arm()
	assertPanicError(t, q.Put(context.Background(), 100))
	if q.Len() != queueSize-1 || q.Unfinished() != queueSize-1 {
		t.Fatalf("failed puts changed the queue: Len() = %d, Unfinished() = %d", q.Len(), q.Unfinished())
	}
	put(t, q, 50)
	if !q.Full() {
		t.Fatal("queue should be full")
	}
	// A blocked Put whose item fails to go in when a Get frees the slot:
	// the Get succeeds, the Put reports the panic, the slot stays free.
	wait := mustBlock(t, func() {
		var pe *concur.PanicError
		if err := q.Put(context.Background(), 60); !errors.As(err, &pe) {
			t.Errorf("blocked Put whose less panicked: %v", err)
		}
	})
	f.setPoison(60)
	if v := get(t, q); v != 0 {
		t.Fatalf("Get returned %d, want 0", v)
	}
	wait()
	f.setPoison(0)
	taskDone(t, q)
	if q.Len() != queueSize-1 || q.Full() {
		t.Fatalf("after the failed admission Len() = %d, want %d", q.Len(), queueSize-1)
	}
	put(t, q, 60)
	// A failing Get leaves its item in the queue.
	f.arm()
	_, err := q.TryGet()
	assertPanicError(t, err)
	f.arm()
	_, err = q.Get(context.Background())
	assertPanicError(t, err)
	if q.Len() != queueSize {
		t.Fatalf("failed gets changed the queue: Len() = %d", q.Len())
	}
	var got []int
	for range queueSize {
		got = append(got, get(t, q))
		taskDone(t, q)
	}
	if want := []int{1, 2, 3, 50, 60}; !slices.Equal(got, want) {
		t.Fatalf("drained %v, want %v: the heap was damaged", got, want)
	}
	if q.Unfinished() != 0 {
		t.Fatalf("Unfinished() = %d, want 0", q.Unfinished())
	}
}
