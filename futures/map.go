package futures

import (
	"context"
	"iter"
)

// MapOption configures Map.
type MapOption func(*mapConfig)

type mapConfig struct {
	buffer int
}

// Buffer bounds how many calls Map keeps submitted ahead of the caller:
// Python's buffersize. With it, Map reads in only as results are
// consumed, so in may be endless. It panics if n < 1.
//
// Unlike Python, a buffered Map submits nothing until the range over its
// results begins: a Go sequence can only be resumed from inside a range
// (or an iter.Pull that someone must stop), and a Map nobody ranges over
// must not leave one suspended.
func Buffer(n int) MapOption {
	if n < 1 {
		panic("futures: Map buffer must be at least 1")
	}
	return func(c *mapConfig) { c.buffer = n }
}

// Map calls fn(ctx, a) on e for every a in in and yields the results in
// input order: Python's Executor.map. Each call's result comes with its
// own error, and a failed call does not stop the sequence.
//
// Map submits every call before it returns, as Python does (with Buffer,
// see there); the returned sequence is single-use. ctx is every call's
// context and the deadline for the whole map, as Python's timeout is
// measured from the call to map: when ctx ends, the sequence yields one
// last (zero, ctx.Err()) and the calls that have not started are
// cancelled. Stopping the range early cancels them too (Python's close()).
// An error from fn that happens to be context.DeadlineExceeded is that
// call's result and does not end the sequence.
//
// If e refuses a call (ErrShutdown, ErrBroken), the sequence yields the
// results of the calls submitted before it, then e's error, and ends.
func Map[A, R any](ctx context.Context, e Executor, fn func(context.Context, A) (R, error), in iter.Seq[A], opts ...MapOption) iter.Seq2[R, error] {
	if fn == nil {
		panic("futures: Map with a nil func")
	}
	var cfg mapConfig
	for _, o := range opts {
		o(&cfg)
	}
	m := &mapper[A, R]{ctx: ctx, e: e, fn: fn}
	if cfg.buffer == 0 {
		for a := range in {
			if !m.submit(a) {
				break
			}
		}
		return m.results(nil, 0)
	}
	return func(yield func(R, error) bool) {
		next, stop := iter.Pull(in)
		defer stop()
		m.results(next, cfg.buffer)(yield)
	}
}

// mapper holds a Map's submitted calls in input order.
type mapper[A, R any] struct {
	ctx   context.Context
	e     Executor
	fn    func(context.Context, A) (R, error)
	queue []*Future[R] // queue[head:] are submitted and not yet yielded
	head  int
	err   error // why submitting stopped; yielded after the queue
	used  bool
}

func (m *mapper[A, R]) submit(a A) bool {
	c := &mapCall[A, R]{ctx: m.ctx, fn: m.fn, arg: a}
	f, err := Schedule(m.ctx, m.e, c, &c.Promise)
	if err != nil {
		m.err = err
		return false
	}
	m.queue = append(m.queue, f)
	return true
}

// results yields the queued results in order. With next, it first
// submits up to buffer calls from next and then one more before each wait,
// as Python's buffered map does.
func (m *mapper[A, R]) results(next func() (A, bool), buffer int) iter.Seq2[R, error] {
	return func(yield func(R, error) bool) {
		if m.used {
			return
		}
		m.used = true
		defer m.cancelRest()
		pull := func() {
			if next == nil || m.err != nil {
				return
			}
			if a, ok := next(); !ok || !m.submit(a) {
				next = nil
			}
		}
		for range buffer {
			pull()
		}
		var zero R
		for {
			pull()
			if m.head == len(m.queue) {
				if m.err != nil {
					yield(zero, m.err)
				}
				return
			}
			f := m.queue[m.head]
			m.queue[m.head] = nil // do not keep yielded results alive
			m.head++
			v, err := f.Result(m.ctx)
			if err != nil && m.ctx.Err() != nil && f.State() != Finished {
				// The wait ran out, or ctx cancelled the call in the queue.
				yield(zero, m.ctx.Err())
				return
			}
			if !yield(v, err) {
				return
			}
		}
	}
}

// cancelRest cancels the calls not yet yielded, newest first, so a worker
// that frees up does not start one that is about to be cancelled.
func (m *mapper[A, R]) cancelRest() {
	for i := len(m.queue) - 1; i >= m.head; i-- {
		m.queue[i].Cancel()
	}
	m.queue = m.queue[:m.head]
}

// mapCall is the Task Map makes: fn bound to one argument.
type mapCall[A, R any] struct {
	Promise[R]
	ctx context.Context
	fn  func(context.Context, A) (R, error)
	arg A
}

func (c *mapCall[A, R]) Run() {
	if c.Start() {
		runGuarded(&c.f, func() (R, error) { return c.fn(c.ctx, c.arg) })
		// The future outlives the call: let go of what only the call needed.
		var zero A
		c.fn, c.ctx, c.arg = nil, nil, zero
	}
}
