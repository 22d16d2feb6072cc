package queue

import (
	"context"
	"errors"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
)

// Ports of the shutdown tests CPython 3.13 added to Lib/test/test_queue.py,
// with synctest making "the call is blocked" exact where CPython sleeps.

func TestShutdownEmpty(t *testing.T) {
	forEachKind(t, func(t *testing.T, k kind) {
		q := k.new(0)
		q.Shutdown(false)
		if err := q.Put(context.Background(), 1); !errors.Is(err, ErrShutDown) {
			t.Fatalf("Put after Shutdown: %v", err)
		}
		if _, err := q.Get(context.Background()); !errors.Is(err, ErrShutDown) {
			t.Fatalf("Get after Shutdown: %v", err)
		}
	})
}

func TestShutdownNonEmpty(t *testing.T) {
	forEachKind(t, func(t *testing.T, k kind) {
		q := k.new(0)
		put(t, q, 1)
		q.Shutdown(false)
		if v := get(t, q); v != 1 {
			t.Fatalf("Get drained %d, want 1", v)
		}
		if _, err := q.Get(context.Background()); !errors.Is(err, ErrShutDown) {
			t.Fatalf("Get after draining: %v", err)
		}
	})
}

func TestShutdownImmediate(t *testing.T) {
	forEachKind(t, func(t *testing.T, k kind) {
		q := k.new(0)
		put(t, q, 1)
		q.Shutdown(true)
		if _, err := q.Get(context.Background()); !errors.Is(err, ErrShutDown) {
			t.Fatalf("Get after Shutdown(true): %v", err)
		}
	})
}

func TestShutdownAllowedTransitions(t *testing.T) {
	forEachKind(t, func(t *testing.T, k kind) {
		q := k.new(0)
		if q.IsShutdown() {
			t.Fatal("a new queue is shut down")
		}
		q.Shutdown(false)
		if !q.IsShutdown() {
			t.Fatal("IsShutdown after Shutdown(false) is false")
		}
		q.Shutdown(true)
		q.Shutdown(false)
		if !q.IsShutdown() {
			t.Fatal("a queue came back to life")
		}
	})
}

// TestShutdownGracefulThenImmediate: a later immediate shutdown discards
// what a graceful one left to drain.
func TestShutdownGracefulThenImmediate(t *testing.T) {
	forEachKind(t, func(t *testing.T, k kind) {
		q := k.new(0)
		put(t, q, 1)
		put(t, q, 2)
		q.Shutdown(false)
		get(t, q)
		q.Shutdown(true)
		if q.Len() != 0 || q.Unfinished() != 1 {
			t.Fatalf("Len() = %d, Unfinished() = %d, want 0 and 1 (the item got but not done)", q.Len(), q.Unfinished())
		}
		if _, err := q.TryGet(); !errors.Is(err, ErrShutDown) {
			t.Fatalf("TryGet: %v", err)
		}
	})
}

// CPython's _shutdown_all_methods_in_one_thread.
func TestShutdownAllMethodsInOneGoroutine(t *testing.T) {
	for _, immediate := range []bool{false, true} {
		forEachKind(t, func(t *testing.T, k kind) {
			q := k.new(2)
			put(t, q, 1)
			if err := q.TryPut(2); err != nil {
				t.Fatal(err)
			}
			q.Shutdown(immediate)
			if err := q.Put(context.Background(), 3); !errors.Is(err, ErrShutDown) {
				t.Fatalf("Put: %v", err)
			}
			if err := q.TryPut(4); !errors.Is(err, ErrShutDown) {
				t.Fatalf("TryPut: %v", err)
			}
			if immediate {
				if _, err := q.Get(context.Background()); !errors.Is(err, ErrShutDown) {
					t.Fatalf("Get: %v", err)
				}
				if _, err := q.TryGet(); !errors.Is(err, ErrShutDown) {
					t.Fatalf("TryGet: %v", err)
				}
				if err := q.TaskDone(); !errors.Is(err, ErrTooManyTaskDone) {
					t.Fatalf("TaskDone for a discarded item: %v", err)
				}
				if err := q.Join(context.Background()); err != nil {
					t.Fatal(err)
				}
				return
			}
			got := []int{get(t, q)}
			taskDone(t, q)
			got = append(got, get(t, q))
			taskDone(t, q)
			slices.Sort(got)
			if !slices.Equal(got, []int{1, 2}) {
				t.Fatalf("drained %v, want [1 2]", got)
			}
			if err := q.Join(context.Background()); err != nil {
				t.Fatal(err)
			}
			if _, err := q.Get(context.Background()); !errors.Is(err, ErrShutDown) {
				t.Fatalf("Get: %v", err)
			}
			if _, err := q.TryGet(); !errors.Is(err, ErrShutDown) {
				t.Fatalf("TryGet: %v", err)
			}
		})
	}
}

// TestShutdownWakesGetters is CPython's _shutdown_get and
// test_shutdown_pending_get: getters already blocked on an empty queue
// wake with ErrShutDown; after a graceful shutdown of a queue with n items
// exactly n getters succeed.
func TestShutdownWakesGetters(t *testing.T) {
	forEachKind(t, func(t *testing.T, k kind) {
		q := k.new(2)
		var failed atomic.Int32
		var wg sync.WaitGroup
		for range 3 {
			wg.Go(func() {
				if _, err := q.Get(context.Background()); !errors.Is(err, ErrShutDown) {
					t.Errorf("blocked Get woken by Shutdown: %v", err)
				}
				failed.Add(1)
			})
		}
		synctest.Wait() // all three are blocked
		q.Shutdown(false)
		wg.Wait()
		if failed.Load() != 3 {
			t.Fatal("not every blocked getter woke")
		}
	})
	for _, immediate := range []bool{false, true} {
		forEachKind(t, func(t *testing.T, k kind) {
			q := k.new(2)
			put(t, q, 1)
			put(t, q, 2)
			go1 := make(chan struct{})
			var ok, shut atomic.Int32
			var wg sync.WaitGroup
			for range 3 {
				wg.Go(func() {
					<-go1
					_, err := q.Get(context.Background())
					switch {
					case err == nil:
						ok.Add(1)
					case errors.Is(err, ErrShutDown):
						shut.Add(1)
					default:
						t.Error(err)
					}
				})
			}
			q.Shutdown(immediate)
			close(go1)
			wg.Wait()
			want := int32(2)
			if immediate {
				want = 0
			}
			if ok.Load() != want || shut.Load() != 3-want {
				t.Fatalf("immediate=%v: %d gets succeeded and %d were shut out, want %d and %d", immediate, ok.Load(), shut.Load(), want, 3-want)
			}
		})
	}
}

// TestShutdownWakesPutters is CPython's _shutdown_put, plus the case it
// does not reach: putters already blocked on a full queue wake with
// ErrShutDown, and their items never enter the queue.
func TestShutdownWakesPutters(t *testing.T) {
	for _, immediate := range []bool{false, true} {
		forEachKind(t, func(t *testing.T, k kind) {
			q := k.new(2)
			put(t, q, 1)
			put(t, q, 2)
			var wg sync.WaitGroup
			for i := range 2 {
				wg.Go(func() {
					if err := q.Put(context.Background(), 10+i); !errors.Is(err, ErrShutDown) {
						t.Errorf("blocked Put woken by Shutdown: %v", err)
					}
				})
			}
			synctest.Wait()
			q.Shutdown(immediate)
			wg.Wait()
			if err := q.Put(context.Background(), 3); !errors.Is(err, ErrShutDown) {
				t.Fatalf("Put after Shutdown: %v", err)
			}
			want := 2
			if immediate {
				want = 0
			}
			if q.Len() != want || q.Unfinished() != want {
				t.Fatalf("Len() = %d, Unfinished() = %d, want %d: a refused item was counted", q.Len(), q.Unfinished(), want)
			}
		})
	}
}

// TestShutdownJoin is CPython's _shutdown_join: joiners return once the
// queued item is done, or at once when an immediate shutdown discards it.
func TestShutdownJoin(t *testing.T) {
	for _, immediate := range []bool{false, true} {
		forEachKind(t, func(t *testing.T, k kind) {
			q := k.new(0)
			put(t, q, 1)
			var wg sync.WaitGroup
			for range 2 {
				wg.Go(func() {
					if err := q.Join(context.Background()); err != nil {
						t.Error(err)
					}
				})
			}
			synctest.Wait() // both joiners wait
			q.Shutdown(immediate)
			if !immediate {
				get(t, q)
				taskDone(t, q)
			}
			wg.Wait()
		})
	}
}

// TestShutdownPutJoin is CPython's _shutdown_put_join.
func TestShutdownPutJoin(t *testing.T) {
	for _, immediate := range []bool{false, true} {
		forEachKind(t, func(t *testing.T, k kind) {
			q := k.new(2)
			put(t, q, 1)
			go1 := make(chan struct{})
			var wg sync.WaitGroup
			wg.Go(func() {
				<-go1
				if err := q.Put(context.Background(), 2); !errors.Is(err, ErrShutDown) {
					t.Errorf("Put after Shutdown: %v", err)
				}
			})
			wg.Go(func() {
				if err := q.Join(context.Background()); err != nil {
					t.Error(err)
				}
			})
			synctest.Wait()
			if q.Unfinished() != 1 {
				t.Fatalf("Unfinished() = %d, want 1", q.Unfinished())
			}
			q.Shutdown(immediate)
			close(go1)
			if immediate {
				if _, err := q.TryGet(); !errors.Is(err, ErrShutDown) {
					t.Fatalf("TryGet after Shutdown(true): %v", err)
				}
			} else {
				if v := get(t, q); v != 1 {
					t.Fatalf("Get drained %d, want 1", v)
				}
				taskDone(t, q)
			}
			wg.Wait()
		})
	}
}

// TestShutdownGetTaskDoneJoin is CPython's test_shutdown_get_task_done_join.
func TestShutdownGetTaskDoneJoin(t *testing.T) {
	forEachKind(t, func(t *testing.T, k kind) {
		q := k.new(2)
		put(t, q, 1)
		put(t, q, 2)
		if q.Unfinished() != q.Len() {
			t.Fatalf("Unfinished() = %d, Len() = %d", q.Unfinished(), q.Len())
		}
		go1 := make(chan struct{})
		var wg sync.WaitGroup
		for range 2 {
			wg.Go(func() {
				<-go1
				get(t, q)
				taskDone(t, q)
			})
			wg.Go(func() {
				if err := q.Join(context.Background()); err != nil {
					t.Error(err)
				}
			})
		}
		close(go1)
		q.Shutdown(false)
		wg.Wait()
	})
}

// TestShutdownImmediateKeepsItemsInHand: items got before an
// immediate shutdown still need TaskDone before Join returns.
func TestShutdownImmediateKeepsItemsInHand(t *testing.T) {
	forEachKind(t, func(t *testing.T, k kind) {
		q := k.new(0)
		for i := range 3 {
			put(t, q, i)
		}
		get(t, q) // in hand, not done
		wait := mustBlock(t, func() {
			if err := q.Join(context.Background()); err != nil {
				t.Error(err)
			}
		})
		q.Shutdown(true)
		synctest.Wait()
		if q.Unfinished() != 1 {
			t.Fatalf("Unfinished() = %d, want 1", q.Unfinished())
		}
		taskDone(t, q)
		wait()
	})
}

// TestShutdownManyGoroutines is CPython's
// _shutdown_all_methods_in_many_threads: writers, readers, a shutdown and
// (when immediate) joiners running at once. CPython's writers stop after a
// fixed count and may all finish before the shutdown runs; these put until
// refused, so that a refusal is certain.
func TestShutdownManyGoroutines(t *testing.T) {
	for _, immediate := range []bool{false, true} {
		for _, k := range kinds {
			t.Run(k.name, func(t *testing.T) { shutdownManyGoroutines(t, k.new(0), immediate) })
		}
	}
}

func shutdownManyGoroutines(t *testing.T, q *Queue[int], immediate bool) {
	const (
		writers, readers, joiners = 4, 6, 2
		shutdownAt                = 1024 // puts per writer before one of them triggers the shutdown
	)
	var putRefused, shutdownCalled, readerDone atomic.Int32
	var shutdownEmpty atomic.Bool
	parties := writers + readers
	if immediate {
		parties += joiners
	}
	// A one-shot barrier: every party arrives, then all go on.
	var barrier sync.WaitGroup
	barrier.Add(parties)
	arrive := func() { barrier.Done(); barrier.Wait() }
	triggered := make(chan struct{})
	var trigger atomic.Bool

	var wg sync.WaitGroup
	for range writers {
		wg.Go(func() {
			for i := range shutdownAt / 2 {
				put(t, q, i)
			}
			arrive()
			for i := shutdownAt / 2; ; i++ {
				if err := q.Put(context.Background(), i); err != nil {
					if !errors.Is(err, ErrShutDown) {
						t.Error(err)
					}
					putRefused.Add(1)
					return
				}
				if i == shutdownAt && trigger.CompareAndSwap(false, true) {
					close(triggered)
				}
			}
		})
	}
	for range readers {
		wg.Go(func() {
			get(t, q)
			taskDone(t, q)
			arrive()
			for {
				_, err := q.TryGet()
				switch {
				case err == nil:
					taskDone(t, q)
				case errors.Is(err, ErrShutDown):
					readerDone.Add(1)
					return
				case errors.Is(err, ErrEmpty):
					runtime.Gosched()
				default:
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Go(func() {
		<-triggered
		q.Shutdown(immediate)
		shutdownCalled.Add(1)
		shutdownEmpty.Store(q.Len() == 0)
	})
	if immediate {
		for range joiners {
			wg.Go(func() {
				arrive()
				if err := q.Join(context.Background()); err != nil {
					t.Error(err)
				}
			})
		}
	}
	wg.Wait()

	if putRefused.Load() == 0 {
		t.Error("no put was refused after Shutdown")
	}
	if readerDone.Load() != readers {
		t.Errorf("%d of %d readers saw ErrShutDown", readerDone.Load(), readers)
	}
	if immediate && (!shutdownEmpty.Load() || !q.Empty()) {
		t.Error("Shutdown(true) left items in the queue")
	}
}
