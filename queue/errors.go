package queue

import (
	"context"
	"errors"
	"fmt"
)

// Errors reported by the queues, one for each exception of Python's queue
// module. Check them with errors.Is.
var (
	// ErrEmpty is Python's queue.Empty: TryGet found no item, or the
	// context of Get ended before one arrived.
	ErrEmpty = errors.New("queue: empty")

	// ErrFull is Python's queue.Full: TryPut found no free slot, or the
	// context of Put ended before one opened.
	ErrFull = errors.New("queue: full")

	// ErrShutDown is Python's queue.ShutDown (3.13): the queue has been
	// shut down, so puts fail, and gets fail once nothing is left to drain.
	ErrShutDown = errors.New("queue: shut down")

	// ErrTooManyTaskDone is the ValueError Python's task_done raises: TaskDone
	// was called more times than items were put.
	ErrTooManyTaskDone = errors.New("queue: TaskDone called more times than there were items")
)

// timedOut is the error of a Get or Put whose context ended while it
// waited. It wraps both kind (ErrEmpty or ErrFull, what Python raises when
// a timeout expires) and ctx.Err() (what Go code checks), so that
// errors.Is(err, ErrEmpty) and errors.Is(err, context.DeadlineExceeded)
// both hold and a port of `except queue.Empty` keeps working.
func timedOut(kind error, ctx context.Context) error {
	return fmt.Errorf("%w: %w", kind, ctx.Err())
}
