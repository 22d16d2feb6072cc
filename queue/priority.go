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
// Items that compare equal come out in the order they were put. Python's
// PriorityQueue gives no such promise: its heap breaks ties by comparing
// the items themselves, which is why Python code queues (priority, item)
// tuples and fails with TypeError when two items are not comparable.
func NewPriority[T cmp.Ordered](maxsize int) *Queue[T] {
	return NewPriorityFunc(maxsize, cmp.Less[T])
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
// less runs inside Put and Get, with the queue locked. If it panics, the
// call fails with a *concur.PanicError and changes nothing: the item a Put
// brought is not queued, the item a Get would have taken stays (CPython's
// FailingQueue test). NewPriorityFunc panics if less is nil.
func NewPriorityFunc[T any](maxsize int, less func(a, b T) bool) *Queue[T] {
	if less == nil {
		panic("queue: NewPriorityFunc with nil less function")
	}
	return newQueue[T](maxsize, &heap[T]{less: less, keep: max(maxsize, 0)})
}

// heap is the priority container: a binary min-heap in a slice. Each item
// carries the sequence number of its push, and ties under less are broken
// by it, which makes the order stable.
//
// Every operation first finds where the moved entry will rest, calling
// less and writing nothing, and only then moves entries. A panic in less
// therefore leaves the heap as it was; it is recovered in that first phase
// and returned as an error.
type heap[T any] struct {
	items []entry[T]
	less  func(a, b T) bool
	seq   uint64
	keep  int // as ring.keep: the capacity a bounded queue keeps
}

type entry[T any] struct {
	v   T
	seq uint64
}

// before is the heap order: less, then first pushed.
func (h *heap[T]) before(a, b *entry[T]) bool {
	if h.less(a.v, b.v) {
		return true
	}
	if h.less(b.v, a.v) {
		return false
	}
	return a.seq < b.seq
}

func (h *heap[T]) len() int { return len(h.items) }

func (h *heap[T]) push(v T) error {
	e := entry[T]{v: v, seq: h.seq}
	i, err := h.rise(&e)
	if err != nil {
		return err
	}
	h.seq++
	// Move the ancestors between the new slot and i down one level each.
	j := len(h.items)
	h.items = append(h.items, e)
	for j != i {
		p := (j - 1) / 2
		h.items[j] = h.items[p]
		j = p
	}
	h.items[i] = e
	return nil
}

// rise returns the index where e comes to rest when pushed: the new slot
// at the end or the highest of its ancestors that e goes before.
func (h *heap[T]) rise(e *entry[T]) (i int, err error) {
	defer catch(&err)
	i = len(h.items)
	for i > 0 {
		p := (i - 1) / 2
		if !h.before(e, &h.items[p]) {
			break
		}
		i = p
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
	v := h.items[0].v
	// The last entry fills the hole at i, and each entry on the path from
	// i up to the root moves up one level into the hole its parent left.
	moved := h.items[n]
	for j := i; ; j = (j - 1) / 2 {
		moved, h.items[j] = h.items[j], moved
		if j == 0 {
			break
		}
	}
	h.items[n] = entry[T]{} // release the reference
	h.items = h.items[:n]
	if c := cap(h.items); c > minRing && c/2 >= h.keep && n <= c/4 {
		h.items = append(make([]entry[T], 0, c/2), h.items...)
	}
	return v, nil
}

// sink returns the index where the last entry, items[n], comes to rest
// when the root is removed: the hole left at the root moves down towards
// the smaller child for as long as that child goes before the last entry.
func (h *heap[T]) sink(n int) (i int, err error) {
	defer catch(&err)
	last := &h.items[n]
	for {
		c := 2*i + 1
		if c >= n {
			return i, nil
		}
		if r := c + 1; r < n && h.before(&h.items[r], &h.items[c]) {
			c = r
		}
		if !h.before(&h.items[c], last) {
			return i, nil
		}
		i = c
	}
}

func (h *heap[T]) clear() { h.items = nil }

// catch, deferred, turns a panic in the user's less into the
// *concur.PanicError that the Put or Get which called it returns.
func catch(err *error) {
	if r := recover(); r != nil {
		*err = concur.NewPanicError(r)
	}
}
