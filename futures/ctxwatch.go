package futures

import (
	"context"
	"runtime"
	"sync"
	"weak"
)

// A bound future (Promise.Bind) must be cancelled the moment its context
// ends while it waits in a queue. A context.AfterFunc per future would do,
// but it allocates and locks the context on every submit and again on
// every start, which nearly tripled the cost of a call on a thread pool.
// Calls are mostly submitted under a few long-lived contexts — a
// program's, a request's — so the futures bound to one context share one
// watch: a list of those still pending, and a single AfterFunc that
// cancels them all. A future leaves the list when it starts or is settled
// otherwise.
//
// A watch lasts as long as its context: it ends when the context does, or
// is collected with it. The index of watches holds them weakly for that
// reason; what keeps a watch alive is its AfterFunc, which the context
// holds, and the futures in it.

// ctxWatch is the shared watch of the pending futures bound to contexts
// with one Done channel (a context and, say, its WithValue children end
// together, with the same cause).
type ctxWatch struct {
	ctx context.Context // the first bound, to ask for the cause

	mu    sync.Mutex
	first *core // the futures bound and still pending, linked by watchPrev/watchNext
	over  bool  // the context ended: out of ctxWatches, takes no more futures
	key   watchKey
}

// watchKey is a watch's entry in ctxWatches.
type watchKey struct {
	done <-chan struct{}
	self weak.Pointer[ctxWatch]
}

// ctxWatches indexes the live watches by Done channel.
var ctxWatches sync.Map // <-chan struct{} -> weak.Pointer[ctxWatch]

// bindCore adds c, a pending future not yet shared, to the watch of ctx,
// which can end and has not ended yet.
func bindCore(c *core, ctx context.Context) {
	done := ctx.Done()
	for {
		v, found := ctxWatches.Load(done)
		if !found {
			if addWatch(c, ctx, done) {
				return
			}
			continue // another binder added one first
		}
		w := v.(weak.Pointer[ctxWatch]).Value()
		if w == nil {
			// Collected with its context, the cleanup not run yet. Only
			// contexts that end together share a Done channel, so none
			// of them can be unreachable while ctx is here; but a stale
			// entry must never stop a future from being bound.
			ctxWatches.CompareAndDelete(done, v)
			continue
		}
		w.mu.Lock()
		if !w.over {
			w.linkLocked(c)
			w.mu.Unlock()
			return
		}
		// The context ended after Load found its watch, which is out of
		// the index now; ctx has ended too, and the next Load finds a
		// fresh watch to bind to, which cancels c at once.
		w.mu.Unlock()
	}
}

// addWatch makes the watch of ctx with c in it, unless ctx has a watch
// already.
func addWatch(c *core, ctx context.Context, done <-chan struct{}) bool {
	w := &ctxWatch{ctx: ctx}
	w.key = watchKey{done, weak.Make(w)}
	w.mu.Lock() // until c is in: the AfterFunc may run at once
	defer w.mu.Unlock()
	if _, loaded := ctxWatches.LoadOrStore(done, w.key.self); loaded {
		return false
	}
	w.linkLocked(c)
	context.AfterFunc(ctx, w.fire)
	runtime.AddCleanup(w, func(k watchKey) { ctxWatches.CompareAndDelete(k.done, k.self) }, w.key)
	return true
}

func (w *ctxWatch) linkLocked(c *core) {
	c.watch, c.watchNext, c.bound = w, w.first, true
	if w.first != nil {
		w.first.watchPrev = c
	}
	w.first = c
}

// release takes c out of the watch it was bound to, if it is still in
// it: c has started or is settled.
func (c *core) release() {
	w := c.watch
	if w == nil {
		return
	}
	w.mu.Lock()
	if c.bound {
		c.bound = false
		if c.watchPrev != nil {
			c.watchPrev.watchNext = c.watchNext
		} else {
			w.first = c.watchNext
		}
		if c.watchNext != nil {
			c.watchNext.watchPrev = c.watchPrev
		}
		c.watchPrev, c.watchNext = nil, nil
	}
	w.mu.Unlock()
}

// fire ends the watch and cancels every future still in it: its context
// has ended.
func (w *ctxWatch) fire() {
	w.mu.Lock()
	w.over = true
	ctxWatches.CompareAndDelete(w.key.done, w.key.self)
	var pending []*core
	for c := w.first; c != nil; {
		next := c.watchNext
		c.bound, c.watchPrev, c.watchNext = false, nil, nil
		pending = append(pending, c)
		c = next
	}
	w.first = nil
	w.mu.Unlock()
	err := cancelledBy(w.ctx)
	for _, c := range pending {
		c.settlePending(Cancelled, err)
	}
}
