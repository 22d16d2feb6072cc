package process

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/concurgo/concur/queue"
)

// Tests of the queues within one process: a second handle made with
// sharedRoundTrip maps the same segment as a child would, so puts on one
// handle and gets on the other cross a real shared mapping. Futex waits
// are real system calls, which testing/synctest's clock cannot advance
// through, so timeouts use short real deadlines and assert only the
// outcome, never the time taken.

func newTestQueue[T any](t *testing.T, maxsize int, opts ...QueueOption) (*Queue[T], *Queue[T]) {
	t.Helper()
	q, err := NewQueue[T](maxsize, opts...)
	if err != nil {
		t.Fatal(err)
	}
	other := sharedRoundTrip(t, q)
	t.Cleanup(func() {
		q.Close()
		other.Close()
	})
	return q, other
}

func shortCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Millisecond)
	t.Cleanup(cancel)
	return ctx
}

func TestQueueSemantics(t *testing.T) {
	q, other := newTestQueue[int](t, 2)
	ctx := context.Background()
	if !q.Empty() || q.Full() || q.Len() != 0 || q.Maxsize() != 2 {
		t.Fatalf("new queue: empty %v full %v len %d", q.Empty(), q.Full(), q.Len())
	}
	if err := q.Put(ctx, 1); err != nil {
		t.Fatal(err)
	}
	if err := q.TryPut(2); err != nil {
		t.Fatal(err)
	}
	if !other.Full() || other.Len() != 2 {
		t.Fatalf("after two puts the other handle sees full %v, len %d", other.Full(), other.Len())
	}
	if err := other.TryPut(3); !errors.Is(err, queue.ErrFull) {
		t.Fatalf("TryPut on a full queue: %v", err)
	}
	err := q.Put(shortCtx(t), 3)
	if !errors.Is(err, queue.ErrFull) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Put with a deadline on a full queue: %v", err)
	}
	for want := 1; want <= 2; want++ {
		if v, err := other.Get(ctx); err != nil || v != want {
			t.Fatalf("Get: %v, %v; want %d", v, err, want)
		}
	}
	if _, err := q.TryGet(); !errors.Is(err, queue.ErrEmpty) {
		t.Fatalf("TryGet on an empty queue: %v", err)
	}
	_, err = other.Get(shortCtx(t))
	if !errors.Is(err, queue.ErrEmpty) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Get with a deadline on an empty queue: %v", err)
	}
	// A done context bounds only the wait.
	done, cancel := context.WithCancel(ctx)
	cancel()
	if err := q.Put(done, 4); err != nil {
		t.Fatalf("Put that need not wait, done ctx: %v", err)
	}
	if v, err := other.Get(done); err != nil || v != 4 {
		t.Fatalf("Get that need not wait, done ctx: %v, %v", v, err)
	}
}

func TestQueueBlockingHandOff(t *testing.T) {
	q, other := newTestQueue[string](t, 1)
	ctx := context.Background()
	got := make(chan string)
	go func() {
		v, err := other.Get(ctx)
		if err != nil {
			v = err.Error()
		}
		got <- v
	}()
	time.Sleep(5 * time.Millisecond) // let the getter go to sleep, or not: either way it must get the item
	if err := q.Put(ctx, "first"); err != nil {
		t.Fatal(err)
	}
	if v := <-got; v != "first" {
		t.Fatalf("got %q", v)
	}
	// A Put waiting for room gets it when a Get frees a slot.
	q.Put(ctx, "a")
	put := make(chan error)
	go func() { put <- q.Put(ctx, "b") }()
	time.Sleep(5 * time.Millisecond)
	if v, err := other.Get(ctx); v != "a" || err != nil {
		t.Fatalf("Get: %q, %v", v, err)
	}
	if err := <-put; err != nil {
		t.Fatal(err)
	}
	if v, err := other.Get(ctx); v != "b" || err != nil {
		t.Fatalf("Get: %q, %v", v, err)
	}
}

type queueItem struct {
	ID    int
	Name  string
	Tags  []string
	Attrs map[string]float64
	Next  *queueItem
}

type queueCelsius float64

// queueFlat takes the plain encoding: every field is exported and plain.
type queueFlat struct {
	ID    int
	Name  string
	Score float64
	OK    bool
	Raw   []byte
	Inner struct {
		A int8
		B string
	}
}

// binaryID has unexported fields and travels by its own methods.
type binaryID struct{ n int }

func (id binaryID) MarshalBinary() ([]byte, error) { return []byte(fmt.Sprint(id.n)), nil }
func (id *binaryID) UnmarshalBinary(b []byte) error {
	_, err := fmt.Sscan(string(b), &id.n)
	return err
}

// roundTrip puts each value into a queue and gets it from the other
// handle, comparing with want (the value itself if want is nil).
func roundTrip[T any](t *testing.T, want func(T) T, values ...T) {
	t.Helper()
	q, other := newTestQueue[T](t, 0)
	ctx := context.Background()
	for _, v := range values {
		if err := q.Put(ctx, v); err != nil {
			t.Fatalf("Put(%#v): %v", v, err)
		}
	}
	for _, v := range values {
		got, err := other.Get(ctx)
		if want != nil {
			v = want(v)
		}
		if err != nil || !reflect.DeepEqual(got, v) {
			t.Fatalf("Get: %#v, %v; want %#v", got, err, v)
		}
	}
}

func TestQueueItemTypes(t *testing.T) {
	roundTrip(t, nil, 0, -1, 1<<62)
	roundTrip(t, nil, true, false)
	roundTrip(t, nil, 3.25, -0.0)
	roundTrip(t, nil, queueCelsius(21.5))
	roundTrip(t, nil, complex(1, -2))
	roundTrip(t, nil, "", "Привет из процесса!", strings.Repeat("x", 1000))
	roundTrip(t, func(b []byte) []byte {
		if len(b) == 0 {
			return nil // as gob delivers an empty slice
		}
		return b
	}, []byte{}, nil, []byte("bytes"))
	roundTrip(t, nil, [3]int{1, 2, 3})
	roundTrip(t, nil, []int{1, 2, 3})
	roundTrip(t, nil, time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC))
	roundTrip(t, nil, binaryID{42})
	roundTrip(t, nil,
		queueItem{ID: 1, Name: "one", Tags: []string{"a"}, Attrs: map[string]float64{"x": 1}, Next: &queueItem{ID: 2}},
		queueItem{})
	roundTrip(t, nil, &queueItem{ID: 3})
	flat := queueFlat{ID: -5, Name: "плоский", Score: 2.5, OK: true, Raw: []byte{0, 1}}
	flat.Inner.A, flat.Inner.B = -1, "inner"
	roundTrip(t, nil, flat, queueFlat{}, queueFlat{Name: strings.Repeat("n", 300)})
	roundTrip(t, nil, struct{}{})
	roundTrip[any](t, nil, 1, "two", []byte("three"), 4.5, nil)
	roundTrip[error](t, func(e error) error { return e }, nil)
}

func TestQueueEncodeErrors(t *testing.T) {
	if _, err := NewQueue[func()](0); err == nil {
		t.Fatal("NewQueue of funcs: no error")
	}
	if _, err := NewQueue[struct{ x int }](0); err == nil {
		t.Fatal("NewQueue of a struct without exported fields: no error")
	}
	q, other := newTestQueue[any](t, 0)
	var ee *EncodeError
	if err := q.Put(context.Background(), func() {}); !errors.As(err, &ee) {
		t.Fatalf("Put of a func into a Queue[any]: %v", err)
	}
	l, err := NewLock()
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	lq, _ := newTestQueue[*Lock](t, 0)
	if err := lq.Put(context.Background(), l); !errors.Is(err, ErrNotInMessage) {
		t.Fatalf("Put of a Lock: %v", err)
	}
	var nilItem *queueItem
	pq, _ := newTestQueue[*queueItem](t, 0)
	if err := pq.Put(context.Background(), nilItem); !errors.As(err, &ee) {
		t.Fatalf("Put of a nil pointer: %v", err)
	}
	if !other.Empty() || !pq.Empty() {
		t.Fatal("a failed Put queued something")
	}
}

// TestQueueWrapAndSizes sends items of random sizes through a small
// buffer, so records wrap around its end in every way, and some items
// are larger than the whole buffer and spill to files.
func TestQueueWrapAndSizes(t *testing.T) {
	q, other := newTestQueue[[]byte](t, 0, WithBufferSize(256))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	rng := rand.New(rand.NewPCG(1, 2))
	const n = 2000
	items := make([][]byte, n)
	for i := range items {
		size := rng.IntN(100)
		if i%50 == 0 {
			size = 300 + rng.IntN(5000) // larger than the buffer
		}
		items[i] = make([]byte, size)
		for j := range items[i] {
			items[i][j] = byte(i + j)
		}
	}
	errc := make(chan error, 1)
	go func() {
		for _, it := range items {
			if err := q.Put(ctx, it); err != nil {
				errc <- err
				return
			}
		}
		errc <- nil
	}()
	for i, want := range items {
		got, err := other.Get(ctx)
		if err != nil || !bytes.Equal(got, want) {
			t.Fatalf("item %d: %d bytes, %v; want %d bytes", i, len(got), err, len(want))
		}
	}
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	if files := spillFiles(t, q.r); len(files) != 0 {
		t.Fatalf("spill files left: %v", files)
	}
}

func spillFiles(t *testing.T, r *ring) []string {
	t.Helper()
	files, err := filepath.Glob(fmt.Sprintf("/dev/shm/concur-q-%016x-*", r.h.spillID))
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// TestQueueSpillCleanup: the files of large items nobody got are removed
// by Shutdown(true), and by the last Close.
func TestQueueSpillCleanup(t *testing.T) {
	ctx := context.Background()
	big := strings.Repeat("big", 100)

	q, err := NewQueue[string](0, WithBufferSize(64))
	if err != nil {
		t.Fatal(err)
	}
	other := sharedRoundTrip(t, q)
	q.Put(ctx, big)
	q.Put(ctx, big)
	if n := len(spillFiles(t, q.r)); n != 2 {
		t.Fatalf("%d spill files, want 2", n)
	}
	if v, err := other.Get(ctx); v != big || err != nil {
		t.Fatalf("Get: %d bytes, %v", len(v), err)
	}
	if n := len(spillFiles(t, q.r)); n != 1 {
		t.Fatalf("%d spill files after a Get, want 1", n)
	}
	// A spill file orphaned by a putter that died before its commit.
	orphan := q.r.spillPath(1000)
	os.WriteFile(orphan, []byte("x"), 0o600)
	id := q.r.h.spillID
	q.Close()
	if n := len(spillFiles(t, other.r)); n != 2 {
		t.Fatalf("%d spill files after the first Close, want 2: the queue is still open", n)
	}
	other.Close()
	if files, _ := filepath.Glob(fmt.Sprintf("/dev/shm/concur-q-%016x-*", id)); len(files) != 0 {
		t.Fatalf("spill files after the last Close: %v", files)
	}

	q2, _ := newTestQueue[string](t, 0, WithBufferSize(64))
	q2.Put(ctx, big)
	q2.Put(ctx, "small")
	q2.Shutdown(true)
	if n := len(spillFiles(t, q2.r)); n != 0 {
		t.Fatalf("%d spill files after Shutdown(true)", n)
	}
}

func TestQueueShutdown(t *testing.T) {
	ctx := context.Background()
	q, other := newTestQueue[int](t, 1)
	q.Put(ctx, 1)
	blocked := make(chan error)
	go func() { blocked <- q.Put(ctx, 2) }()
	time.Sleep(5 * time.Millisecond)
	other.Shutdown(false)
	if err := <-blocked; !errors.Is(err, queue.ErrShutDown) {
		t.Fatalf("blocked Put after Shutdown: %v", err)
	}
	if !q.IsShutdown() {
		t.Fatal("IsShutdown false")
	}
	if err := q.TryPut(3); !errors.Is(err, queue.ErrShutDown) {
		t.Fatalf("TryPut after Shutdown: %v", err)
	}
	var got []int
	for v, err := range q.All(ctx) {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, v)
	}
	if !slices.Equal(got, []int{1}) {
		t.Fatalf("drained %v", got)
	}
	if _, err := other.Get(ctx); !errors.Is(err, queue.ErrShutDown) {
		t.Fatalf("Get after the drain: %v", err)
	}

	q2, other2 := newTestQueue[int](t, 0)
	getter := make(chan error)
	go func() {
		_, err := other2.Get(ctx)
		getter <- err
	}()
	time.Sleep(5 * time.Millisecond)
	q2.Shutdown(true)
	if err := <-getter; !errors.Is(err, queue.ErrShutDown) {
		t.Fatalf("blocked Get after Shutdown(true): %v", err)
	}
}

func TestQueueAllReportsErrors(t *testing.T) {
	q, _ := newTestQueue[int](t, 0)
	q.Put(context.Background(), 7)
	var got []string
	for v, err := range q.All(shortCtx(t)) {
		got = append(got, fmt.Sprint(v, errors.Is(err, context.DeadlineExceeded)))
	}
	if !slices.Equal(got, []string{"7 false", "0 true"}) {
		t.Fatalf("All yielded %v", got)
	}
}

func TestQueueClose(t *testing.T) {
	q, err := NewQueue[int](0)
	if err != nil {
		t.Fatal(err)
	}
	other := sharedRoundTrip(t, q)
	defer other.Close()
	got := make(chan error)
	go func() {
		_, err := q.Get(context.Background())
		got <- err
	}()
	time.Sleep(5 * time.Millisecond)
	if err := q.Close(); err != nil {
		t.Fatal(err)
	}
	if err := <-got; !errors.Is(err, os.ErrClosed) {
		t.Fatalf("Get waiting during Close: %v", err)
	}
	if err := q.Put(context.Background(), 1); !errors.Is(err, os.ErrClosed) {
		t.Fatalf("Put after Close: %v", err)
	}
	if err := q.Close(); !errors.Is(err, os.ErrClosed) {
		t.Fatalf("second Close: %v", err)
	}
	// The other handle is unaffected.
	if err := other.Put(context.Background(), 2); err != nil {
		t.Fatal(err)
	}
	if v, err := other.TryGet(); v != 2 || err != nil {
		t.Fatalf("TryGet on the other handle: %v, %v", v, err)
	}
	var zero Queue[int]
	if err := zero.Put(context.Background(), 1); !errors.Is(err, os.ErrClosed) {
		t.Fatalf("Put on a zero Queue: %v", err)
	}
}

func TestQueueRefusesOtherTypes(t *testing.T) {
	q, err := NewQueue[int](0)
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	jq, err := NewJoinableQueue[int](0)
	if err != nil {
		t.Fatal(err)
	}
	defer jq.Close()
	var te *SharedTypeError
	if _, err := sharedRoundTripErr[*Queue[string]](q); !errors.As(err, &te) || te.Got != "Queue[int]" || te.Want != "Queue[string]" {
		t.Fatalf("Queue[int] received as Queue[string]: %v", err)
	}
	if _, err := sharedRoundTripErr[*Queue[int]](jq); !errors.As(err, &te) {
		t.Fatalf("JoinableQueue received as Queue: %v", err)
	}
	if _, err := sharedRoundTripErr[*SimpleQueue[int]](q); !errors.As(err, &te) {
		t.Fatalf("Queue received as SimpleQueue: %v", err)
	}
	if _, err := q.GobEncode(); !errors.Is(err, ErrNotInMessage) {
		t.Fatalf("bare GobEncode: %v", err)
	}
}

// sharedRoundTripErr is sharedRoundTrip into a different type, returning
// the decoding error.
func sharedRoundTripErr[T any](v any) (T, error) {
	var out T
	data, files, err := encodeMessage(v)
	if err != nil {
		return out, err
	}
	dups := make([]*os.File, len(files))
	for i, f := range files {
		fd, err := syscall.Dup(int(f.Fd()))
		if err != nil {
			return out, err
		}
		dups[i] = os.NewFile(uintptr(fd), f.Name())
	}
	err = decodeMessage(data, dups, &out)
	return out, err
}

func TestJoinableQueue(t *testing.T) {
	ctx := context.Background()
	q, err := NewJoinableQueue[string](0)
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	other := sharedRoundTrip(t, q)
	defer other.Close()
	if err := q.Join(ctx); err != nil {
		t.Fatalf("Join of an idle queue: %v", err)
	}
	if err := q.TaskDone(); !errors.Is(err, queue.ErrTooManyTaskDone) {
		t.Fatalf("TaskDone with nothing put: %v", err)
	}
	for _, s := range []string{"a", "b", "c"} {
		q.Put(ctx, s)
	}
	joined := make(chan error)
	go func() { joined <- q.Join(ctx) }()
	if err := q.Join(shortCtx(t)); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Join with unfinished tasks: %v", err)
	}
	n := 0
	for _, err := range other.All(ctx) {
		if err != nil {
			t.Fatal(err)
		}
		if n++; n == 3 {
			break // the loop body's end still marks the item done
		}
	}
	if err := <-joined; err != nil {
		t.Fatal(err)
	}
	if u := q.Unfinished(); u != 0 {
		t.Fatalf("Unfinished = %d", u)
	}
	// Shutdown(true) counts discarded items as done.
	q.Put(ctx, "d")
	q.Put(ctx, "e")
	other.Get(ctx)
	q.Shutdown(true)
	if u := q.Unfinished(); u != 1 {
		t.Fatalf("Unfinished after Shutdown(true) = %d, want 1 (the item got)", u)
	}
	other.TaskDone()
	if err := q.Join(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestSimpleQueue(t *testing.T) {
	ctx := context.Background()
	q, err := NewSimpleQueue[[]int]()
	if err != nil {
		t.Fatal(err)
	}
	other := sharedRoundTrip(t, q)
	defer other.Close()
	if !q.Empty() {
		t.Fatal("new SimpleQueue not empty")
	}
	if err := q.Put(ctx, []int{1, 2, 3}); err != nil {
		t.Fatal(err)
	}
	if v, err := other.Get(ctx); err != nil || !slices.Equal(v, []int{1, 2, 3}) {
		t.Fatalf("Get: %v, %v", v, err)
	}
	if _, err := other.Get(shortCtx(t)); !errors.Is(err, queue.ErrEmpty) {
		t.Fatalf("Get from an empty SimpleQueue: %v", err)
	}
	if err := q.Close(); err != nil {
		t.Fatal(err)
	}
	if err := q.Put(ctx, nil); !errors.Is(err, os.ErrClosed) {
		t.Fatalf("Put after Close: %v", err)
	}
}

// TestQueueStress: producers and consumers on two handles, items of mixed
// sizes through a small buffer with a maxsize; every item arrives
// exactly once and each producer's items in order.
func TestQueueStress(t *testing.T) {
	type item struct {
		Producer, Seq int
		Pad           string
	}
	const producers, consumers, perProducer = 4, 4, 500
	q, other := newTestQueue[item](t, 8, WithBufferSize(512))
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	for p := range producers {
		h := q
		if p%2 == 1 {
			h = other
		}
		wg.Go(func() {
			for i := range perProducer {
				if err := h.Put(ctx, item{p, i, strings.Repeat("p", (p*31+i)%200)}); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	var mu sync.Mutex
	seen := make([][]int, producers)
	var cg sync.WaitGroup
	for c := range consumers {
		h := other
		if c%2 == 1 {
			h = q
		}
		cg.Go(func() {
			last := map[int]int{}
			for v, err := range h.All(ctx) {
				if err != nil {
					t.Error(err)
					return
				}
				if prev, ok := last[v.Producer]; ok && v.Seq <= prev {
					t.Errorf("consumer %d: producer %d's item %d after %d", c, v.Producer, v.Seq, prev)
				}
				last[v.Producer] = v.Seq
				mu.Lock()
				seen[v.Producer] = append(seen[v.Producer], v.Seq)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	q.Shutdown(false)
	cg.Wait()
	for p, seqs := range seen {
		slices.Sort(seqs)
		for i, seq := range seqs {
			if seq != i || len(seqs) != perProducer {
				t.Fatalf("producer %d: %d items arrived, lost or doubled from %d", p, len(seqs), i)
			}
		}
	}
}

// TestQueueOverConn: a queue sent in a Conn message (its memfd travels
// with SCM_RIGHTS) is the same queue at the other end.
func TestQueueOverConn(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	a, b, err := Pipe(true)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	defer b.Close()
	q, err := NewJoinableQueue[string](0)
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	if err := a.Send(ctx, q); err != nil {
		t.Fatal(err)
	}
	var got *JoinableQueue[string]
	if err := b.Recv(ctx, &got); err != nil {
		t.Fatal(err)
	}
	defer got.Close()
	q.Put(ctx, "over the pipe")
	if v, err := got.Get(ctx); v != "over the pipe" || err != nil {
		t.Fatalf("Get: %q, %v", v, err)
	}
	got.TaskDone()
	if err := q.Join(ctx); err != nil {
		t.Fatal(err)
	}
}
