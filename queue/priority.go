package queue

import (
	"cmp"

	"github.com/concurgo/concur"
)

// NewPriority returns a queue that hands out its smallest item first,
// holding at most maxsize items: Python's queue.PriorityQueue(maxsize) for
// ordered values. Items are compared with cmp.Less, which orders NaN before
// every other float. A maxsize of zero or less means no limit.
//
// Items that compare equal are equal values, so the order among them
// cannot be told (but for +0 and -0, and NaNs with different bits, which
// come out in no particular order). For items with a priority and a
// payload, use NewPriorityFunc, which is stable.
func NewPriority[T cmp.Ordered](maxsize int) *Queue[T] {
	return newQueue[T](maxsize, &heap[T]{less: cmp.Less[T], keep: max(maxsize, 0)})
}

// NewPriorityFunc returns a queue that hands out first the item that is
// least by less, holding at most maxsize items: Python's
// queue.PriorityQueue(maxsize) for any T. less must be a strict weak order
// (as for sort.Slice). Items that compare equal come out in the order they
// were put, so Python's (priority, item) pattern becomes a struct ordered
// by its priority field alone:
//
//	q := queue.NewPriorityFunc(0, func(a, b Task) bool { return a.Priority < b.Priority })
//
// Python's PriorityQueue gives no such promise: its heap breaks ties by
// comparing the items themselves, which is why Python code queues
// (priority, item) tuples and fails with TypeError when two items with
// the same priority cannot be compared.
//
// less runs inside Put and Get, with the queue locked. If it panics, the
// call fails with a *concur.PanicError and changes nothing: the item a Put
// brought is not queued, the item a Get would have taken stays (CPython's
// FailingQueue test). NewPriorityFunc panics if less is nil.
func NewPriorityFunc[T any](maxsize int, less func(a, b T) bool) *Queue[T] {
	if less == nil {
		panic("queue: NewPriorityFunc with nil less function")
	}
	return newQueue[T](maxsize, newStable(less, max(maxsize, 0)))
}

// heap is the priority container: a binary min-heap in a slice.
//
// Every operation first finds where the moved item will rest, calling
// less and writing nothing, and only then moves items. A panic in less
// therefore leaves the heap as it was; it is recovered in that first phase
// and returned as an error.
type heap[T any] struct {
	items []T
	less  func(a, b T) bool
	keep  int // as ring.keep: the capacity a bounded queue keeps
}

func parent(i int) int { return (i - 1) / 2 }

func (h *heap[T]) len() int { return len(h.items) }

func (h *heap[T]) push(v T) error {
	i, err := h.rise(v)
	if err != nil {
		return err
	}
	// Move the ancestors between the new slot and i down one level each.
	j := len(h.items)
	h.items = append(h.items, v)
	for j != i {
		p := parent(j)
		h.items[j] = h.items[p]
		j = p
	}
	h.items[i] = v
	return nil
}

// rise returns the index where v comes to rest when pushed: the new slot
// at the end, or the highest of its ancestors that v is less than.
func (h *heap[T]) rise(v T) (i int, err error) {
	defer catch(&err)
	i = len(h.items)
	for i > 0 && h.less(v, h.items[parent(i)]) {
		i = parent(i)
	}
	return i, nil
}

func (h *heap[T]) pop() (T, error) {
	n := len(h.items) - 1
	i, err := h.sink(n)
	if err != nil {
		var zero T
		return zero, err
	}
	v := h.items[0]
	// The last item fills the hole at i, and each item on the path from i
	// up to the root moves up one level into the hole its parent left.
	moved := h.items[n]
	for j := i; ; j = parent(j) {
		moved, h.items[j] = h.items[j], moved
		if j == 0 {
			break
		}
	}
	var zero T
	h.items[n] = zero // release the reference
	h.items = h.items[:n]
	if c := cap(h.items); c > minRing && c/2 >= h.keep && n <= c/4 {
		h.items = append(make([]T, 0, c/2), h.items...)
	}
	return v, nil
}

// sink returns the index where the last item, items[n], comes to rest
// when the root is removed. As in CPython's heapq, the hole left at the
// root first runs down to a leaf along the lesser children, one
// comparison per level, and the last item then climbs back from there;
// having been a leaf, it rarely climbs far, which saves comparing it at
// every level on the way down.
func (h *heap[T]) sink(n int) (i int, err error) {
	defer catch(&err)
	for {
		c := 2*i + 1
		if c >= n {
			break
		}
		if r := c + 1; r < n && h.less(h.items[r], h.items[c]) {
			c = r
		}
		i = c
	}
	// The hole can move up from i while the last item is less than the
	// item that was at i (it now sits in i's parent).
	for i > 0 && h.less(h.items[n], h.items[i]) {
		i = parent(i)
	}
	return i, nil
}

func (h *heap[T]) clear() { h.items = nil }

// catch, deferred, turns a panic in the user's less into the
// *concur.PanicError that the Put or Get which called it returns.
func catch(err *error) {
	if r := recover(); r != nil {
		*err = concur.NewPanicError(r)
	}
}

// stable is the container of NewPriorityFunc: a heap of items stamped with
// the sequence number of their push, ties under less being broken by it.
// NewPriority does without: its equal items are equal values, and the
// stamp would double the size of an int heap's entries and cost about half
// its speed.
type stable[T any] struct {
	heap heap[stamped[T]]
	seq  uint64
}

type stamped[T any] struct {
	v   T
	seq uint64
}

func newStable[T any](less func(a, b T) bool, keep int) *stable[T] {
	// One call of less decides the order, because less is a strict weak
	// order: the earlier item goes first unless the later one is less, the
	// later one only if it is less.
	before := func(a, b stamped[T]) bool {
		if a.seq < b.seq {
			return !less(b.v, a.v)
		}
		return less(a.v, b.v)
	}
	return &stable[T]{heap: heap[stamped[T]]{less: before, keep: keep}}
}

func (s *stable[T]) len() int { return s.heap.len() }
func (s *stable[T]) clear()   { s.heap.clear() }

func (s *stable[T]) push(v T) error {
	err := s.heap.push(stamped[T]{v: v, seq: s.seq})
	if err == nil {
		s.seq++
	}
	return err
}

func (s *stable[T]) pop() (T, error) {
	e, err := s.heap.pop()
	return e.v, err
}
