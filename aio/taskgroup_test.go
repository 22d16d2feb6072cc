package aio

import (
	"context"
	"errors"
	"io"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/concurgo/concur"
)

func TestTaskGroup(t *testing.T) {
	g, _ := NewTaskGroup(bg)
	var n atomic.Int32
	for range 10 {
		g.Go(func(context.Context) error { n.Add(1); return nil })
	}
	if err := g.Wait(); err != nil || n.Load() != 10 {
		t.Fatalf("Wait = %v after %d calls", err, n.Load())
	}
}

// The first failure cancels the siblings with itself as the cause; their
// cancellation errors are not reported again.
func TestTaskGroupFirstErrorCancelsSiblings(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		g, ctx := NewTaskGroup(bg)
		g.Go(func(ctx context.Context) error { return Sleep(ctx, time.Hour) })
		g.Go(func(ctx context.Context) error {
			<-ctx.Done()
			return context.Cause(ctx) // the cause, again
		})
		g.Go(func(ctx context.Context) error {
			if err := Sleep(ctx, time.Second); err != nil {
				return err
			}
			return io.ErrUnexpectedEOF
		})
		start := time.Now()
		err := g.Wait()
		if err != io.ErrUnexpectedEOF {
			t.Fatalf("Wait = %v, want only the failure", err)
		}
		if time.Since(start) != time.Second {
			t.Fatalf("siblings were not cancelled: Wait took %v", time.Since(start))
		}
		if context.Cause(ctx) != io.ErrUnexpectedEOF {
			t.Fatalf("group ctx cause %v", context.Cause(ctx))
		}
	})
}

// Failures that are not cancellations are all reported, joined, in the
// order they happened.
func TestTaskGroupJoinsFailures(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		g, _ := NewTaskGroup(bg)
		errA, errB := errors.New("a"), errors.New("b")
		g.Go(func(ctx context.Context) error {
			time.Sleep(time.Second) // does not watch ctx
			return errB
		})
		g.Go(func(ctx context.Context) error { return errA })
		err := g.Wait()
		if !errors.Is(err, errA) || !errors.Is(err, errB) || err.Error() != "a\nb" {
			t.Fatalf("Wait = %q, want a and b joined", err)
		}
	})
}

func TestTaskGroupPanicAndGoexit(t *testing.T) {
	g, _ := NewTaskGroup(bg)
	g.Go(func(context.Context) error { panic("boom") })
	err := g.Wait()
	var pe *concur.PanicError
	if !errors.As(err, &pe) || !strings.Contains(string(pe.Stack), "TestTaskGroupPanicAndGoexit") {
		t.Fatalf("Wait = %v, want a *concur.PanicError with the stack", err)
	}
	g, _ = NewTaskGroup(bg)
	g.Go(func(context.Context) error { runtime.Goexit(); return nil })
	if err := g.Wait(); !errors.Is(err, concur.ErrGoexit) {
		t.Fatalf("Wait = %v, want ErrGoexit", err)
	}
}

// A call may start more calls while the group runs; Wait waits for them.
func TestTaskGroupNestedGo(t *testing.T) {
	g, _ := NewTaskGroup(bg)
	var n atomic.Int32
	var spawn func(depth int) func(context.Context) error
	spawn = func(depth int) func(context.Context) error {
		return func(context.Context) error {
			n.Add(1)
			if depth > 0 {
				g.Go(spawn(depth - 1))
				g.Go(spawn(depth - 1))
			}
			return nil
		}
	}
	g.Go(spawn(6))
	if err := g.Wait(); err != nil || n.Load() != 127 {
		t.Fatalf("Wait = %v after %d calls, want 127", err, n.Load())
	}
}

func TestTaskGroupGoAfterWaitPanics(t *testing.T) {
	g, ctx := NewTaskGroup(bg)
	g.Wait()
	if ctx.Err() == nil {
		t.Fatal("Wait did not cancel the group's context")
	}
	if err := g.Wait(); err != nil {
		t.Fatalf("second Wait = %v", err)
	}
	defer func() {
		if r := recover(); r == nil || !strings.Contains(r.(string), "after Wait") {
			t.Fatalf("Go after Wait: panic %v", r)
		}
	}()
	g.Go(func(context.Context) error { return nil })
}

// The parent's cancellation is reported once.
func TestTaskGroupParentCancelled(t *testing.T) {
	parent, cancel := context.WithCancel(bg)
	g, _ := NewTaskGroup(parent)
	for range 5 {
		g.Go(func(ctx context.Context) error { <-ctx.Done(); return ctx.Err() })
	}
	cancel()
	if err := g.Wait(); err != context.Canceled {
		t.Fatalf("Wait = %v, want context.Canceled once", err)
	}
}

func TestTaskGroupConcurrentWaits(t *testing.T) {
	g, _ := NewTaskGroup(bg)
	release := make(chan struct{})
	g.Go(func(context.Context) error { <-release; return io.EOF })
	var wg sync.WaitGroup
	for range 3 {
		wg.Go(func() {
			if err := g.Wait(); err != io.EOF {
				t.Errorf("Wait = %v", err)
			}
		})
	}
	close(release)
	wg.Wait()
}

func TestTaskGroupStress(t *testing.T) {
	g, _ := NewTaskGroup(bg)
	var n atomic.Int64
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 500 {
				g.Go(func(context.Context) error { n.Add(1); return nil })
			}
		})
	}
	wg.Wait()
	if err := g.Wait(); err != nil || n.Load() != 4000 {
		t.Fatalf("Wait = %v after %d calls", err, n.Load())
	}
}
