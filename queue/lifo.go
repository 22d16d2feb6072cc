package queue

// NewLIFO returns a last-in, first-out queue (a stack) holding at most
// maxsize items, Python's queue.LifoQueue(maxsize). A maxsize of zero or
// less means no limit. Everything but the order is as for New.
func NewLIFO[T any](maxsize int) *Queue[T] {
	return newQueue[T](maxsize, &stack[T]{ring[T]{keep: max(maxsize, 0)}})
}

// stack is the LIFO container: a ring whose pop takes the newest item.
type stack[T any] struct{ ring[T] }

func (s *stack[T]) pop() (T, error) { return s.popBack() }
