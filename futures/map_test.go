package futures

import (
	"context"
	"errors"
	"iter"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"
)

type pair struct{ x, y int }

func divmod(_ context.Context, p pair) (pair, error) {
	if p.y == 0 {
		return pair{}, errDivByZero
	}
	return pair{p.x / p.y, p.x % p.y}, nil
}

var errDivByZero = errors.New("division by zero")

func pow(_ context.Context, x int) (int, error) {
	r := 1
	for range x {
		r *= x
	}
	return r, nil
}

type result[R any] struct {
	v   R
	err error
}

func collect[R any](seq iter.Seq2[R, error]) []result[R] {
	var rs []result[R]
	for v, err := range seq {
		rs = append(rs, result[R]{v, err})
	}
	return rs
}

func TestMap(t *testing.T) {
	pool := NewThreadPoolExecutor()
	defer shutdown(t, pool)
	var got []int
	for v, err := range Map(bg, pool, pow, slices.Values([]int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9})) {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, v)
	}
	want := []int{1, 1, 4, 27, 256, 3125, 46656, 823543, 16777216, 387420489}
	if !slices.Equal(got, want) {
		t.Fatalf("Map(pow) = %v, want %v", got, want)
	}
}

// test_map_exception: a failed call is its slot's error and the sequence
// goes on.
func TestMapError(t *testing.T) {
	pool := NewThreadPoolExecutor()
	defer shutdown(t, pool)
	got := collect(Map(bg, pool, divmod, slices.Values([]pair{{5, 2}, {5, 3}, {5, 0}, {5, 5}})))
	want := []result[pair]{{pair{2, 1}, nil}, {pair{1, 2}, nil}, {pair{}, errDivByZero}, {pair{1, 0}, nil}}
	if !slices.Equal(got, want) {
		t.Fatalf("Map(divmod) = %v, want %v", got, want)
	}
}

// test_map_timeout: when ctx ends the sequence reports it once and stops.
func TestMapTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		pool := NewThreadPoolExecutor()
		defer shutdown(t, pool)
		ctx, cancel := context.WithTimeout(bg, 5*time.Second)
		defer cancel()
		sleep := func(ctx context.Context, d time.Duration) (time.Duration, error) {
			select {
			case <-time.After(d):
				return d, nil
			case <-ctx.Done():
				return 0, ctx.Err()
			}
		}
		got := collect(Map(ctx, pool, sleep, slices.Values([]time.Duration{0, 0, 6 * time.Second})))
		want := []result[time.Duration]{{0, nil}, {0, nil}, {0, context.DeadlineExceeded}}
		if !slices.Equal(got, want) {
			t.Fatalf("Map with a 5s deadline = %v, want %v", got, want)
		}
	})
}

// test_map_timeout_from_callable: a call's own DeadlineExceeded is its
// result, not the end of the map.
func TestMapTimeoutFromCall(t *testing.T) {
	pool := NewThreadPoolExecutor()
	defer shutdown(t, pool)
	ctx, cancel := context.WithTimeout(bg, time.Hour)
	defer cancel()
	timeoutOnOne := func(_ context.Context, x int) (int, error) {
		if x == 1 {
			return 0, context.DeadlineExceeded
		}
		return x, nil
	}
	for _, ctx := range []context.Context{bg, ctx} {
		got := collect(Map(ctx, pool, timeoutOnOne, slices.Values([]int{0, 1, 2, 3})))
		want := []result[int]{{0, nil}, {0, context.DeadlineExceeded}, {2, nil}, {3, nil}}
		if !slices.Equal(got, want) {
			t.Fatalf("Map = %v, want %v", got, want)
		}
	}
}

// test_executor_map_current_future_cancel: a map that times out before
// its calls start cancels them all; none runs.
func TestMapTimeoutCancelsQueuedCalls(t *testing.T) {
	pool := NewThreadPoolExecutor(WithMaxWorkers(1))
	block, release := blocker()
	first := mustSubmit(t, pool, block)
	var log []string
	var mu sync.Mutex
	logged := func(_ context.Context, ident string) (string, error) {
		mu.Lock()
		defer mu.Unlock()
		log = append(log, ident)
		return ident, nil
	}
	ctx, cancel := context.WithTimeout(bg, 0)
	defer cancel()
	got := collect(Map(ctx, pool, logged, slices.Values([]string{"second", "third"})))
	release()
	first.Result(bg)
	shutdown(t, pool)
	if len(got) != 1 || got[0].err != context.DeadlineExceeded {
		t.Fatalf("Map with an expired ctx = %v, want one DeadlineExceeded", got)
	}
	if len(log) != 0 {
		t.Fatalf("calls ran after the map timed out: %v", log)
	}
}

// test_map_close: stopping the range cancels the calls not yet started.
func TestMapStopEarly(t *testing.T) {
	pool := NewThreadPoolExecutor(WithMaxWorkers(1))
	var ran atomic.Int32
	gate := make(chan struct{})
	call := func(_ context.Context, x int) (int, error) {
		if x == 0 {
			return 0, nil
		}
		<-gate // the first call's result is consumed before the rest run
		ran.Add(1)
		return x, nil
	}
	seq := Map(bg, pool, call, slices.Values([]int{0, 1, 2, 3}))
	for v := range seq {
		if v != 0 {
			t.Fatalf("first result %d", v)
		}
		break
	}
	close(gate)
	shutdown(t, pool)
	if n := ran.Load(); n > 1 {
		t.Fatalf("%d calls ran after the range stopped, want at most the one already running", n)
	}
	if got := collect(seq); len(got) != 0 {
		t.Fatalf("ranging again yielded %v, want nothing (single-use)", got)
	}
}

// test_map_submits_without_iteration: every call is submitted by Map
// itself, like Python.
func TestMapSubmitsWithoutIteration(t *testing.T) {
	pool := NewThreadPoolExecutor()
	var finished sync.Map
	Map(bg, pool, func(_ context.Context, n int) (int, error) { finished.Store(n, true); return n, nil }, slices.Values([]int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}))
	shutdown(t, pool)
	for n := range 10 {
		if _, ok := finished.Load(n); !ok {
			t.Fatalf("call %d did not run", n)
		}
	}
}

func TestMapAfterShutdown(t *testing.T) {
	pool := NewThreadPoolExecutor()
	shutdown(t, pool)
	got := collect(Map(bg, pool, pow, slices.Values([]int{1, 2})))
	if len(got) != 1 || !errors.Is(got[0].err, ErrShutdown) {
		t.Fatalf("Map after Shutdown = %v, want one ErrShutdown", got)
	}
}

// counting yields 0, 1, 2, … forever and counts what it has yielded.
func counting(n *atomic.Int32) iter.Seq[int] {
	return func(yield func(int) bool) {
		for i := 0; ; i++ {
			n.Add(1)
			if !yield(i) {
				return
			}
		}
	}
}

// test_map_buffersize*: buffered maps give the same results, read endless
// inputs lazily and keep only the buffer (plus the call being waited for)
// submitted ahead.
func TestMapBuffer(t *testing.T) {
	pool := NewThreadPoolExecutor()
	defer shutdown(t, pool)
	str := func(_ context.Context, x int) (int, error) { return x * 10, nil }
	for _, buffer := range []int{1, 2, 4, 8} {
		got := collect(Map(bg, pool, str, slices.Values([]int{0, 1, 2, 3}), Buffer(buffer)))
		want := []result[int]{{0, nil}, {10, nil}, {20, nil}, {30, nil}}
		if !slices.Equal(got, want) {
			t.Fatalf("Buffer(%d): %v", buffer, got)
		}
	}
	if got := collect(Map(bg, pool, str, slices.Values([]int{}), Buffer(2))); len(got) != 0 {
		t.Fatalf("empty input: %v", got)
	}

	var read atomic.Int32
	seq := Map(bg, pool, str, counting(&read), Buffer(2))
	if read.Load() != 0 {
		t.Fatalf("a buffered Map read %d inputs before its range began", read.Load())
	}
	var got []int
	for v, err := range seq {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, v)
		if n := read.Load(); int(n) > len(got)+2 {
			t.Fatalf("%d inputs read for %d results with Buffer(2)", n, len(got))
		}
		if len(got) == 3 {
			break
		}
	}
	if !slices.Equal(got, []int{0, 10, 20}) {
		t.Fatalf("endless input: %v", got)
	}
}

func TestMapBufferMustBePositive(t *testing.T) {
	for _, n := range []int{0, -1} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("Buffer(%d) did not panic", n)
				}
			}()
			Buffer(n)
		}()
	}
}
