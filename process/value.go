package process

import (
	"math"
	"reflect"
	"sync/atomic"
	"unsafe"

	"github.com/concurgo/concur/internal/shm"
)

// Scalar is the element type of a Value or an Array: a fixed-size number
// or a bool, the Go spelling of Python's ctypes typecodes ('i' is int32,
// 'l' and 'q' are int64, 'd' is float64, 'f' float32, 'b' int8, 'B'
// uint8, 'h' int16, 'H' uint16, 'I' uint32, 'L' and 'Q' uint64, '?'
// bool). Named types with these underlying types are accepted too.
type Scalar interface {
	~bool | ~int8 | ~int16 | ~int32 | ~int64 | ~int | ~uint8 | ~uint16 | ~uint32 | ~uint64 | ~uint | ~uintptr | ~float32 | ~float64
}

// RawValue is a single T in memory shared with child processes, with no
// lock: Python's multiprocessing.sharedctypes.RawValue. Unlike Python's,
// every operation on it is atomic on its own — Load, Store, Swap, Add and
// CompareAndSwap never tear or lose an update — so a lock is needed only
// to make several operations one step. Create it with NewRawValue and pass
// it to children as an argument; every copy is the same memory.
type RawValue[T Scalar] struct {
	seg  *shm.Segment
	p    *T
	kind reflect.Kind
}

// Value is a RawValue with a Lock beside it: Python's
// multiprocessing.Value(typecode, value, lock=True). Load, Store and the
// other atomic operations do not take the lock (they need none); hold
// GetLock to make a read-modify-write of several steps atomic, as Python's
// `with v.get_lock(): v.value += 1` does, or use Add, which is one step.
// Pick one discipline per value: a Load and Store under the lock can
// overwrite an Add made meanwhile by a writer that does not take it.
//
// Python's default lock is an RLock; this one is a Lock, because a
// critical section over one number never needs to re-enter it, and a Lock
// is faster and may be released by any goroutine.
type Value[T Scalar] struct {
	RawValue[T]
	lock *Lock
}

// The segment of a Value or RawValue: the header, the Lock (unused by a
// RawValue), then the value, all in one cache line so that a locked
// update moves one line between processors.
const valueOffset = lockOffset + 8

func valueShape[T Scalar]() sharedShape {
	return sharedShape{kind: kindValue, elem: reflect.TypeFor[T]().Kind()}
}

// NewRawValue creates a RawValue holding initial.
func NewRawValue[T Scalar](initial T) (*RawValue[T], error) {
	seg, err := newSharedSegment(valueShape[T](), valueOffset+8)
	if err != nil {
		return nil, err
	}
	v := rawValueIn[T](seg)
	v.Store(initial)
	return v, nil
}

// NewValue creates a Value holding initial, with its lock.
func NewValue[T Scalar](initial T) (*Value[T], error) {
	raw, err := NewRawValue(initial)
	if err != nil {
		return nil, err
	}
	return &Value[T]{RawValue: *raw, lock: lockIn(raw.seg, true)}, nil
}

func rawValueIn[T Scalar](seg *shm.Segment) *RawValue[T] {
	var zero T
	return &RawValue[T]{
		seg:  seg,
		p:    (*T)(seg.At(valueOffset, unsafe.Sizeof(zero))),
		kind: reflect.TypeFor[T]().Kind(),
	}
}

// GetLock returns the Value's lock: Python's get_lock(). It is part of the
// Value and travels with it to children.
func (v *Value[T]) GetLock() *Lock { return v.lock }

// Load returns the value: reading Python's .value.
func (v *RawValue[T]) Load() T { return loadScalar(v.ptr()) }

// Store sets the value: assigning Python's .value.
func (v *RawValue[T]) Store(x T) { storeScalar(v.ptr(), x) }

// Swap sets the value and returns the old one.
func (v *RawValue[T]) Swap(x T) T { return swapScalar(v.ptr(), x) }

// CompareAndSwap sets the value to new if it is old, and reports whether
// it did. Floats are compared by bit pattern, so a NaN matches itself and
// 0.0 does not match -0.0.
func (v *RawValue[T]) CompareAndSwap(old, new T) bool { return casScalar(v.ptr(), old, new) }

// Add adds delta to the value and returns the new value, in one atomic
// step (`v.value += delta` with the lock held, in Python). Integers wrap
// around on overflow. Add panics for a bool value.
func (v *RawValue[T]) Add(delta T) T { return addScalar(v.ptr(), delta, v.kind) }

// Close unmaps the value in this process; copies in other processes are
// not affected. Using a closed value panics (or, for methods that return
// an error, returns one matching os.ErrClosed). A value dropped without
// Close is unmapped by the garbage collector, as in Python.
func (v *RawValue[T]) Close() error {
	if v.p == nil {
		return closedError(kindValue)
	}
	v.p = nil
	return v.seg.Close()
}

// Close unmaps the value and its lock in this process.
func (v *Value[T]) Close() error {
	if v.lock != nil {
		v.lock.m = nil
	}
	return v.RawValue.Close()
}

func (v *RawValue[T]) ptr() *T {
	if v.p == nil {
		panicClosed(kindValue)
	}
	return v.p
}

// GobEncode lets the value travel to a child as an argument: its segment's
// file goes with the message and the child maps the same memory.
func (v *RawValue[T]) GobEncode() ([]byte, error) {
	return encodeSharedSegment(v.seg, valueShape[T]())
}

// GobDecode maps a value received from another process. A value of
// another element type is refused with a *SharedTypeError.
func (v *RawValue[T]) GobDecode(data []byte) error {
	seg, _, err := decodeSharedSegment(data, valueShape[T]())
	if err != nil {
		return err
	}
	*v = *rawValueIn[T](seg)
	return nil
}

// GobDecode maps a Value and its lock received from another process.
func (v *Value[T]) GobDecode(data []byte) error {
	if err := v.RawValue.GobDecode(data); err != nil {
		return err
	}
	v.lock = lockIn(v.seg, true)
	return nil
}

// The atomic operations below work on any Scalar through its bit pattern:
// 8- and 4-byte values with sync/atomic directly, 1- and 2-byte values
// with a compare-and-swap of the aligned 32-bit word that contains them
// (sync/atomic has no narrower operations). Element offsets are aligned
// to the element size, so a value never straddles two words.

func bitsOf[T Scalar](x T) uint64 {
	switch unsafe.Sizeof(x) {
	case 1:
		return uint64(*(*uint8)(unsafe.Pointer(&x)))
	case 2:
		return uint64(*(*uint16)(unsafe.Pointer(&x)))
	case 4:
		return uint64(*(*uint32)(unsafe.Pointer(&x)))
	default:
		return *(*uint64)(unsafe.Pointer(&x))
	}
}

func fromBits[T Scalar](b uint64) (x T) {
	switch unsafe.Sizeof(x) {
	case 1:
		*(*uint8)(unsafe.Pointer(&x)) = uint8(b)
	case 2:
		*(*uint16)(unsafe.Pointer(&x)) = uint16(b)
	case 4:
		*(*uint32)(unsafe.Pointer(&x)) = uint32(b)
	default:
		*(*uint64)(unsafe.Pointer(&x)) = b
	}
	return x
}

// subword returns the aligned 32-bit word holding the size-byte value at
// p, the value's bit shift inside it, and its mask.
func subword(p unsafe.Pointer, size uintptr) (w *uint32, shift uint, mask uint32) {
	off := uintptr(p) & 3
	w = (*uint32)(unsafe.Pointer(uintptr(p) &^ 3))
	if bigEndian {
		off = 4 - off - size
	}
	return w, uint(off * 8), uint32(1)<<(size*8) - 1
}

var bigEndian = func() bool {
	x := uint16(1)
	return *(*byte)(unsafe.Pointer(&x)) == 0
}()

func loadBits(p unsafe.Pointer, size uintptr) uint64 {
	switch size {
	case 8:
		return atomic.LoadUint64((*uint64)(p))
	case 4:
		return uint64(atomic.LoadUint32((*uint32)(p)))
	}
	w, shift, mask := subword(p, size)
	return uint64(atomic.LoadUint32(w) >> shift & mask)
}

func casBits(p unsafe.Pointer, size uintptr, old, new uint64) bool {
	switch size {
	case 8:
		return atomic.CompareAndSwapUint64((*uint64)(p), old, new)
	case 4:
		return atomic.CompareAndSwapUint32((*uint32)(p), uint32(old), uint32(new))
	}
	w, shift, mask := subword(p, size)
	for {
		cur := atomic.LoadUint32(w)
		if cur>>shift&mask != uint32(old) {
			return false
		}
		if atomic.CompareAndSwapUint32(w, cur, cur&^(mask<<shift)|uint32(new)<<shift) {
			return true
		}
	}
}

func swapBits(p unsafe.Pointer, size uintptr, new uint64) uint64 {
	switch size {
	case 8:
		return atomic.SwapUint64((*uint64)(p), new)
	case 4:
		return uint64(atomic.SwapUint32((*uint32)(p), uint32(new)))
	}
	for {
		old := loadBits(p, size)
		if casBits(p, size, old, new) {
			return old
		}
	}
}

// Each operation is also a race-detector synchronization point (see
// sharedrace.go), as sync/atomic operations are.

func loadScalar[T Scalar](p *T) T {
	x := fromBits[T](loadBits(unsafe.Pointer(p), unsafe.Sizeof(*p)))
	sharedRaceAcquire()
	return x
}

func storeScalar[T Scalar](p *T, x T) {
	sharedRaceRelease()
	swapBits(unsafe.Pointer(p), unsafe.Sizeof(x), bitsOf(x))
}

func swapScalar[T Scalar](p *T, x T) T {
	sharedRaceRelease()
	old := fromBits[T](swapBits(unsafe.Pointer(p), unsafe.Sizeof(x), bitsOf(x)))
	sharedRaceAcquire()
	return old
}

func casScalar[T Scalar](p *T, old, new T) bool {
	sharedRaceRelease()
	ok := casBits(unsafe.Pointer(p), unsafe.Sizeof(old), bitsOf(old), bitsOf(new))
	sharedRaceAcquire()
	return ok
}

// addScalar adds in one atomic step, also a race-detector release and
// acquire.
func addScalar[T Scalar](p *T, delta T, kind reflect.Kind) T {
	sharedRaceRelease()
	x := addBits(p, delta, kind)
	sharedRaceAcquire()
	return x
}

func addBits[T Scalar](p *T, delta T, kind reflect.Kind) T {
	size := unsafe.Sizeof(delta)
	switch {
	case kind == reflect.Bool:
		panic("process: Add on a bool Value or Array")
	case kind == reflect.Float32 || kind == reflect.Float64:
	case size == 8:
		return fromBits[T](atomic.AddUint64((*uint64)(unsafe.Pointer(p)), bitsOf(delta)))
	case size == 4:
		return fromBits[T](uint64(atomic.AddUint32((*uint32)(unsafe.Pointer(p)), uint32(bitsOf(delta)))))
	}
	d := bitsOf(delta)
	for {
		old := loadBits(unsafe.Pointer(p), size)
		var sum uint64
		switch kind {
		case reflect.Float32:
			sum = uint64(math.Float32bits(math.Float32frombits(uint32(old)) + math.Float32frombits(uint32(d))))
		case reflect.Float64:
			sum = math.Float64bits(math.Float64frombits(old) + math.Float64frombits(d))
		default: // a 1- or 2-byte integer: two's complement wraps the same signed or not
			sum = (old + d) & (1<<(size*8) - 1)
		}
		if casBits(unsafe.Pointer(p), size, old, sum) {
			return fromBits[T](sum)
		}
	}
}
