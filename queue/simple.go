package queue

import "context"

// Simple is an unbounded first-in, first-out queue without task tracking
// or shutdown: Python's queue.SimpleQueue. Put never waits and never
// fails. The zero value is an empty queue ready to use; a Simple must not
// be copied after first use.
//
// It runs on the same engine as Queue, whose task count it never exposes.
type Simple[T any] struct{ q Queue[T] }

// NewSimple returns an empty Simple queue, like Python's SimpleQueue().
// It is the same as new(Simple[T]).
func NewSimple[T any]() *Simple[T] { return new(Simple[T]) }

// Put adds v to the queue: Python's put(v), and put_nowait(v), which
// never block either.
func (s *Simple[T]) Put(v T) {
	_ = s.q.TryPut(v) // cannot fail: the queue is unbounded and never shut down
}

// Get removes and returns the oldest item, waiting while the queue is
// empty: Python's get(), with ctx's deadline as the timeout. If ctx ends
// first, Get returns an error matching both ErrEmpty and ctx.Err(). When an
// item is there, Get returns it even if ctx has already ended.
func (s *Simple[T]) Get(ctx context.Context) (T, error) { return s.q.Get(ctx) }

// TryGet removes and returns the oldest item if there is one and returns
// ErrEmpty otherwise: Python's get_nowait(), or get(block=False).
func (s *Simple[T]) TryGet() (T, error) { return s.q.TryGet() }

// Len returns the number of items in the queue: Python's qsize(). It is
// advisory, as there.
func (s *Simple[T]) Len() int { return s.q.Len() }

// Empty reports whether the queue holds no items: Python's empty(). It is
// advisory, as there.
func (s *Simple[T]) Empty() bool { return s.q.Empty() }
