package thread

import (
	"context"
	"errors"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

// The tests mirror CPython's lock_tests.EventTests.

func TestEventIsSet(t *testing.T) {
	var e Event
	for _, step := range []struct {
		op   func()
		want bool
	}{{func() {}, false}, {e.Set, true}, {e.Set, true}, {e.Clear, false}, {e.Clear, false}} {
		step.op()
		if e.IsSet() != step.want {
			t.Fatalf("IsSet = %v, want %v", e.IsSet(), step.want)
		}
	}
}

func checkEventNotify(t *testing.T, e *Event) {
	const n = 5
	results := make(chan error, 2*n)
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			results <- e.Wait(bg)
			results <- e.Wait(bg)
		})
	}
	synctest.Wait()
	if len(results) != 0 {
		t.Fatal("Wait returned before Set")
	}
	e.Set()
	wg.Wait()
	for range 2 * n {
		if err := <-results; err != nil {
			t.Fatal(err)
		}
	}
}

func TestEventNotify(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var e Event
		checkEventNotify(t, &e)
		e.Set()
		e.Clear()
		checkEventNotify(t, &e)
	})
}

func TestEventTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var e Event
		if err := e.Wait(cancelled()); !errors.Is(err, context.Canceled) {
			t.Fatalf("Wait(0) = %v", err)
		}
		ctx, cancel := context.WithTimeout(bg, 500*time.Millisecond)
		defer cancel()
		start := time.Now()
		if err := e.Wait(ctx); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Wait = %v", err)
		}
		if d := time.Since(start); d != 500*time.Millisecond {
			t.Fatalf("timed out after %v", d)
		}
		e.Set()
		if err := e.Wait(cancelled()); err != nil {
			t.Fatalf("Wait on a set event with a done ctx = %v", err)
		}
	})
}

func TestEventSetAndClear(t *testing.T) {
	// gh-13502: waiters woken by Set return nil even if Clear follows at once.
	synctest.Test(t, func(t *testing.T) {
		var e Event
		results := make(chan error, 5)
		for range 5 {
			go func() {
				ctx, cancel := context.WithTimeout(bg, time.Second)
				defer cancel()
				results <- e.Wait(ctx)
			}()
		}
		synctest.Wait()
		e.Set()
		e.Clear()
		for range 5 {
			if err := <-results; err != nil {
				t.Fatal(err)
			}
		}
	})
}

func TestEventChan(t *testing.T) {
	var e Event
	ch := e.Chan()
	if ready(ch) {
		t.Fatal("Chan ready before Set")
	}
	e.Set()
	if !ready(ch) || !ready(e.Chan()) {
		t.Fatal("Chan not ready after Set")
	}
	e.Clear()
	if ready(e.Chan()) {
		t.Fatal("new Chan ready after Clear")
	}
	if !ready(ch) {
		t.Fatal("a closed channel reopened")
	}
}
