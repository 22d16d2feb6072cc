package thread

import (
	"context"
	"sync"
)

// waiter is one goroutine parked in a slow path. A grant is a send on the
// buffered ready channel, made under the owner's mutex, so it never blocks
// and a waiter that gives up can tell, under the same mutex, whether a grant
// raced in. Waiters are not pooled: a channel made inside a testing/synctest
// bubble must not be reused outside it.
type waiter struct {
	ready      chan struct{}
	prev, next *waiter
}

func (w *waiter) grant() { w.ready <- struct{}{} }

// waitQueue is a FIFO of waiters guarded by its owner's mutex. FIFO order is
// what keeps a steady stream of new arrivals from starving an early waiter.
type waitQueue struct {
	head, tail *waiter
	len        int
}

func (q *waitQueue) push() *waiter {
	w := &waiter{ready: make(chan struct{}, 1), prev: q.tail}
	if q.tail == nil {
		q.head = w
	} else {
		q.tail.next = w
	}
	q.tail = w
	q.len++
	return w
}

// pop removes and returns the oldest waiter, or nil.
func (q *waitQueue) pop() *waiter {
	w := q.head
	if w != nil {
		q.remove(w)
	}
	return w
}

func (q *waitQueue) remove(w *waiter) {
	if w.prev == nil {
		q.head = w.next
	} else {
		w.prev.next = w.next
	}
	if w.next == nil {
		q.tail = w.prev
	} else {
		w.next.prev = w.prev
	}
	w.prev, w.next = nil, nil
	q.len--
}

// block parks until w is granted or ctx is done, and returns nil once w is
// granted. If ctx ends first, block takes mu and, unless a grant raced in
// (then the grant wins, so nothing granted is ever lost), withdraws w from q,
// calls withdrawn (if not nil) still under mu, and returns ctx.Err().
func block(ctx context.Context, mu *sync.Mutex, q *waitQueue, w *waiter, withdrawn func()) error {
	select {
	case <-w.ready:
		return nil
	case <-ctx.Done():
	}
	mu.Lock()
	defer mu.Unlock()
	select {
	case <-w.ready:
		return nil
	default:
	}
	q.remove(w)
	if withdrawn != nil {
		withdrawn()
	}
	return ctx.Err()
}
