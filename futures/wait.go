package futures

import (
	"context"
	"fmt"
	"iter"
)

// Awaitable is a Future of any result type, as Wait and AsCompleted take
// them; every *Future[T] is one, and nothing else is. Use []Awaitable to
// wait for futures of different result types together.
type Awaitable interface {
	Done() <-chan struct{}
	State() State
	Err() error
	futureCore() *core
}

// ReturnWhen says when Wait returns: Python's return_when.
type ReturnWhen int

const (
	// AllCompleted returns when every future is done (the default, as in
	// Python).
	AllCompleted ReturnWhen = iota
	// FirstCompleted returns when any future is done.
	FirstCompleted
	// FirstException returns when any future finishes with an error, or
	// when all are done. A cancelled future is done but did not fail.
	FirstException
)

func (w ReturnWhen) String() string {
	switch w {
	case AllCompleted:
		return "ALL_COMPLETED"
	case FirstCompleted:
		return "FIRST_COMPLETED"
	case FirstException:
		return "FIRST_EXCEPTION"
	}
	return fmt.Sprintf("ReturnWhen(%d)", int(w))
}

// Wait waits until the futures in fs meet the condition when, or ctx
// ends, and returns them split into done and not done, each in the order
// of fs with duplicates removed: Python's concurrent.futures.wait. err is
// ctx.Err() if ctx ended before the condition was met, else nil.
//
// A cancelled future is done, here as everywhere — even if it was
// cancelled while Wait was waiting. CPython's wait() treats a future
// cancelled but not yet "notified" as not done, and can miss it
// (gh-92001).
//
// Wait starts no goroutines: it registers with each future and removes
// its registrations before it returns.
func Wait[F Awaitable](ctx context.Context, fs []F, when ReturnWhen) (done, notDone []F, err error) {
	fs = unique(fs)
	w := newWatch(fs)
	defer w.close()
	met := func() bool {
		switch when {
		case FirstCompleted:
			return w.done > 0 || len(fs) == 0
		case FirstException:
			return w.raised || w.done == len(fs)
		default:
			return w.done == len(fs)
		}
	}
	for !met() {
		c, ctxErr := w.next(ctx)
		if ctxErr != nil {
			err = ctxErr
			break
		}
		w.see(c)
	}
	for _, f := range fs {
		if f.State().Done() {
			done = append(done, f)
		} else {
			notDone = append(notDone, f)
		}
	}
	return done, notDone, err
}

// AsCompleted yields the futures in fs as they complete (finish or are
// cancelled): first those already done, in the order of fs, then the rest
// in the order they complete; duplicates are yielded once. Python's
// concurrent.futures.as_completed. The error is nil for every future; if
// ctx ends first, AsCompleted yields a zero F and an error naming how many
// futures are unfinished that matches ctx.Err() (context.DeadlineExceeded
// for a timeout), and stops. Read each future's outcome with Result or Err.
//
// Like Wait, it starts no goroutines and leaves no registrations behind
// when the range ends, early or not.
func AsCompleted[F Awaitable](ctx context.Context, fs []F) iter.Seq2[F, error] {
	return func(yield func(F, error) bool) {
		fs := unique(fs)
		w := newWatch(fs)
		defer w.close()
		byCore := make(map[*core]F, len(w.watched))
		for _, f := range fs {
			c := f.futureCore()
			if _, watched := w.watched[c]; !watched {
				if !yield(f, nil) {
					return
				}
			} else {
				byCore[c] = f
			}
		}
		for w.done < len(fs) {
			c, err := w.next(ctx)
			if err != nil {
				var zero F
				yield(zero, fmt.Errorf("futures: %d (of %d) futures unfinished: %w", len(fs)-w.done, len(fs), err))
				return
			}
			w.see(c)
			if !yield(byCore[c], nil) {
				return
			}
		}
	}
}

// watch is Wait's and AsCompleted's registration with a set of futures:
// every future not yet done sends its core to ch when it completes.
type watch struct {
	ch      chan *core
	watched map[*core]struct{} // registered and not yet seen
	done    int                // futures seen done
	raised  bool               // some future seen done finished with an error
	pool    *pool              // the caller's own pool, if it owns a watched future
	looked  bool               // pool has been looked up
}

func newWatch[F Awaitable](fs []F) *watch {
	w := &watch{ch: make(chan *core, len(fs)), watched: make(map[*core]struct{})}
	for _, f := range fs {
		c := f.futureCore()
		if c.addHook(hook{watch: w.ch}) {
			w.watched[c] = struct{}{}
		} else {
			w.count(c)
		}
	}
	return w
}

func (w *watch) count(c *core) {
	w.done++
	w.raised = w.raised || c.raised()
}

// see records a completion received from ch.
func (w *watch) see(c *core) {
	delete(w.watched, c)
	w.count(c)
}

// next returns the next completion, waiting for it until ctx ends; then
// it returns ctx.Err(). Completions that arrived by then come first, so
// what a caller sees does not depend on which of the two won a race.
//
// A worker of a ThreadPoolExecutor that waits for futures of its own pool
// is counted as blocked while it waits (see ThreadPoolExecutor).
func (w *watch) next(ctx context.Context) (*core, error) {
	if c, ok := w.poll(); ok {
		return c, nil
	}
	if ctx.Err() == nil {
		if !w.looked {
			w.looked = true
			if p := workerPool(); p != nil {
				for c := range w.watched {
					if c.owner == p {
						w.pool = p
						break
					}
				}
			}
		}
		if w.pool != nil {
			w.pool.block()
			defer w.pool.unblock()
		}
		select {
		case c := <-w.ch:
			return c, nil
		case <-ctx.Done():
		}
	}
	if c, ok := w.poll(); ok {
		return c, nil
	}
	return nil, ctx.Err()
}

// poll returns a completion from ch without waiting, if there is one.
func (w *watch) poll() (*core, bool) {
	select {
	case c := <-w.ch:
		return c, true
	default:
		return nil, false
	}
}

func (w *watch) close() {
	for c := range w.watched {
		c.unwatch(w.ch)
	}
}

// unique returns fs without repeated futures, keeping first occurrences.
func unique[F Awaitable](fs []F) []F {
	seen := make(map[*core]struct{}, len(fs))
	out := make([]F, 0, len(fs))
	for _, f := range fs {
		c := f.futureCore()
		if _, dup := seen[c]; !dup {
			seen[c] = struct{}{}
			out = append(out, f)
		}
	}
	return out
}
