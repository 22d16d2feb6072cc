package queue

import "context"

// A waiter is a goroutine blocked in Get (queue empty) or Put (queue full).
//
// Waits end by hand-off rather than by a wake-up and a retry: the Put that
// finds a getter waiting gives it the item directly, and the Get that frees
// a slot moves a waiting putter's item into the queue. The goroutine that
// ends a wait does so with the queue's lock held: it unlinks the waiter,
// sets v or err, and sends the one token ready has room for, so the send
// never blocks. A woken waiter therefore has nothing left to do but
// return, no wake-up is ever lost or stolen, and waiters are served in
// arrival order (CPython's Condition wakes a waiter that must then race
// for the lock, which lets a newcomer overtake it).
type waiter[T any] struct {
	ready      chan struct{} // capacity 1: the single token that ends the wait
	v          T             // the item handed to a getter, or held by a putter
	err        error         // ErrShutDown when Shutdown ended the wait
	prev, next *waiter[T]
	linked     bool // still in its list, so still waiting
}

func newWaiter[T any](v T) *waiter[T] {
	return &waiter[T]{ready: make(chan struct{}, 1), v: v}
}

// waitList is an intrusive FIFO list of waiters, so that a waiter whose
// context ends can unlink itself in O(1).
type waitList[T any] struct{ head, tail *waiter[T] }

func (l *waitList[T]) push(w *waiter[T]) {
	w.prev, w.next, w.linked = l.tail, nil, true
	if l.tail == nil {
		l.head = w
	} else {
		l.tail.next = w
	}
	l.tail = w
}

func (l *waitList[T]) remove(w *waiter[T]) {
	if w.prev == nil {
		l.head = w.next
	} else {
		w.prev.next = w.next
	}
	if w.next == nil {
		l.tail = w.prev
	} else {
		w.next.prev = w.prev
	}
	w.prev, w.next, w.linked = nil, nil, false
}

// pop unlinks and returns the longest-waiting waiter, or nil.
func (l *waitList[T]) pop() *waiter[T] {
	w := l.head
	if w != nil {
		l.remove(w)
	}
	return w
}

// wake ends w's wait; w must already be unlinked and the lock held.
func (w *waiter[T]) wake(err error) {
	w.err = err
	w.ready <- struct{}{}
}

// wakeAll ends every wait in l with err.
func (l *waitList[T]) wakeAll(err error) {
	for w := l.pop(); w != nil; w = l.pop() {
		w.wake(err)
	}
}

// wait blocks until w, which the caller has linked into l before releasing
// q.mu, is woken or ctx ends. kind is the error a timeout reports: ErrEmpty
// for a getter, ErrFull for a putter.
func (q *Queue[T]) wait(ctx context.Context, l *waitList[T], w *waiter[T], kind error) error {
	select {
	case <-w.ready:
		return w.err
	case <-ctx.Done():
	}
	q.mu.Lock()
	if w.linked {
		l.remove(w)
		q.mu.Unlock()
		return timedOut(kind, ctx)
	}
	q.mu.Unlock()
	// The wait was ended under the lock before this goroutine took it: the
	// hand-off already happened and stands, so the token is in ready.
	<-w.ready
	return w.err
}
