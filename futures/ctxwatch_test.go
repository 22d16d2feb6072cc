package futures

import (
	"context"
	"errors"
	"io"
	"runtime"
	"testing"
	"testing/synctest"
	"time"
)

// TestBindSharesOneWatch: the futures bound to one context share a watch
// that cancels, when the context ends, exactly those that have not
// started, and then leaves the index.
func TestBindSharesOneWatch(t *testing.T) {
	synctest.Test(t, testBindSharesOneWatch)
}

func testBindSharesOneWatch(t *testing.T) {
	ctx, cancel := context.WithCancelCause(context.Background())
	other, stop := context.WithCancel(context.Background())
	defer stop()
	ps := make([]Promise[int], 100)
	for i := range ps {
		ps[i].Bind(ctx)
	}
	var elsewhere Promise[int]
	elsewhere.Bind(other)
	w := ps[0].f.watch
	for i := range ps {
		if ps[i].f.watch != w {
			t.Fatalf("future %d has a watch of its own", i)
		}
	}
	for i := 0; i < len(ps); i += 2 {
		if !ps[i].Start() {
			t.Fatalf("Start %d failed", i)
		}
	}
	cancel(io.ErrClosedPipe)
	synctest.Wait() // for the watch's AfterFunc
	for i := range ps {
		f := ps[i].Future()
		if i%2 == 0 {
			if f.State() != Running {
				t.Fatalf("started future %d is %v after its context ended", i, f.State())
			}
			ps[i].Resolve(i, nil)
		} else if !f.Cancelled() || !errors.Is(f.Err(), ErrCancelled) || !errors.Is(f.Err(), io.ErrClosedPipe) {
			t.Fatalf("pending future %d after its context ended: %v, %v", i, f, f.Err())
		}
	}
	if elsewhere.Future().State() != Pending {
		t.Fatalf("a future bound to another context is %v", elsewhere.Future().State())
	}
	if _, ok := ctxWatches.Load(ctx.Done()); ok {
		t.Fatal("the watch of an ended context is still indexed")
	}
	if w.first != nil {
		t.Fatal("the watch of an ended context still lists futures")
	}
	elsewhere.Cancel()
}

// TestBindWatchOutlivesItsFutures: a context's watch stays while the
// context lives, empty between calls, and still cancels a future bound
// later.
func TestBindWatchOutlivesItsFutures(t *testing.T) {
	synctest.Test(t, testBindWatchOutlivesItsFutures)
}

func testBindWatchOutlivesItsFutures(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	var first Promise[int]
	first.Bind(ctx)
	first.Start()
	first.Resolve(1, nil)
	w := first.f.watch
	if w.first != nil {
		t.Fatal("a started future is still in its watch")
	}
	var failed Promise[int]
	failed.Bind(ctx)
	if !failed.Fail(io.EOF) || w.first != nil {
		t.Fatal("a failed future is still in its watch")
	}
	var later Promise[int]
	later.Bind(ctx)
	if later.f.watch != w {
		t.Fatal("a later future did not reuse the context's watch")
	}
	cancel()
	synctest.Wait()
	if f := later.Future(); !f.Cancelled() || !errors.Is(f.Err(), context.Canceled) {
		t.Fatalf("future bound to a reused watch after its context ended: %v, %v", f, f.Err())
	}
}

// TestBindWatchCollectedWithContext: a context that is dropped without
// ending does not stay in the index of watches.
func TestBindWatchCollectedWithContext(t *testing.T) {
	done := bindAndDrop(t)
	for range 100 {
		runtime.GC()
		if _, ok := ctxWatches.Load(done); !ok {
			return
		}
		time.Sleep(10 * time.Millisecond) // cleanups run on their own goroutine
	}
	t.Fatal("the watch of a dropped context is still indexed")
}

// bindAndDrop binds and runs a future under a context that it then lets
// go of, never cancelled, and returns the context's Done channel.
func bindAndDrop(t *testing.T) <-chan struct{} {
	ctx, cancel := context.WithCancel(context.Background())
	defer runtime.KeepAlive(cancel) // dropped, never called
	var p Promise[int]
	p.Bind(ctx)
	p.Start()
	p.Resolve(1, nil)
	if _, ok := ctxWatches.Load(ctx.Done()); !ok {
		t.Fatal("no watch indexed for a bound context")
	}
	return ctx.Done()
}
