package queue

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

func TestAllDrainsThenStopsAtShutdown(t *testing.T) {
	forEachKind(t, func(t *testing.T, k kind) {
		q := k.new(0)
		for _, v := range []int{111, 333, 222} {
			put(t, q, v)
		}
		q.Shutdown(false)
		var got []int
		for v := range q.All(context.Background()) {
			got = append(got, v)
			if q.Unfinished() != 3-len(got)+1 {
				t.Fatalf("inside the loop body the item is not yet done: Unfinished() = %d", q.Unfinished())
			}
		}
		if !slices.Equal(got, k.order) {
			t.Fatalf("All yielded %v, want %v", got, k.order)
		}
		if q.Unfinished() != 0 {
			t.Fatalf("All did not mark every item done: Unfinished() = %d", q.Unfinished())
		}
	})
}

func TestAllStopsAtImmediateShutdown(t *testing.T) {
	forEachKind(t, func(t *testing.T, k kind) {
		q := k.new(0)
		put(t, q, 1)
		put(t, q, 2)
		var got []int
		for v := range q.All(context.Background()) {
			got = append(got, v)
			q.Shutdown(true)
		}
		if len(got) != 1 {
			t.Fatalf("All yielded %v after Shutdown(true)", got)
		}
		if err := q.Join(context.Background()); err != nil {
			t.Fatal(err)
		}
	})
}

// TestAllWorkers: the seeds' worker pattern with All: workers range over
// the queue, the producer joins it, then shuts it down to end the loops.
func TestAllWorkers(t *testing.T) {
	forEachKind(t, func(t *testing.T, k kind) {
		q := k.new(4)
		var mu sync.Mutex
		var got []int
		var wg sync.WaitGroup
		for range 3 {
			wg.Go(func() {
				for v := range q.All(context.Background()) {
					time.Sleep(time.Millisecond) // work; fake time in the bubble
					mu.Lock()
					got = append(got, v)
					mu.Unlock()
				}
			})
		}
		for i := range 20 {
			put(t, q, i)
		}
		if err := q.Join(context.Background()); err != nil {
			t.Fatal(err)
		}
		mu.Lock()
		if len(got) != 20 {
			t.Fatalf("Join returned with %d of 20 items processed", len(got))
		}
		mu.Unlock()
		q.Shutdown(false)
		wg.Wait()
	})
}

func TestAllStopsWhenContextEnds(t *testing.T) {
	forEachKind(t, func(t *testing.T, k kind) {
		q := k.new(0)
		put(t, q, 1)
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		n := 0
		for range q.All(ctx) {
			n++
		}
		if n != 1 || !errors.Is(ctx.Err(), context.DeadlineExceeded) {
			t.Fatalf("yielded %d items, ctx.Err() = %v", n, ctx.Err())
		}
		if q.Unfinished() != 0 {
			t.Fatalf("Unfinished() = %d", q.Unfinished())
		}
	})
}

// TestAllMarksDoneOnBreakAndPanic: a loop that breaks or panics still
// marks the item it was on, so Join cannot hang on it.
func TestAllMarksDoneOnBreakAndPanic(t *testing.T) {
	forEachKind(t, func(t *testing.T, k kind) {
		q := k.new(0)
		for i := range 3 {
			put(t, q, i)
		}
		for range q.All(context.Background()) {
			break
		}
		if q.Unfinished() != 2 || q.Len() != 2 {
			t.Fatalf("after break: Unfinished() = %d, Len() = %d, want 2 and 2", q.Unfinished(), q.Len())
		}
		func() {
			defer func() {
				if recover() != "boom" {
					t.Error("the loop body's panic did not come through")
				}
			}()
			for range q.All(context.Background()) {
				panic("boom")
			}
		}()
		if q.Unfinished() != 1 || q.Len() != 1 {
			t.Fatalf("after panic: Unfinished() = %d, Len() = %d, want 1 and 1", q.Unfinished(), q.Len())
		}
	})
}

func TestAllWaitsForItems(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		q := New[int](0)
		var got []int
		wait := mustBlock(t, func() {
			for v := range q.All(context.Background()) {
				got = append(got, v)
			}
		})
		put(t, q, 1)
		synctest.Wait()
		put(t, q, 2)
		q.Shutdown(false)
		wait()
		if !slices.Equal(got, []int{1, 2}) {
			t.Fatalf("got %v", got)
		}
	})
}
