package process

import (
	"errors"
	"testing"
)

func TestPoolWithoutMainFailsAtOnce(t *testing.T) {
	// Not parallel: it pretends, for a moment, that Main was never called.
	mainCalled.Store(false)
	defer mainCalled.Store(true)
	p, err := NewPool(2)
	if !errors.Is(err, ErrMainNotCalled) || !errors.Is(err, ErrBrokenPool) || p != nil {
		t.Fatalf("NewPool without Main = %v, %v", p, err)
	}
}

// FuzzPoolItems decodes chunks of arguments or results as another process
// could send them: the decoders must not panic, and what they accept must
// encode back to the same bytes for the types that travel as memory.
func FuzzPoolItems(f *testing.F) {
	seed := func(data []byte, err error) {
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	seed(encodeItems([]int{1, 2, 3}))
	seed(encodeItems([]bool{true, false}))
	seed(encodeItems([]string{"a", "bc"}))
	seed(encodeItems([]powItem{{1, "x"}, {2, "y"}}))
	f.Add([]byte{})
	f.Add([]byte{2})
	f.Fuzz(func(t *testing.T, data []byte) {
		if v, err := decodeItems[int64](data); err == nil {
			again, err := encodeItems(v)
			if err != nil || string(again) != string(data) {
				t.Fatalf("[]int64 round trip: %x, %v", again, err)
			}
		}
		if v, err := decodeItems[bool](data); err == nil {
			if again, err := encodeItems(v); err != nil || string(again) != string(data) {
				t.Fatalf("[]bool round trip: %x, %v", again, err)
			}
		}
		decodeItems[string](data)
		decodeItems[powItem](data)
		decodeItems[any](data)
	})
}

type powItem struct {
	X int
	S string
}
