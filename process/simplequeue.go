package process

import "context"

// SimpleQueue is an unbounded first-in, first-out queue of T shared
// between processes, with only put, get and empty: Python's
// multiprocessing.SimpleQueue. Create it with NewSimpleQueue and pass it
// to children as an argument.
//
// Python's SimpleQueue exists because its Queue runs a feeder thread;
// concur's Queue has none, so the two share one engine and SimpleQueue
// is Queue with fewer methods. Like Python's, whose put blocks once the
// pipe under it is full, Put waits while the shared buffer has no room.
type SimpleQueue[T any] struct {
	q Queue[T]
}

// NewSimpleQueue creates a SimpleQueue: Python's
// multiprocessing.SimpleQueue(). It fails as NewQueue does.
func NewSimpleQueue[T any](opts ...QueueOption) (*SimpleQueue[T], error) {
	q, err := newQueue[T](kindSimpleQueue, 0, opts)
	if err != nil {
		return nil, err
	}
	return &SimpleQueue[T]{q}, nil
}

// Put adds v to the queue, waiting while the buffer has no room for it:
// Python's put(v). It fails as Queue.Put does.
func (s *SimpleQueue[T]) Put(ctx context.Context, v T) error { return s.q.Put(ctx, v) }

// Get removes and returns the oldest item, waiting while the queue is
// empty: Python's get(). ctx adds the timeout Python's lacks; when it
// ends first, Get fails as Queue.Get does.
func (s *SimpleQueue[T]) Get(ctx context.Context) (T, error) { return s.q.Get(ctx) }

// Empty reports whether the queue holds no items: Python's empty(). It is
// advisory: other processes may put or get before the caller acts on it.
func (s *SimpleQueue[T]) Empty() bool { return s.q.Empty() }

// Close closes this process's handle on the queue: Python's close(). See
// Queue.Close.
func (s *SimpleQueue[T]) Close() error { return s.q.Close() }

// GobEncode lets a SimpleQueue travel to a child as an argument, or in a
// Conn message.
func (s *SimpleQueue[T]) GobEncode() ([]byte, error) { return s.q.encodeHandle() }

// GobDecode opens a SimpleQueue received from another process. It fails
// with a *SharedTypeError if the queue holds items of another type or is
// not a SimpleQueue.
func (s *SimpleQueue[T]) GobDecode(data []byte) error {
	return s.q.decodeHandle(data, kindSimpleQueue)
}
