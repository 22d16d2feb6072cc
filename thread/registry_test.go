package thread

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

func TestCurrentInThread(t *testing.T) {
	got := make(chan *Thread, 1)
	nested := func() { got <- Current() } // a plain call: no ctx, no Thread passed
	th := New(func() error { nested(); return nil })
	th.Start()
	th.Join(bg)
	if c := <-got; c != th {
		t.Fatalf("Current() in thread = %v, want %v", c, th)
	}
}

func TestMainThread(t *testing.T) {
	m := Main()
	if m.Name() != "MainThread" || m.Daemon() || !m.IsAlive() || m.Ident() == 0 {
		t.Fatalf("Main() = %v", m)
	}
	if err := m.Start(); !errors.Is(err, ErrAlreadyStarted) {
		t.Fatalf("Main().Start() = %v", err)
	}
	if m.Done() != nil {
		t.Fatal("Main has a Done channel")
	}
	// Joining the main goroutine waits for ctx: it ends with the program.
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithTimeout(bg, time.Second)
		defer cancel()
		if err := m.Join(ctx); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Main().Join = %v", err)
		}
	})
	if !slices.Contains(Enumerate(), m) {
		t.Fatal("Enumerate lacks Main")
	}
}

func TestDummyThread(t *testing.T) {
	type seen struct {
		d, again *Thread
		alive    bool
		joinErr  error
		ident    int64
	}
	ch := make(chan seen)
	release := make(chan struct{})
	go func() {
		d := Current()
		ch <- seen{d, Current(), d.IsAlive(), d.Join(bg), Ident()}
		<-release
	}()
	s := <-ch
	d := s.d
	if s.again != d {
		t.Fatal("same goroutine got two dummies")
	}
	if d.Ident() != s.ident {
		t.Fatalf("dummy Ident %d, goroutine's %d", d.Ident(), s.ident)
	}
	if !s.alive || !d.Daemon() || d.Ident() == 0 {
		t.Fatalf("dummy %v: alive %v", d, s.alive)
	}
	if !errors.Is(s.joinErr, ErrDummyThread) {
		t.Fatalf("dummy Join = %v", s.joinErr)
	}
	if err := d.Start(); !errors.Is(err, ErrAlreadyStarted) {
		t.Fatalf("dummy Start = %v", err)
	}
	var n int
	if _, err := fmt.Sscanf(d.Name(), "Dummy-%d", &n); err != nil {
		t.Fatalf("dummy name %q", d.Name())
	}
	if !slices.Contains(Enumerate(), d) {
		t.Fatal("Enumerate lacks a running dummy")
	}
	close(release)
	waitFor(t, func() bool { return !d.IsAlive() })
	if slices.Contains(Enumerate(), d) {
		t.Fatal("Enumerate lists the dummy of an ended goroutine")
	}
}

// waitFor polls cond: goroutine exit cannot be awaited otherwise.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for range 1000 {
		if cond() {
			return
		}
		time.Sleep(time.Millisecond)
	}
	t.Fatal("condition not reached")
}

func TestDummiesDoNotLeak(t *testing.T) {
	// Many short-lived foreign goroutines call Current and set a Local; the
	// registry must not keep them all.
	var loc Local[[]byte]
	const n = 5000
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			Current()
			loc.Set(make([]byte, 64))
		})
		if i%100 == 99 {
			wg.Wait() // keep few alive at a time, as a server would
		}
	}
	wg.Wait()
	reg.mu.RLock()
	dummies := reg.dummies
	reg.mu.RUnlock()
	if dummies > n/4 {
		t.Fatalf("%d dummies kept after %d goroutines ended", dummies, n)
	}
	loc.c().mu.Lock()
	vals := len(loc.c().vals)
	loc.c().mu.Unlock()
	if vals > n/4 {
		t.Fatalf("%d Local values kept after %d goroutines ended", vals, n)
	}
	Enumerate() // prunes them all
	reg.mu.RLock()
	dummies = reg.dummies
	reg.mu.RUnlock()
	if dummies > 1 {
		t.Fatalf("%d dummies after Enumerate", dummies)
	}
}

func TestEnumerate(t *testing.T) {
	var release Event
	before := ActiveCount()
	var threads []*Thread
	for range 3 {
		th := New(func() error { return release.Wait(bg) })
		th.Start() // listed from here on, scheduled or not
		threads = append(threads, th)
	}
	list := Enumerate()
	for _, th := range threads {
		if !slices.Contains(list, th) {
			t.Fatalf("Enumerate lacks started thread %v", th)
		}
	}
	if !slices.IsSortedFunc(list, func(a, b *Thread) int { return int(a.num - b.num) }) {
		t.Fatal("Enumerate not in creation order")
	}
	if got := ActiveCount(); got != before+3 {
		t.Fatalf("ActiveCount = %d, want %d", got, before+3)
	}
	release.Set()
	for _, th := range threads {
		th.Join(bg)
	}
	// test_enumerate_after_join: a joined thread is gone.
	list = Enumerate()
	for _, th := range threads {
		if slices.Contains(list, th) {
			t.Fatalf("Enumerate lists joined thread %v", th)
		}
	}
	if unstarted := New(worker); slices.Contains(Enumerate(), unstarted) {
		t.Fatal("Enumerate lists an unstarted thread")
	}
}

func TestWaitNonDaemon(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var release Event
		nd := New(func() error { return release.Wait(bg) }, WithDaemon(false))
		d := New(func() error { return release.Wait(bg) }, WithDaemon(true))
		nd.Start()
		d.Start()
		ctx, cancel := context.WithTimeout(bg, time.Second)
		defer cancel()
		if err := WaitNonDaemon(ctx); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("WaitNonDaemon = %v while a non-daemon runs", err)
		}
		// Threads started while waiting are waited for too.
		second := New(func() error { time.Sleep(time.Minute); return nil }, WithDaemon(false))
		done := goFn(func() error { return WaitNonDaemon(bg) })
		synctest.Wait()
		second.Start()
		release.Set()
		synctest.Wait()
		if ready(done) {
			t.Fatal("WaitNonDaemon returned while a non-daemon thread runs")
		}
		start := time.Now()
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		if d := time.Since(start); d != time.Minute {
			t.Fatalf("WaitNonDaemon returned after %v", d)
		}
		d.Join(bg)
	})
}

func TestWaitNonDaemonFromNonDaemonThread(t *testing.T) {
	th := New(func() error { return WaitNonDaemon(bg) }, WithDaemon(false))
	th.Start()
	if err := th.Join(bg); err != nil {
		t.Fatal(err)
	}
}
