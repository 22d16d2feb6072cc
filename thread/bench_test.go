package thread

import (
	"sync"
	"testing"
)

// Each benchmark has its baseline here, so one run gives the ratio:
// Lock and RLock against sync.Mutex, Thread start+join against a raw
// goroutine with a WaitGroup. Run with -cpu 2 -count 5 and compare medians.

func BenchmarkSyncMutex(b *testing.B) {
	var mu sync.Mutex
	for b.Loop() {
		mu.Lock()
		mu.Unlock()
	}
}

func BenchmarkLock(b *testing.B) {
	var l Lock
	for b.Loop() {
		l.Acquire(bg)
		l.Release()
	}
}

func BenchmarkRLock(b *testing.B) {
	var r RLock
	for b.Loop() {
		r.Acquire(bg)
		r.Release()
	}
}

func BenchmarkRLockReentrant(b *testing.B) {
	var r RLock
	r.Lock()
	defer r.Unlock()
	for b.Loop() {
		r.Acquire(bg)
		r.Release()
	}
}

func BenchmarkSyncMutexContended(b *testing.B) {
	var mu sync.Mutex
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			mu.Lock()
			mu.Unlock()
		}
	})
}

func BenchmarkLockContended(b *testing.B) {
	var l Lock
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			l.Acquire(bg)
			l.Release()
		}
	})
}

func BenchmarkGoroutineWaitGroup(b *testing.B) {
	for b.Loop() {
		var wg sync.WaitGroup
		wg.Add(1)
		go func() { wg.Done() }()
		wg.Wait()
	}
}

func BenchmarkThreadStartJoin(b *testing.B) {
	for b.Loop() {
		t := New(func() error { return nil })
		t.Start()
		t.Join(bg)
	}
}

func BenchmarkCurrent(b *testing.B) {
	Current()
	for b.Loop() {
		Current()
	}
}

func BenchmarkSemaphore(b *testing.B) {
	s := NewSemaphore(1)
	for b.Loop() {
		s.Acquire(bg)
		s.Release(1)
	}
}

func BenchmarkEventWaitSet(b *testing.B) {
	var e Event
	e.Set()
	for b.Loop() {
		e.Wait(bg)
	}
}

func BenchmarkLocalGet(b *testing.B) {
	var l Local[int]
	l.Set(1)
	for b.Loop() {
		l.Get()
	}
}
