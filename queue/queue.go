package queue

import (
	"context"
	"iter"
	"sync"
)

// Queue is a multi-producer, multi-consumer queue of T: Python's
// queue.Queue, LifoQueue and PriorityQueue in one type, whose order is
// chosen by the constructor — New (first in, first out), NewLIFO (last in,
// first out) or NewPriority/NewPriorityFunc (smallest first). As in
// Python, where the last two are subclasses of the first, every kind has
// the same methods, so code that takes a *Queue[T] works with all three.
//
// The zero value is an empty, unbounded FIFO queue ready to use, like
// Python's Queue(). A Queue must not be copied after first use.
//
// Every item put counts as an unfinished task until TaskDone is called for
// it; Join waits until none is left. Shutdown ends the queue's life.
type Queue[T any] struct {
	mu         sync.Mutex
	items      container[T] // nil until first use: an unbounded FIFO ring
	maxsize    int          // <= 0: unbounded
	unfinished int          // items put and not yet marked done
	shutdown   bool
	getters    waitList[T]   // goroutines in Get; non-empty only while items is empty
	putters    waitList[T]   // goroutines in Put, each holding its item; non-empty only while full
	idle       chan struct{} // closed when unfinished drops to zero; made by the first Join that waits
}

// New returns a first-in, first-out queue holding at most maxsize items,
// Python's queue.Queue(maxsize). A maxsize of zero or less means no limit.
func New[T any](maxsize int) *Queue[T] {
	return newQueue(maxsize, &ring[T]{keep: max(maxsize, 0)})
}

func newQueue[T any](maxsize int, c container[T]) *Queue[T] {
	return &Queue[T]{maxsize: maxsize, items: c}
}

// container returns q.items, creating the zero value's FIFO ring on first
// use. The lock must be held.
func (q *Queue[T]) container() container[T] {
	if q.items == nil {
		q.items = &ring[T]{}
	}
	return q.items
}

// full reports whether a put must wait. The lock must be held.
func (q *Queue[T]) full(c container[T]) bool { return q.maxsize > 0 && c.len() >= q.maxsize }

// Put adds v to the queue, waiting while the queue is full. It is
// Python's put(v) with ctx's deadline as the timeout: if ctx ends first,
// Put returns an error that matches both ErrFull (what Python raises) and
// ctx.Err() (context.DeadlineExceeded for a timeout). ctx bounds only the
// wait: when a slot is free, Put succeeds even if ctx has already ended,
// as Python's put(timeout=0) does.
//
// Put returns ErrShutDown if the queue is shut down, including while Put
// waits. Waiting putters are served in arrival order.
func (q *Queue[T]) Put(ctx context.Context, v T) error {
	w, err := q.put(v, true)
	if w == nil {
		return err
	}
	return q.wait(ctx, &q.putters, w, ErrFull)
}

// TryPut adds v to the queue if a slot is free at once and returns ErrFull
// otherwise: Python's put_nowait(v), or put(v, block=False). It returns
// ErrShutDown if the queue is shut down.
func (q *Queue[T]) TryPut(v T) error {
	_, err := q.put(v, false)
	return err
}

// put does what can be done at once. When the queue is full and block is
// set, it links a waiter holding v into q.putters and returns it; the
// caller waits on it once the lock is released.
func (q *Queue[T]) put(v T, block bool) (*waiter[T], error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.shutdown {
		return nil, ErrShutDown
	}
	if g := q.getters.pop(); g != nil {
		// A getter waits only while the queue is empty, so v is the next
		// item whatever the order: hand it over.
		q.unfinished++
		g.v = v
		g.wake(nil)
		return nil, nil
	}
	c := q.container()
	if !q.full(c) {
		if err := c.push(v); err != nil {
			return nil, err
		}
		q.unfinished++
		return nil, nil
	}
	if !block {
		return nil, ErrFull
	}
	w := newWaiter(v)
	q.putters.push(w)
	return w, nil
}

// Get removes and returns the next item, waiting while the queue is
// empty. It is Python's get() with ctx's deadline as the timeout: if ctx
// ends first, Get returns an error that matches both ErrEmpty (what
// Python raises) and ctx.Err(). ctx bounds only the wait: when an item is
// there, Get returns it even if ctx has already ended.
//
// After Shutdown(false) Get goes on returning the items left and then
// ErrShutDown; after Shutdown(true) it returns ErrShutDown at once. Waiting
// getters are served in arrival order.
func (q *Queue[T]) Get(ctx context.Context) (T, error) {
	v, w, err := q.get(true)
	if w == nil {
		return v, err
	}
	err = q.wait(ctx, &q.getters, w, ErrEmpty)
	return w.v, err
}

// TryGet removes and returns the next item if there is one and returns
// ErrEmpty otherwise: Python's get_nowait(), or get(block=False). Once the
// queue is shut down and drained it returns ErrShutDown.
func (q *Queue[T]) TryGet() (T, error) {
	v, _, err := q.get(false)
	return v, err
}

// get does what can be done at once. When the queue is empty and block is
// set, it links a waiter into q.getters and returns it; the caller waits
// on it once the lock is released.
func (q *Queue[T]) get(block bool) (v T, w *waiter[T], err error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	c := q.container()
	if c.len() > 0 {
		if v, err = c.pop(); err == nil {
			q.admit(c)
		}
		return v, nil, err
	}
	if q.shutdown {
		return v, nil, ErrShutDown
	}
	if !block {
		return v, nil, ErrEmpty
	}
	w = newWaiter(v)
	q.getters.push(w)
	return v, w, nil
}

// admit moves the items of waiting putters, longest-waiting first, into
// the slots a get has freed; putters wait only while the queue is full, so
// this keeps the queue full or the putters' list empty. A putter whose
// item cannot be pushed (its less panicked) gets the error and the slot
// goes to the next. The lock must be held.
func (q *Queue[T]) admit(c container[T]) {
	for !q.full(c) {
		p := q.putters.pop()
		if p == nil {
			return
		}
		err := c.push(p.v)
		if err == nil {
			q.unfinished++
		}
		var zero T
		p.v = zero
		p.wake(err)
	}
}

// TaskDone marks one item that a consumer got as processed: Python's
// task_done(). Join returns when every item put has been marked so. It
// returns ErrTooManyTaskDone, and changes nothing, if called more times
// than items were put (Python raises ValueError). Items discarded by
// Shutdown(true) count as done already.
func (q *Queue[T]) TaskDone() error {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.unfinished == 0 {
		return ErrTooManyTaskDone
	}
	q.unfinished--
	q.releaseJoiners()
	return nil
}

// releaseJoiners wakes every Join if no task is unfinished. The lock must
// be held.
func (q *Queue[T]) releaseJoiners() {
	if q.unfinished == 0 && q.idle != nil {
		close(q.idle)
		q.idle = nil
	}
}

// Join waits until every item put into the queue has been marked done
// with TaskDone, then returns nil: Python's join(). If ctx ends first it
// returns ctx.Err(). Python's join has no timeout; the context adds one.
// Join may be called any number of times, from any number of goroutines.
func (q *Queue[T]) Join(ctx context.Context) error {
	q.mu.Lock()
	if q.unfinished == 0 {
		q.mu.Unlock()
		return nil
	}
	if q.idle == nil {
		q.idle = make(chan struct{})
	}
	idle := q.idle
	q.mu.Unlock()
	select {
	case <-idle:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Shutdown shuts the queue down, Python 3.13's shutdown(immediate). From
// then on Put and TryPut return ErrShutDown, and so do Get and TryGet once
// the queue is empty. Every goroutine waiting in Put or Get wakes and
// returns ErrShutDown.
//
// With immediate set, the items still queued are discarded and each
// counts as done, which releases Join unless consumers still hold items
// they have not marked done; Get then fails at once. Shutdown may be
// called more than once; a later immediate call discards what an earlier
// graceful one left to drain.
func (q *Queue[T]) Shutdown(immediate bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.shutdown = true
	if immediate {
		c := q.container()
		// Python takes one task per discarded item but never below zero:
		// TaskDone may have been called for an item still queued.
		q.unfinished = max(q.unfinished-c.len(), 0)
		c.clear()
		q.releaseJoiners()
	}
	q.getters.wakeAll(ErrShutDown)
	q.putters.wakeAll(ErrShutDown)
}

// IsShutdown reports whether Shutdown has been called: Python's
// is_shutdown attribute.
func (q *Queue[T]) IsShutdown() bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.shutdown
}

// Len returns the number of items in the queue: Python's qsize(). Like
// Python's, the answer is advisory: other goroutines may change it before
// the caller acts on it, so Len > 0 does not promise that Get will not
// wait. Items held by putters still waiting for room are not counted.
func (q *Queue[T]) Len() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.container().len()
}

// Empty reports whether the queue holds no items: Python's empty(). It is
// advisory, like Len; to wait for all work to finish use Join, and to
// consume until the queue is closed use All or TryGet.
func (q *Queue[T]) Empty() bool { return q.Len() == 0 }

// Full reports whether the queue holds maxsize items, so that Put would
// wait: Python's full(). It is advisory, like Len. An unbounded queue is
// never full.
func (q *Queue[T]) Full() bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.full(q.container())
}

// Maxsize returns the bound given to the constructor (0 or less:
// unbounded): Python's maxsize attribute. Unlike Python's, it cannot be
// changed after construction.
func (q *Queue[T]) Maxsize() int { return q.maxsize }

// Unfinished returns the number of items put and not yet marked done:
// Python's unfinished_tasks attribute. It is advisory, like Len.
func (q *Queue[T]) Unfinished() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.unfinished
}

// All returns an iterator for a consumer loop: it yields item after item
// from Get(ctx) and stops when the queue is shut down and drained (at once
// after Shutdown(true)) or when ctx ends; a caller that must tell the two
// apart checks ctx.Err() after the loop.
//
// All calls TaskDone for each item when the loop body for it finishes —
// by continuing, by break, or by a panic — so a consumer written as
//
//	for job := range q.All(ctx) {
//		handle(job)
//	}
//
// keeps Join exact without calling TaskDone itself, and must not call it
// for these items. A consumer that hands items on to other goroutines
// should use Get and call TaskDone when the work is really done.
//
// Python has no such method; its consumers loop over get() until it
// raises ShutDown, which is what All does.
func (q *Queue[T]) All(ctx context.Context) iter.Seq[T] {
	return func(yield func(T) bool) {
		for {
			v, err := q.Get(ctx)
			if err != nil || !q.yieldDone(yield, v) {
				return
			}
		}
	}
}

func (q *Queue[T]) yieldDone(yield func(T) bool, v T) bool {
	// The item was put and got, so unfinished is positive and TaskDone
	// cannot fail unless the loop body wrongly called it too.
	defer q.TaskDone()
	return yield(v)
}
