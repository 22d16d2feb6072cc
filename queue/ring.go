package queue

// container is the storage discipline of a Queue: a ring for FIFO, the
// same ring popped from the back for LIFO, a heap for Priority. The engine
// in queue.go calls it only with the queue's lock held, so implementations
// need no synchronisation of their own. This is the Go form of the
// _init/_qsize/_put/_get hooks that Python's LifoQueue and PriorityQueue
// override.
type container[T any] interface {
	// push adds v. It fails, changing nothing, only if user code it calls
	// (a priority queue's less) panics.
	push(v T) error
	// pop removes and returns the next item; the caller ensures len() > 0.
	// It fails as push does.
	pop() (T, error)
	len() int
	// clear drops every item, releasing the references it held.
	clear()
}

// minRing is the smallest buffer a ring allocates and the size below which
// it never shrinks.
const minRing = 16

// ring is a growable circular buffer and the FIFO container. Popped slots
// are zeroed so that a queue never keeps an item alive once it has left
// the queue (CPython's test_references).
type ring[T any] struct {
	buf  []T // nil or a power-of-two length, so indices wrap with a mask
	head int // index of the oldest item
	n    int // number of items
	// keep is the queue's maxsize (0 when unbounded). A bounded queue's
	// buffer never exceeds the next power of two above it, so there is no
	// point giving memory back below that; an unbounded queue shrinks after
	// a burst, with hysteresis (grow when full, halve at a quarter) keeping
	// the cost amortised O(1) per item.
	keep int
}

func (r *ring[T]) len() int { return r.n }

func (r *ring[T]) push(v T) error {
	if r.n == len(r.buf) {
		r.resize(max(2*len(r.buf), minRing))
	}
	r.buf[(r.head+r.n)&(len(r.buf)-1)] = v
	r.n++
	return nil
}

// pop removes the oldest item.
func (r *ring[T]) pop() (T, error) {
	var zero T
	v := r.buf[r.head]
	r.buf[r.head] = zero
	r.head = (r.head + 1) & (len(r.buf) - 1)
	r.n--
	r.shrink()
	return v, nil
}

// popBack removes the newest item.
func (r *ring[T]) popBack() (T, error) {
	var zero T
	r.n--
	i := (r.head + r.n) & (len(r.buf) - 1)
	v := r.buf[i]
	r.buf[i] = zero
	r.shrink()
	return v, nil
}

func (r *ring[T]) clear() { *r = ring[T]{keep: r.keep} }

func (r *ring[T]) shrink() {
	if c := len(r.buf); c > minRing && c/2 >= r.keep && r.n <= c/4 {
		r.resize(c / 2)
	}
}

// resize moves the items, oldest first, into a new buffer of size c.
func (r *ring[T]) resize(c int) {
	buf := make([]T, c)
	k := copy(buf, r.buf[r.head:min(r.head+r.n, len(r.buf))])
	copy(buf[k:], r.buf[:r.n-k])
	r.buf, r.head = buf, 0
}
