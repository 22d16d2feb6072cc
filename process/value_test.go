package process

import (
	"context"
	"errors"
	"math"
	"os"
	"sync"
	"testing"
)

func TestValueAtomicOperations(t *testing.T) {
	v, err := NewValue[int32](5)
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	w := sharedRoundTrip(t, v) // a second mapping: another process's view
	defer w.Close()
	if w.Load() != 5 {
		t.Fatalf("copy sees %d", w.Load())
	}
	w.Store(123)
	if v.Load() != 123 {
		t.Fatalf("Store through the copy: %d", v.Load())
	}
	if v.Add(-200) != -77 || w.Swap(9) != -77 || !v.CompareAndSwap(9, 10) || w.CompareAndSwap(9, 11) || w.Load() != 10 {
		t.Fatal("Add/Swap/CompareAndSwap")
	}
}

// testScalar checks every operation of one element type through two
// mappings, including the sub-word types whose neighbours must not be
// disturbed.
func testScalar[T Scalar](t *testing.T, a, b T) {
	t.Helper()
	arr, err := NewArrayFrom([]T{a, b, a, b, a})
	if err != nil {
		t.Fatal(err)
	}
	defer arr.Close()
	cp := sharedRoundTrip(t, arr)
	defer cp.Close()
	cp.Store(1, a)
	cp.Store(2, b)
	if got := arr.Snapshot(); got[0] != a || got[1] != a || got[2] != b || got[3] != b || got[4] != a {
		t.Fatalf("%T: after stores %v", a, got)
	}
	if arr.Swap(3, a) != b || !arr.CompareAndSwap(3, a, b) || arr.CompareAndSwap(3, a, b) || cp.Load(3) != b {
		t.Fatalf("%T: Swap/CompareAndSwap", a)
	}
	if any(a) != any(true) && any(a) != any(false) {
		before := cp.Load(2)
		arr.Add(2, a)
		if arr.Load(2) == before && a != fromBits[T](0) {
			t.Fatalf("%T: Add did not change the value", a)
		}
		if cp.Load(1) != a || cp.Load(3) != b {
			t.Fatalf("%T: Add disturbed a neighbour", a)
		}
	}
}

func TestScalarTypes(t *testing.T) {
	testScalar(t, true, false)
	testScalar[int8](t, -3, 100)
	testScalar[uint8](t, 7, 255)
	testScalar[int16](t, -300, 30000)
	testScalar[uint16](t, 1, 65535)
	testScalar[int32](t, -1, 1<<30)
	testScalar[uint32](t, 2, 1<<31)
	testScalar[int64](t, -5, 1<<60)
	testScalar[uint64](t, 3, 1<<63)
	testScalar[int](t, 4, -8)
	testScalar[uintptr](t, 4, 8)
	testScalar[float32](t, 1.5, -2.25)
	testScalar[float64](t, math.Pi, -math.E)
	type celsius float64
	testScalar[celsius](t, 36.6, -40)
}

func TestValueAddWraps(t *testing.T) {
	v, err := NewRawValue[int8](127)
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	if v.Add(1) != -128 {
		t.Fatal("int8 Add must wrap")
	}
	f, _ := NewRawValue(0.5)
	defer f.Close()
	if f.Add(0.25) != 0.75 {
		t.Fatal("float Add")
	}
	b, _ := NewRawValue(true)
	defer b.Close()
	defer func() {
		if recover() == nil {
			t.Fatal("Add on a bool must panic")
		}
	}()
	b.Add(true)
}

// TestValueLockedIncrements is the seeds' race made safe, with goroutines
// on two mappings: a read-modify-write of several steps under GetLock.
func TestValueLockedIncrements(t *testing.T) {
	v, err := NewValue[int64](0)
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	w := sharedRoundTrip(t, v)
	defer w.Close()
	adds, err := NewRawValue[int64](0)
	if err != nil {
		t.Fatal(err)
	}
	defer adds.Close()
	const goroutines, iters = 8, 1000
	var wg sync.WaitGroup
	for g := range goroutines {
		val := v
		if g%2 == 1 {
			val = w
		}
		wg.Go(func() {
			ctx := context.Background()
			for range iters {
				l := val.GetLock()
				if err := l.Acquire(ctx); err != nil {
					t.Error(err)
					return
				}
				val.Store(val.Load() + 1) // two steps, made one by the lock
				l.Release()
				adds.Add(1) // one step, no lock needed
			}
		})
	}
	wg.Wait()
	if got := v.Load(); got != goroutines*iters {
		t.Fatalf("locked increments: got %d, want %d", got, goroutines*iters)
	}
	if got := adds.Load(); got != goroutines*iters {
		t.Fatalf("atomic increments: got %d, want %d", got, goroutines*iters)
	}
}

func TestValueUseAfterClose(t *testing.T) {
	v, err := NewValue[int32](1)
	if err != nil {
		t.Fatal(err)
	}
	l := v.GetLock()
	if err := l.Close(); err == nil {
		t.Fatal("closing a Value's lock on its own must fail")
	}
	if err := v.Close(); err != nil {
		t.Fatal(err)
	}
	if err := v.Close(); !errors.Is(err, os.ErrClosed) {
		t.Fatalf("second Close: %v", err)
	}
	if err := l.Acquire(context.Background()); !errors.Is(err, os.ErrClosed) {
		t.Fatalf("Acquire of a closed Value's lock: %v", err)
	}
	if _, _, err := encodeMessage(v); !errors.Is(err, os.ErrClosed) {
		t.Fatalf("sending a closed Value: %v", err)
	}
	defer func() {
		if err, _ := recover().(error); !errors.Is(err, os.ErrClosed) {
			t.Fatalf("Load after Close panicked with %v", err)
		}
	}()
	v.Load()
}
