package process

import (
	"context"
	"errors"
	"iter"

	"github.com/concurgo/concur/queue"
)

// JoinableQueue is a Queue that also counts unfinished tasks: Python's
// multiprocessing.JoinableQueue. Every item put counts as unfinished
// until some process calls TaskDone for it, and Join, in any process,
// waits until none is left — so a producer can wait for its work to be
// finished, not merely taken. Create it with NewJoinableQueue and pass it
// to children as an argument.
//
// If a consumer process dies holding items it did not mark done, they
// stay unfinished and Join waits for them forever, as in Python; give
// Join a deadline where consumers may die.
type JoinableQueue[T any] struct {
	Queue[T]
}

// NewJoinableQueue creates a JoinableQueue holding at most maxsize items
// (no limit if maxsize <= 0): Python's
// multiprocessing.JoinableQueue(maxsize). It fails as NewQueue does.
func NewJoinableQueue[T any](maxsize int, opts ...QueueOption) (*JoinableQueue[T], error) {
	q, err := newQueue[T](kindJoinableQueue, maxsize, opts)
	if err != nil {
		return nil, err
	}
	return &JoinableQueue[T]{q}, nil
}

// TaskDone marks one item that a consumer got as processed: Python's
// task_done(). It returns queue.ErrTooManyTaskDone, changing nothing, if
// it is called more times than items were put (Python raises ValueError).
func (q *JoinableQueue[T]) TaskDone() error {
	if err := q.enter(); err != nil {
		return err
	}
	defer q.r.exit()
	return q.r.taskDone()
}

// Join waits until every item put has been marked done with TaskDone,
// from whichever process: Python's join(). If ctx ends first it returns
// ctx.Err(); Python's join has no timeout.
func (q *JoinableQueue[T]) Join(ctx context.Context) error {
	if err := q.enter(); err != nil {
		return err
	}
	defer q.r.exit()
	return q.r.join(ctx)
}

// Unfinished returns the number of items put and not yet marked done:
// Python's private _unfinished_tasks. It is advisory, like Len.
func (q *JoinableQueue[T]) Unfinished() int {
	if err := q.enter(); err != nil {
		panic(err)
	}
	defer q.r.exit()
	q.r.lock(context.Background())
	defer q.r.unlock()
	return int(q.r.state().unfinished)
}

// All is Queue.All that also calls TaskDone for each item when the loop
// body for it finishes — by continuing, by break, or by a panic — so a
// consumer written as
//
//	for job, err := range q.All(ctx) {
//		if err != nil {
//			return err
//		}
//		handle(job)
//	}
//
// keeps Join exact without calling TaskDone itself, and must not call it
// for these items.
func (q *JoinableQueue[T]) All(ctx context.Context) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		for {
			v, err := q.Get(ctx)
			if errors.Is(err, queue.ErrShutDown) {
				return
			}
			if err != nil {
				yield(v, err)
				return
			}
			if !q.yieldDone(yield, v) {
				return
			}
		}
	}
}

func (q *JoinableQueue[T]) yieldDone(yield func(T, error) bool, v T) bool {
	// The item was put and got, so unfinished is positive and TaskDone
	// cannot fail unless the loop body wrongly called it too.
	defer q.TaskDone()
	return yield(v, nil)
}

// GobEncode lets a JoinableQueue travel to a child as an argument, or in
// a Conn message.
func (q *JoinableQueue[T]) GobEncode() ([]byte, error) { return q.encodeHandle() }

// GobDecode opens a JoinableQueue received from another process. It
// fails with a *SharedTypeError if the queue holds items of another type
// or is not a JoinableQueue.
func (q *JoinableQueue[T]) GobDecode(data []byte) error {
	return q.decodeHandle(data, kindJoinableQueue)
}
