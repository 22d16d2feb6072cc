package queue

import (
	"context"
	"errors"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"
	"weak"
)

// Ports of CPython's Lib/test/test_queue.py BaseQueueTestMixin, run for
// the FIFO, LIFO and priority orders.

const queueSize = 5

// basicQueueTest is CPython's basic_queue_test.
func basicQueueTest(t *testing.T, q *Queue[int], order []int) {
	t.Helper()
	if q.Len() != 0 {
		t.Fatal("call basicQueueTest with an empty queue")
	}
	if !q.Empty() || q.Full() {
		t.Fatalf("empty queue: Empty() = %v, Full() = %v", q.Empty(), q.Full())
	}
	for _, v := range []int{111, 333, 222} {
		put(t, q, v)
	}
	got := []int{get(t, q), get(t, q), get(t, q)}
	if !slices.Equal(got, order) {
		t.Fatalf("order %v, want %v", got, order)
	}
	for i := range queueSize - 1 {
		put(t, q, i)
		if q.Len() == 0 {
			t.Fatal("queue should not be empty")
		}
	}
	if q.Full() {
		t.Fatal("queue should not be full")
	}
	last, full := 2*queueSize, 3*2*queueSize
	put(t, q, last)
	if !q.Full() || q.Empty() || q.Len() != queueSize {
		t.Fatalf("queue should be full: Full() = %v, Empty() = %v, Len() = %d", q.Full(), q.Empty(), q.Len())
	}
	if err := q.TryPut(full); !errors.Is(err, ErrFull) {
		t.Fatalf("TryPut on a full queue: %v, want ErrFull", err)
	}
	assertTimeout(t, 10*time.Millisecond, ErrFull, func(ctx context.Context) error { return q.Put(ctx, full) })

	// A blocking put, with and without a deadline, returns once a get
	// frees a slot.
	wait := mustBlock(t, func() { put(t, q, full) })
	get(t, q)
	wait()
	wait = mustBlock(t, func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := q.Put(ctx, full); err != nil {
			t.Errorf("Put with a deadline: %v", err)
		}
	})
	get(t, q)
	wait()

	for range queueSize {
		get(t, q)
	}
	if q.Len() != 0 {
		t.Fatal("queue should be empty")
	}
	if _, err := q.TryGet(); !errors.Is(err, ErrEmpty) {
		t.Fatalf("TryGet on an empty queue: %v, want ErrEmpty", err)
	}
	assertTimeout(t, 10*time.Millisecond, ErrEmpty, func(ctx context.Context) error { _, err := q.Get(ctx); return err })

	// A blocking get, with and without a deadline, returns once a put
	// brings an item.
	var v int
	wait = mustBlock(t, func() { v = get(t, q) })
	put(t, q, 42)
	wait()
	if v != 42 {
		t.Fatalf("blocked Get returned %d, want 42", v)
	}
	wait = mustBlock(t, func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		v, _ = q.Get(ctx)
	})
	put(t, q, 43)
	wait()
	if v != 43 {
		t.Fatalf("blocked Get with a deadline returned %d, want 43", v)
	}
	// The items above were never marked done; leave the queue as found.
	for q.Unfinished() > 0 {
		taskDone(t, q)
	}
}

// assertTimeout checks that op, given a context with timeout d, fails
// after exactly d (synctest time) with an error that is both kind and
// context.DeadlineExceeded, as Python's timeout raises Empty or Full.
func assertTimeout(t *testing.T, d time.Duration, kind error, op func(ctx context.Context) error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	start := time.Now()
	err := op(ctx)
	if !errors.Is(err, kind) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("timed-out call returned %v, want %v and %v", err, kind, context.DeadlineExceeded)
	}
	if elapsed := time.Since(start); elapsed != d {
		t.Fatalf("timed out after %v, want exactly %v", elapsed, d)
	}
}

func TestBasic(t *testing.T) {
	forEachKind(t, func(t *testing.T, k kind) {
		// Twice, to make sure the same instance works when reused.
		q := k.new(queueSize)
		basicQueueTest(t, q, k.order)
		basicQueueTest(t, q, k.order)
	})
}

// queueJoinTest is CPython's queue_join_test.
func queueJoinTest(t *testing.T, q *Queue[int]) {
	var cum atomic.Int64
	var wg sync.WaitGroup
	for range 2 {
		wg.Go(func() {
			for {
				x := get(t, q)
				if x >= 0 {
					cum.Add(int64(x))
				}
				taskDone(t, q)
				if x < 0 {
					return
				}
			}
		})
	}
	for i := range 100 {
		put(t, q, i)
	}
	if err := q.Join(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := cum.Load(); got != 4950 {
		t.Fatalf("Join returned with sum %d, want 4950: it did not wait for every task", got)
	}
	put(t, q, -1) // tell the workers to stop
	put(t, q, -1)
	if err := q.Join(context.Background()); err != nil { // joining twice works
		t.Fatal(err)
	}
	wg.Wait()
}

func TestTaskDoneTooMany(t *testing.T) {
	forEachKind(t, func(t *testing.T, k kind) {
		q := k.new(0)
		if err := q.TaskDone(); !errors.Is(err, ErrTooManyTaskDone) {
			t.Fatalf("TaskDone on a fresh queue: %v, want ErrTooManyTaskDone", err)
		}
		put(t, q, 1)
		taskDone(t, q)
		if err := q.TaskDone(); !errors.Is(err, ErrTooManyTaskDone) {
			t.Fatalf("second TaskDone for one item: %v, want ErrTooManyTaskDone", err)
		}
		if q.Unfinished() != 0 {
			t.Fatalf("a failed TaskDone changed the count: Unfinished() = %d", q.Unfinished())
		}
	})
}

func TestJoin(t *testing.T) {
	forEachKind(t, func(t *testing.T, k kind) {
		q := k.new(0)
		queueJoinTest(t, q)
		queueJoinTest(t, q)
		if err := q.TaskDone(); !errors.Is(err, ErrTooManyTaskDone) {
			t.Fatalf("TaskDone after all tasks were done: %v, want ErrTooManyTaskDone", err)
		}
	})
}

func TestJoinEmptyReturnsAtOnce(t *testing.T) {
	forEachKind(t, func(t *testing.T, k kind) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if err := k.new(0).Join(ctx); err != nil {
			t.Fatalf("Join with nothing unfinished: %v", err)
		}
	})
}

func TestJoinTimeout(t *testing.T) {
	forEachKind(t, func(t *testing.T, k kind) {
		q := k.new(0)
		put(t, q, 1)
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		start := time.Now()
		if err := q.Join(ctx); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Join past its deadline: %v, want DeadlineExceeded", err)
		}
		if time.Since(start) != time.Second {
			t.Fatalf("Join timed out after %v, want 1s", time.Since(start))
		}
		// A Join that gave up leaves nothing behind: a later one still works.
		wait := mustBlock(t, func() {
			if err := q.Join(context.Background()); err != nil {
				t.Error(err)
			}
		})
		get(t, q)
		taskDone(t, q)
		wait()
	})
}

func TestNowait(t *testing.T) {
	forEachKind(t, func(t *testing.T, k kind) {
		q := k.new(queueSize)
		for range queueSize {
			if err := q.TryPut(1); err != nil {
				t.Fatal(err)
			}
		}
		if err := q.TryPut(1); !errors.Is(err, ErrFull) {
			t.Fatalf("TryPut on a full queue: %v", err)
		}
		for range queueSize {
			if _, err := q.TryGet(); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := q.TryGet(); !errors.Is(err, ErrEmpty) {
			t.Fatalf("TryGet on an empty queue: %v", err)
		}
	})
}

// TestContextAlreadyDone is the Go side of CPython's
// test_negative_timeout_raises_exception. A negative timeout cannot be
// expressed with a context; a context that has already ended behaves like
// Python's timeout=0: the call succeeds if it need not wait, and fails at
// once, with the context's error, if it must.
func TestContextAlreadyDone(t *testing.T) {
	forEachKind(t, func(t *testing.T, k kind) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		q := k.new(1)
		if err := q.Put(ctx, 1); err != nil {
			t.Fatalf("Put with room and a done context: %v", err)
		}
		if err := q.Put(ctx, 2); !errors.Is(err, ErrFull) || !errors.Is(err, context.Canceled) {
			t.Fatalf("Put on a full queue with a done context: %v", err)
		}
		if v, err := q.Get(ctx); v != 1 || err != nil {
			t.Fatalf("Get with an item and a done context: %v, %v", v, err)
		}
		if _, err := q.Get(ctx); !errors.Is(err, ErrEmpty) || !errors.Is(err, context.Canceled) {
			t.Fatalf("Get on an empty queue with a done context: %v", err)
		}
		if q.Len() != 0 || q.Unfinished() != 1 {
			t.Fatalf("Len() = %d, Unfinished() = %d, want 0 and 1", q.Len(), q.Unfinished())
		}
	})
}

func TestErrorText(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), time.Millisecond)
		defer cancel()
		_, err := new(Queue[int]).Get(ctx)
		if got, want := err.Error(), "queue: empty: context deadline exceeded"; got != want {
			t.Fatalf("error text %q, want %q", got, want)
		}
	})
}

func TestZeroValue(t *testing.T) {
	var q Queue[string]
	if q.Maxsize() != 0 || !q.Empty() || q.Full() || q.IsShutdown() {
		t.Fatal("zero Queue is not an empty, unbounded, live queue")
	}
	for i := range 1000 {
		if err := q.TryPut(string(rune('a' + i%26))); err != nil {
			t.Fatal(err)
		}
	}
	if q.Full() || q.Len() != 1000 {
		t.Fatalf("unbounded queue: Full() = %v, Len() = %d", q.Full(), q.Len())
	}
	if v, _ := q.TryGet(); v != "a" {
		t.Fatalf("zero Queue is not FIFO: first item %q", v)
	}
}

func TestMaxsize(t *testing.T) {
	for _, m := range []int{-3, 0, 1, 7} {
		q := New[int](m)
		if q.Maxsize() != m {
			t.Errorf("New(%d).Maxsize() = %d", m, q.Maxsize())
		}
		n := 100
		if m > 0 {
			n = m
		}
		for i := range n {
			if err := q.TryPut(i); err != nil {
				t.Fatalf("maxsize %d: TryPut #%d: %v", m, i, err)
			}
		}
		if err := q.TryPut(0); (m > 0) != errors.Is(err, ErrFull) {
			t.Errorf("maxsize %d: TryPut past %d items: %v", m, n, err)
		}
	}
}

// TestReferences is CPython's test_references: the queue lets go of each
// item as soon as it leaves, whatever the order and however it left.
func TestReferences(t *testing.T) {
	type item struct {
		p   *int
		pad [56]byte // out of the tiny allocator, so each item is its own object
	}
	orders := map[string]*Queue[*item]{
		"FIFO":     New[*item](0),
		"LIFO":     NewLIFO[*item](0),
		"Priority": NewPriorityFunc(0, func(a, b *item) bool { return *a.p < *b.p }),
	}
	for name, q := range orders {
		t.Run(name, func(t *testing.T) {
			const n = 20
			for i := range n {
				put(t, q, &item{p: &i})
			}
			for range n {
				w := weak.Make(get(t, q))
				runtime.GC()
				if w.Value() != nil {
					t.Fatal("an item was still referenced after it left the queue")
				}
			}
			// And the items Shutdown(true) discards.
			ws := make([]weak.Pointer[item], n)
			for i := range ws {
				it := &item{p: new(int)}
				ws[i] = weak.Make(it)
				put(t, q, it)
			}
			q.Shutdown(true)
			runtime.GC()
			for _, w := range ws {
				if w.Value() != nil {
					t.Fatal("an item discarded by Shutdown(true) was still referenced")
				}
			}
		})
	}
}

func TestNewPriorityFuncNilLessPanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("NewPriorityFunc(0, nil) did not panic")
		}
	}()
	NewPriorityFunc[int](0, nil)
}

// TestPriorityFuncStable: items of equal priority come out in the order
// they were put, so the seeds' (priority, item) pattern needs no counter.
func TestPriorityFuncStable(t *testing.T) {
	type task struct {
		prio int
		name string
	}
	q := NewPriorityFunc(0, func(a, b task) bool { return a.prio < b.prio })
	for _, tk := range []task{{1, "a"}, {0, "x"}, {1, "b"}, {2, "z"}, {1, "c"}, {0, "y"}} {
		if err := q.TryPut(tk); err != nil {
			t.Fatal(err)
		}
	}
	var got string
	for !q.Empty() {
		tk, _ := q.TryGet()
		got += tk.name
	}
	if got != "xyabcz" {
		t.Fatalf("order %q, want %q", got, "xyabcz")
	}
}
