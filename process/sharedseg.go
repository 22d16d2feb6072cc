package process

import (
	"encoding/binary"
	"fmt"
	"os"
	"reflect"
	"sync/atomic"

	"github.com/concurgo/concur/internal/shm"
)

// Every shared object of this package (Value, Array, Lock, RLock,
// Semaphore, Event, Condition, Barrier, the queues) lives in its own
// anonymous segment (a memfd) that starts with a 16-byte header naming
// what the segment holds. A child receives the segment's file as an
// argument and checks the header before it maps the object, so a
// Value[int32] that arrives where a Value[float64] or a Lock is expected
// is a clear error, not a misread of memory.
//
//	offset 0  magic   uint32  sharedMagic
//	offset 4  kind    uint16  what the object is (sharedKind)
//	offset 6  elem    uint16  the element's reflect.Kind for Value and Array
//	offset 8  count   uint64  the number of elements for Array
//
// The object's state follows at offset 16 and later; every layout is fixed
// by the code that uses it, and both sides run the same binary.

const (
	sharedMagic      = 0x636e6372 // "cncr"
	sharedHeaderSize = 16
)

type sharedKind uint16

const (
	kindValue sharedKind = iota + 1
	kindArray
	kindLock
	kindRLock
	kindSemaphore
	kindEvent
	kindCondition
	kindBarrier
	kindBoundedSemaphore
	kindQueue
	kindJoinableQueue
	kindSimpleQueue
)

var sharedKindNames = [...]string{"", "Value", "Array", "Lock", "RLock", "Semaphore", "Event", "Condition", "Barrier", "BoundedSemaphore", "Queue", "JoinableQueue", "SimpleQueue"}

func (k sharedKind) String() string {
	if int(k) < len(sharedKindNames) && k != 0 {
		return sharedKindNames[k]
	}
	return fmt.Sprintf("kind %d", uint16(k))
}

// sharedShape is what a segment's header promises.
type sharedShape struct {
	kind  sharedKind
	elem  reflect.Kind // Value and Array only
	count uint64       // Array only
}

func (s sharedShape) String() string {
	switch s.kind {
	case kindValue:
		return fmt.Sprintf("Value[%s]", s.elem)
	case kindArray:
		return fmt.Sprintf("Array[%s] of %d", s.elem, s.count)
	}
	return s.kind.String()
}

// newSharedSegment creates a segment of size bytes (header included) for
// an object of the given shape.
func newSharedSegment(shape sharedShape, size int) (*shm.Segment, error) {
	seg, err := shm.New(size)
	if err != nil {
		return nil, fmt.Errorf("process: new %s: %w", shape, err)
	}
	b := seg.Bytes()
	binary.NativeEndian.PutUint16(b[4:], uint16(shape.kind))
	binary.NativeEndian.PutUint16(b[6:], uint16(shape.elem))
	binary.NativeEndian.PutUint64(b[8:], shape.count)
	// The magic goes last: a reader that sees it sees the rest.
	atomic.StoreUint32(seg.Word(0), sharedMagic)
	return seg, nil
}

// encodeSharedSegment is the GobEncode of every shared object: the file of
// its segment travels beside the message (see handles.go), and the bytes
// hold only its index in the message's file table.
func encodeSharedSegment(seg *shm.Segment, shape sharedShape) ([]byte, error) {
	if seg == nil || seg.Closed() {
		return nil, closedError(shape.kind)
	}
	i, err := exportFile(seg.File())
	if err != nil {
		return nil, err
	}
	return binary.AppendUvarint(nil, uint64(i)), nil
}

// decodeSharedSegment is the GobDecode of every shared object: it claims
// the file named by data and maps it, checking that it holds an object of
// the wanted shape. For an Array, want.count is ignored and the segment's
// count is returned in got.
func decodeSharedSegment(data []byte, want sharedShape) (seg *shm.Segment, got sharedShape, err error) {
	i, n := binary.Uvarint(data)
	if n <= 0 || n != len(data) || i > 1<<20 {
		return nil, got, fmt.Errorf("process: malformed %s handle", want.kind)
	}
	f, err := importFile(int(i))
	if err != nil {
		return nil, got, err
	}
	seg, err = shm.FromFile(f)
	if err != nil {
		return nil, got, fmt.Errorf("process: map received %s: %w", want.kind, err)
	}
	b := seg.Bytes()
	if len(b) < sharedHeaderSize || atomic.LoadUint32(seg.Word(0)) != sharedMagic {
		seg.Close()
		return nil, got, fmt.Errorf("process: received file is not a shared %s", want.kind)
	}
	got = sharedShape{
		kind:  sharedKind(binary.NativeEndian.Uint16(b[4:])),
		elem:  reflect.Kind(binary.NativeEndian.Uint16(b[6:])),
		count: binary.NativeEndian.Uint64(b[8:]),
	}
	if got.kind != want.kind || got.elem != want.elem {
		seg.Close()
		return nil, got, &SharedTypeError{Want: want.String(), Got: got.String()}
	}
	return seg, got, nil
}

// SharedTypeError reports a shared object that arrived in a process as an
// argument of a different type than the receiving parameter: for example
// a *Value[int32] sent where the registered function takes a
// *Value[float64]. Python would reinterpret the memory silently; concur
// refuses it.
type SharedTypeError struct {
	Want string // the receiving type, e.g. "Value[float64]"
	Got  string // what the segment holds, e.g. "Value[int32]"
}

func (e *SharedTypeError) Error() string {
	return fmt.Sprintf("process: received a shared %s where a %s was expected", e.Got, e.Want)
}

// closedError is what a method of a closed shared object returns; it
// matches os.ErrClosed. A zero value, never made by its New function,
// reports the same.
func closedError(k sharedKind) error {
	return fmt.Errorf("process: %s used after Close or not made by New%s: %w", k, k, os.ErrClosed)
}

// panicClosed is for methods with no error result: using a closed shared
// object is a programmer error, like a nil map write.
func panicClosed(k sharedKind) { panic(closedError(k)) }
