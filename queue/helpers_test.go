package queue

import (
	"context"
	"testing"
	"testing/synctest"
)

// kind is one of the three orders of Queue, as CPython's test_queue runs
// BaseQueueTestMixin once per class.
type kind struct {
	name string
	new  func(maxsize int) *Queue[int]
	// order is the order in which 111, 333, 222, put in that order, come out.
	order []int
}

var kinds = []kind{
	{"FIFO", New[int], []int{111, 333, 222}},
	{"LIFO", NewLIFO[int], []int{222, 333, 111}},
	{"Priority", NewPriority[int], []int{111, 222, 333}},
}

// forEachKind runs f as a subtest per kind, inside a synctest bubble so
// that every timeout is exact and nothing sleeps.
func forEachKind(t *testing.T, f func(t *testing.T, k kind)) {
	for _, k := range kinds {
		t.Run(k.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) { f(t, k) })
		})
	}
}

// mustBlock runs fn in a new goroutine of the bubble, waits until every
// goroutine of the bubble is durably blocked and fails the test if fn has
// returned by then. The returned function waits for fn to return: call it
// after doing what should unblock fn. This is CPython's do_blocking_test
// with the sleep replaced by synctest.Wait, so "did it block?" has an
// exact answer.
func mustBlock(t *testing.T, fn func()) (wait func()) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		defer close(done)
		fn()
	}()
	synctest.Wait()
	select {
	case <-done:
		t.Fatal("call did not block")
	default:
	}
	return func() { <-done }
}

// put and get fail the test on error. They use Errorf, not Fatalf, so
// that goroutines other than the test's may call them.
func put[T any](t *testing.T, q *Queue[T], v T) {
	t.Helper()
	if err := q.Put(context.Background(), v); err != nil {
		t.Errorf("Put(%v): %v", v, err)
	}
}

func get[T any](t *testing.T, q *Queue[T]) T {
	t.Helper()
	v, err := q.Get(context.Background())
	if err != nil {
		t.Errorf("Get: %v", err)
	}
	return v
}

func taskDone[T any](t *testing.T, q *Queue[T]) {
	t.Helper()
	if err := q.TaskDone(); err != nil {
		t.Errorf("TaskDone: %v", err)
	}
}
