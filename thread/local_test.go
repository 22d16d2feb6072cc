package thread

import (
	"runtime"
	"sync"
	"testing"
	"weak"
)

// The tests follow CPython's Lib/test/test_threading_local.py.

func TestLocalPerThread(t *testing.T) {
	var loc Local[int]
	loc.Set(-1)
	var wg sync.WaitGroup
	for i := range 10 {
		th := New(func() error {
			if got := loc.Get(); got != 0 {
				t.Errorf("thread %d sees %d before setting", i, got)
			}
			loc.Set(i)
			runtime.Gosched()
			if got := loc.Get(); got != i {
				t.Errorf("thread %d sees %d", i, got)
			}
			return nil
		})
		th.Start()
		wg.Go(func() { th.Join(bg) })
	}
	wg.Wait()
	if got := loc.Get(); got != -1 {
		t.Fatalf("this goroutine's value became %d", got)
	}
}

func TestLocalInit(t *testing.T) {
	var mu sync.Mutex
	inits := 0
	loc := NewLocal(func() map[string]int {
		mu.Lock()
		inits++
		mu.Unlock()
		return map[string]int{}
	})
	for range 3 {
		th := New(func() error {
			loc.Get()["x"]++
			loc.Get()["x"]++ // same map: init ran once in this thread
			if loc.Get()["x"] != 2 {
				t.Error("init ran twice in one thread")
			}
			return nil
		})
		th.Start()
		th.Join(bg)
	}
	if inits != 3 {
		t.Fatalf("init ran %d times for 3 threads", inits)
	}
	loc.Get()["y"] = 1
	loc.Delete()
	if _, ok := loc.Get()["y"]; ok {
		t.Fatal("Delete kept the value")
	}
}

func TestLocalDroppedWhenThreadStops(t *testing.T) {
	var loc Local[*[1 << 10]byte]
	th := New(func() error { loc.Set(new([1 << 10]byte)); return nil })
	th.Start()
	th.Join(bg)
	if n := len(loc.c().vals); n != 0 {
		t.Fatalf("%d values kept after the thread stopped", n)
	}
}

func TestLocalCollectedWhileThreadRuns(t *testing.T) {
	// test_local_refs: a Local that becomes unreachable does not live on
	// through the threads that used it, and neither does its handle.
	var cores []weak.Pointer[localCore]
	for i := range 1000 {
		loc := NewLocal(func() int { return 1 })
		loc.Get() // from this goroutine, which outlives them all
		cores = append(cores, weak.Make(loc.c()))
		if i%50 == 0 {
			runtime.GC()
		}
	}
	runtime.GC()
	alive := 0
	for _, w := range cores {
		if w.Value() != nil {
			alive++
		}
	}
	if alive > 1 {
		t.Fatalf("%d of 1000 unreachable Locals still alive", alive)
	}
	me := Current()
	me.mu.Lock()
	kept := len(me.locals)
	me.mu.Unlock()
	if kept > 200 {
		t.Fatalf("this thread keeps %d Local handles for 1000 dead Locals", kept)
	}
}
