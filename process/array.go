package process

import (
	"fmt"
	"reflect"
	"unsafe"

	"github.com/concurgo/concur/internal/shm"
)

// RawArray is a fixed-length array of T in memory shared with child
// processes, with no lock: Python's
// multiprocessing.sharedctypes.RawArray. Each element operation is atomic
// on its own (see RawValue); Slice gives the elements as a Go slice for
// bulk work under a lock. Create it with NewArray or NewArrayFrom and pass
// it to children as an argument; every copy is the same memory.
type RawArray[T Scalar] struct {
	seg   *shm.Segment
	elems []T
	kind  reflect.Kind
}

// Array is a RawArray with a Lock beside it: Python's
// multiprocessing.Array(typecode, size_or_initializer, lock=True). As with
// Value, the element operations need no lock; hold GetLock for a step
// that reads or writes several elements. Python's default lock is an
// RLock; this one is a Lock (see Value).
type Array[T Scalar] struct {
	RawArray[T]
	lock *Lock
}

// The elements start on their own cache line, after the header and the
// lock.
const arrayOffset = 64

func arrayShape[T Scalar](n int) sharedShape {
	return sharedShape{kind: kindArray, elem: reflect.TypeFor[T]().Kind(), count: uint64(n)}
}

// NewRawArray creates a RawArray of n zero elements: Python's
// RawArray(typecode, n).
func NewRawArray[T Scalar](n int) (*RawArray[T], error) {
	if n < 0 {
		panic(fmt.Sprintf("process: NewRawArray with negative length %d", n))
	}
	var zero T
	seg, err := newSharedSegment(arrayShape[T](n), arrayOffset+n*int(unsafe.Sizeof(zero)))
	if err != nil {
		return nil, err
	}
	return rawArrayIn[T](seg, n), nil
}

// NewRawArrayFrom creates a RawArray holding a copy of values: Python's
// RawArray(typecode, initializer).
func NewRawArrayFrom[T Scalar](values []T) (*RawArray[T], error) {
	a, err := NewRawArray[T](len(values))
	if err != nil {
		return nil, err
	}
	copy(a.elems, values) // nobody else sees the array yet
	return a, nil
}

// NewArray creates an Array of n zero elements with its lock: Python's
// Array(typecode, n).
func NewArray[T Scalar](n int) (*Array[T], error) {
	raw, err := NewRawArray[T](n)
	if err != nil {
		return nil, err
	}
	return &Array[T]{RawArray: *raw, lock: lockIn(raw.seg, true)}, nil
}

// NewArrayFrom creates an Array holding a copy of values, with its lock:
// Python's Array(typecode, initializer).
func NewArrayFrom[T Scalar](values []T) (*Array[T], error) {
	raw, err := NewRawArrayFrom(values)
	if err != nil {
		return nil, err
	}
	return &Array[T]{RawArray: *raw, lock: lockIn(raw.seg, true)}, nil
}

func rawArrayIn[T Scalar](seg *shm.Segment, n int) *RawArray[T] {
	a := &RawArray[T]{seg: seg, kind: reflect.TypeFor[T]().Kind(), elems: []T{}}
	if n > 0 {
		var zero T
		a.elems = unsafe.Slice((*T)(seg.At(arrayOffset, unsafe.Sizeof(zero))), n)
	}
	return a
}

// GetLock returns the Array's lock: Python's get_lock(). It is part of
// the Array and travels with it to children.
func (a *Array[T]) GetLock() *Lock { return a.lock }

// Len returns the number of elements: Python's len(arr).
func (a *RawArray[T]) Len() int { return len(a.items()) }

// Load returns element i: Python's arr[i]. It panics if i is out of range.
func (a *RawArray[T]) Load(i int) T { return loadScalar(&a.items()[i]) }

// Store sets element i: Python's arr[i] = x.
func (a *RawArray[T]) Store(i int, x T) { storeScalar(&a.items()[i], x) }

// Swap sets element i and returns its old value.
func (a *RawArray[T]) Swap(i int, x T) T { return swapScalar(&a.items()[i], x) }

// CompareAndSwap sets element i to new if it is old, and reports whether
// it did. Floats are compared by bit pattern.
func (a *RawArray[T]) CompareAndSwap(i int, old, new T) bool {
	return casScalar(&a.items()[i], old, new)
}

// Add adds delta to element i in one atomic step and returns the new
// value. Integers wrap around. It panics for bool elements.
func (a *RawArray[T]) Add(i int, delta T) T { return addScalar(&a.items()[i], delta, a.kind) }

// Snapshot returns a copy of the elements, each read atomically: Python's
// arr[:]. The copy as a whole is consistent only if no process writes
// meanwhile; hold GetLock for that.
func (a *RawArray[T]) Snapshot() []T {
	items := a.items()
	out := make([]T, len(items))
	for i := range items {
		out[i] = loadScalar(&items[i])
	}
	return out
}

// Slice returns the shared elements themselves, for bulk reads and writes
// (copy, sort, range) with plain Go code. Other processes see every write
// through it, but plain accesses are not atomic: use Slice only while no
// other goroutine or process uses the elements, for instance while
// holding GetLock. The slice is valid until Close.
func (a *RawArray[T]) Slice() []T { return a.items() }

// Close unmaps the array in this process; copies in other processes are
// not affected. Using a closed array panics (sending one returns an error
// matching os.ErrClosed).
func (a *RawArray[T]) Close() error {
	if a.elems == nil {
		return closedError(kindArray)
	}
	a.elems = nil
	return a.seg.Close()
}

// Close unmaps the array and its lock in this process.
func (a *Array[T]) Close() error {
	if a.lock != nil {
		a.lock.m = nil
	}
	return a.RawArray.Close()
}

func (a *RawArray[T]) items() []T {
	if a.elems == nil {
		panicClosed(kindArray)
	}
	return a.elems
}

// GobEncode lets the array travel to a child as an argument.
func (a *RawArray[T]) GobEncode() ([]byte, error) {
	return encodeSharedSegment(a.seg, arrayShape[T](len(a.elems)))
}

// GobDecode maps an array received from another process. An array of
// another element type is refused with a *SharedTypeError.
func (a *RawArray[T]) GobDecode(data []byte) error {
	seg, got, err := decodeSharedSegment(data, arrayShape[T](0))
	if err != nil {
		return err
	}
	var zero T
	if seg.Size() < arrayOffset || got.count > uint64(seg.Size()-arrayOffset)/uint64(unsafe.Sizeof(zero)) {
		seg.Close()
		return fmt.Errorf("process: received %s does not fit its %d-byte segment", got, seg.Size())
	}
	*a = *rawArrayIn[T](seg, int(got.count))
	return nil
}

// GobDecode maps an Array and its lock received from another process.
func (a *Array[T]) GobDecode(data []byte) error {
	if err := a.RawArray.GobDecode(data); err != nil {
		return err
	}
	a.lock = lockIn(a.seg, true)
	return nil
}
