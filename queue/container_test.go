package queue

import (
	"cmp"
	"math/rand/v2"
	"slices"
	"testing"
)

// Model tests of the three containers: random operation sequences checked
// against a plain slice, including growth, wrap-around and shrinking.

type op struct {
	push bool
	v    int
}

func randomOps(seed uint64, n int) []op {
	r := rand.New(rand.NewPCG(seed, seed))
	ops := make([]op, n)
	for i := range ops {
		// Phases that mostly push then mostly pop, so buffers grow and shrink.
		pushBias := 3
		if (i/500)%2 == 1 {
			pushBias = 1
		}
		ops[i] = op{push: r.IntN(4) < pushBias, v: r.IntN(50)}
	}
	return ops
}

// entry is a test item: a value and the number of its push, so that the
// model can tell equal values apart and check stability.
type entry[T any] struct {
	v   T
	seq uint64
}

// checkContainer replays ops on c and on a model; next picks the index of
// the model item that pop must return.
func checkContainer(t *testing.T, c container[entry[int]], ops []op, next func(model []entry[int]) int) {
	t.Helper()
	var model []entry[int]
	seq := uint64(0)
	for i, o := range ops {
		if o.push {
			e := entry[int]{v: o.v, seq: seq}
			seq++
			if err := c.push(e); err != nil {
				t.Fatal(err)
			}
			model = append(model, e)
		} else if len(model) > 0 {
			got, err := c.pop()
			if err != nil {
				t.Fatal(err)
			}
			j := next(model)
			if got != model[j] {
				t.Fatalf("op %d: pop = %v, want %v", i, got, model[j])
			}
			model = slices.Delete(model, j, j+1)
		}
		if c.len() != len(model) {
			t.Fatalf("op %d: len = %d, want %d", i, c.len(), len(model))
		}
	}
}

func fifoNext([]entry[int]) int   { return 0 }
func lifoNext(m []entry[int]) int { return len(m) - 1 }

// priorityNext is the model of a stable priority queue: the least value,
// first pushed among equals.
func priorityNext(m []entry[int]) int {
	least := slices.MinFunc(m, compareEntries)
	return slices.Index(m, least)
}

func compareEntries(a, b entry[int]) int {
	return cmp.Or(cmp.Compare(a.v, b.v), cmp.Compare(a.seq, b.seq))
}

// lessEntries orders by value alone, leaving ties to the stable container.
func lessEntries(a, b entry[int]) bool { return a.v < b.v }

// lessTotal is a total order, as cmp.Less is on ints.
func lessTotal(a, b entry[int]) bool { return compareEntries(a, b) < 0 }

func TestContainersAgainstModel(t *testing.T) {
	for seed := range uint64(5) {
		ops := randomOps(seed, 5000)
		checkContainer(t, &ring[entry[int]]{}, ops, fifoNext)
		checkContainer(t, &stack[entry[int]]{}, ops, lifoNext)
		checkContainer(t, &heap[entry[int]]{less: lessTotal}, ops, priorityNext)
		checkContainer(t, newStable(lessEntries, 0), ops, priorityNext)
	}
}

func FuzzPriority(f *testing.F) {
	f.Add([]byte{1, 2, 3, 0, 0, 0})
	f.Add([]byte{5, 5, 5, 5, 0, 5, 0, 0, 1})
	f.Add([]byte{9, 8, 7, 6, 5, 4, 3, 2, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		// Each byte is an op: 0 pops, any other value pushes value%8, so
		// ties are common and stability is exercised. The model is
		// quadratic, so long inputs are cut.
		data = data[:min(len(data), 4096)]
		ops := make([]op, len(data))
		for i, b := range data {
			ops[i] = op{push: b != 0, v: int(b % 8)}
		}
		checkContainer(t, newStable(lessEntries, 0), ops, priorityNext)
		checkContainer(t, &heap[entry[int]]{less: lessTotal}, ops, priorityNext)
	})
}

func TestRingShrinksAfterBurst(t *testing.T) {
	r := &ring[int]{}
	for i := range 1 << 14 {
		r.push(i)
	}
	for range 1 << 14 {
		r.pop()
	}
	if len(r.buf) != minRing {
		t.Fatalf("unbounded ring kept %d slots after draining, want %d", len(r.buf), minRing)
	}
	b := &ring[int]{keep: 1024}
	for i := range 1024 {
		b.push(i)
	}
	for range 1024 {
		b.pop()
	}
	if len(b.buf) != 1024 {
		t.Fatalf("bounded ring shrank to %d slots; it should keep its maxsize", len(b.buf))
	}
}

func TestHeapShrinksAfterBurst(t *testing.T) {
	h := &heap[int]{less: cmp.Less[int]}
	for i := range 1 << 14 {
		h.push(-i)
	}
	for range 1 << 14 {
		h.pop()
	}
	if cap(h.items) > minRing {
		t.Fatalf("unbounded heap kept %d slots after draining", cap(h.items))
	}
}
