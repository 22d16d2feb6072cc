package process

import (
	"context"
	"iter"
	"runtime"
)

// A CallOption configures one call of a Pool.
type CallOption func(*callConfig)

type callConfig struct {
	chunksize int
	before    func() bool
	readsOwn  bool // the caller waits for its one task, and may read its result itself (Apply)
}

// Chunksize sets how many items travel to a worker together: Python's
// chunksize. Larger chunks cost fewer messages; smaller ones spread
// uneven work better and, for Imap, yield the first results sooner. The
// default is Python's: len/(4*workers) rounded up for Map and Starmap, 1
// for Imap and ImapUnordered. Apply ignores it. It panics if n < 1
// (Python: ValueError).
func Chunksize(n int) CallOption {
	if n < 1 {
		panic("process: Chunksize must be at least 1")
	}
	return func(c *callConfig) { c.chunksize = n }
}

// BeforeStart makes the pool call fn just before the call's first task is
// handed to a worker; if fn returns false, the call is dropped instead,
// and its result is an error matching context.Canceled. It is the hook an
// executor needs to keep a future pending until it runs, and to cancel
// it until then (futures.ProcessPoolExecutor uses it). Python has no
// counterpart. fn must return quickly: it runs on the pool's dispatching
// goroutine.
func BeforeStart(fn func() bool) CallOption {
	return func(c *callConfig) { c.before = fn }
}

func callOptions(opts []CallOption) callConfig {
	var c callConfig
	for _, o := range opts {
		o(&c)
	}
	return c
}

func mustFunc[A, R any](fn *Func[A, R], what string) {
	if fn == nil {
		panic("process: " + what + " with a nil Func")
	}
}

// ApplyAsync runs fn(arg) on a worker of p and returns its result to come:
// Python's Pool.apply_async. The argument is encoded at once, in the
// caller: an argument the codec cannot encode (or one carrying an OS
// handle, which a pool task cannot) is reported here, as an
// *EncodeError. ApplyAsync also returns ErrPoolClosed after Close, an
// ErrBrokenPool error, and context.Cause(ctx) if ctx is already done.
//
// ctx is the call's context: if it ends before the call finishes, the
// call is dropped or, if it runs, its worker is killed and replaced, and
// the result is context.Cause(ctx).
func ApplyAsync[A, R any](ctx context.Context, p *Pool, fn *Func[A, R], arg A, opts ...CallOption) (*AsyncResult[R], error) {
	mustFunc(fn, "ApplyAsync")
	return applyAsync(ctx, p, fn, arg, callOptions(opts))
}

func applyAsync[A, R any](ctx context.Context, p *Pool, fn *Func[A, R], arg A, cfg callConfig) (*AsyncResult[R], error) {
	if ctx.Err() != nil {
		return nil, context.Cause(ctx)
	}
	c := newPoolCall(p.e, ctx, &cfg)
	b := &batch[A, R]{c: c, fn: fn, args: []A{arg}, vals: make([]R, 1)}
	t := &poolTask{b: b, lo: 0, hi: 1}
	if err := p.e.kind.prepare(t); err != nil {
		return nil, err
	}
	c.seal(1)
	c.watch()
	if err := p.e.submit(t); err != nil {
		c.unwatchNow()
		return nil, err
	}
	runtime.KeepAlive(p)
	return &AsyncResult[R]{c: c, value: func() R { return b.vals[0] }}, nil
}

// Apply runs fn(arg) on a worker of p and returns its result: Python's
// Pool.apply. A function that returns an error or panics in a worker
// process gives a *RemoteError; a worker that dies gives an *ExitError.
// If ctx ends first, the worker running the call is killed and replaced,
// and Apply returns context.Cause(ctx). See ApplyAsync.
func Apply[A, R any](ctx context.Context, p *Pool, fn *Func[A, R], arg A) (R, error) {
	mustFunc(fn, "Apply")
	// Only a process worker hands its read role over (see readRole).
	_, proc := p.e.kind.(procKind)
	r, err := applyAsync(ctx, p, fn, arg, callConfig{readsOwn: proc})
	if err != nil {
		var zero R
		return zero, err
	}
	r.c.wait() // ctx ending aborts the call, which ends the wait
	return r.result()
}

// MapAsync runs fn on every element of args, on the workers of p, and
// returns the results to come, in the order of args: Python's
// Pool.map_async. The items travel in chunks (see Chunksize). The result
// is the error of the first item that failed, in input order, if any
// failed — as Python's, it waits for all items either way. args is read
// while the call runs: do not modify it until the result is ready.
//
// ctx is the call's context: if it ends first, the call's queued items
// are dropped, the workers running its items are killed and replaced,
// and the result is context.Cause(ctx).
func MapAsync[A, R any](ctx context.Context, p *Pool, fn *Func[A, R], args []A, opts ...CallOption) (*AsyncResult[[]R], error) {
	mustFunc(fn, "MapAsync")
	if ctx.Err() != nil {
		return nil, context.Cause(ctx)
	}
	cfg := callOptions(opts)
	n := len(args)
	chunk := cfg.chunksize
	if chunk == 0 {
		// Python's: divmod(len, 4*workers), rounded up.
		chunk = max(1, (n+4*p.e.cfg.size-1)/(4*p.e.cfg.size))
	}
	c := newPoolCall(p.e, ctx, &cfg)
	vals := make([]R, n)
	tasks := make([]*poolTask, 0, (n+chunk-1)/chunk)
	for lo := 0; lo < n; lo += chunk {
		hi := min(lo+chunk, n)
		b := &batch[A, R]{c: c, fn: fn, args: args[lo:hi:hi], vals: vals[lo:hi:hi], at: lo}
		tasks = append(tasks, &poolTask{b: b, lo: 0, hi: hi - lo})
	}
	c.seal(n)
	r := &AsyncResult[[]R]{c: c, value: func() []R { return vals }}
	if n == 0 {
		return r, nil
	}
	c.watch()
	if err := p.e.submit(tasks...); err != nil {
		c.unwatchNow()
		return nil, err
	}
	runtime.KeepAlive(p)
	return r, nil
}

// Map runs fn on every element of args, on the workers of p, and returns
// the results in the order of args: Python's Pool.map. If an item failed,
// Map returns the error of the first one in input order, and no results
// (use Imap for each item's own outcome). See MapAsync.
func Map[A, R any](ctx context.Context, p *Pool, fn *Func[A, R], args []A, opts ...CallOption) ([]R, error) {
	r, err := MapAsync(ctx, p, fn, args, opts...)
	if err != nil {
		return nil, err
	}
	<-r.Done()
	return r.result()
}

// Pair is two arguments of a function that Starmap calls: Go has no
// tuples, so a function of several arguments is registered on a struct.
// Pair is the struct for two, and lets Starmap take its arguments as an
// iter.Seq2, Go's sequence of pairs (maps.All, slices.All, or a zip of
// two sequences). For more arguments, register the function on a struct
// of your own and use Map.
type Pair[A, B any] struct {
	First  A
	Second B
}

func pairs[A, B any](args iter.Seq2[A, B]) []Pair[A, B] {
	var ps []Pair[A, B]
	for a, b := range args {
		ps = append(ps, Pair[A, B]{a, b})
	}
	return ps
}

// StarmapAsync is MapAsync for a function of two arguments, taken from
// the pairs of args: Python's Pool.starmap_async. args is read before
// StarmapAsync returns.
func StarmapAsync[A, B, R any](ctx context.Context, p *Pool, fn *Func[Pair[A, B], R], args iter.Seq2[A, B], opts ...CallOption) (*AsyncResult[[]R], error) {
	mustFunc(fn, "StarmapAsync")
	return MapAsync(ctx, p, fn, pairs(args), opts...)
}

// Starmap is Map for a function of two arguments, taken from the pairs
// of args: Python's Pool.starmap, whose iterable of argument tuples is
// here an iter.Seq2.
//
//	var Mul = process.RegisterFunc("mul", func(p process.Pair[int, int]) int { return p.First * p.Second })
//	products, err := process.Starmap(ctx, pool, Mul, slices.All([]int{3, 4, 5})) // [0 4 10]: index times value
func Starmap[A, B, R any](ctx context.Context, p *Pool, fn *Func[Pair[A, B], R], args iter.Seq2[A, B], opts ...CallOption) ([]R, error) {
	mustFunc(fn, "Starmap")
	return Map(ctx, p, fn, pairs(args), opts...)
}

// Imap runs fn on the elements of args, on the workers of p, and yields
// each result with its own error, in the order of args: Python's
// Pool.imap. A failed item does not end the sequence.
//
// Nothing happens until the range begins. Then Imap reads args as the
// workers need more (it keeps a few chunks per worker queued), so args
// may be long or endless; Python's imap reads its whole input at once.
// Breaking out of the range stops the call: its queued items are dropped
// and the workers running its items are killed and replaced. If ctx
// ends, the sequence yields context.Cause(ctx) once and ends, stopping
// the call the same way. If the pool is closed or broken, the sequence
// yields that error once and ends. The sequence can be ranged over once.
func Imap[A, R any](ctx context.Context, p *Pool, fn *Func[A, R], args iter.Seq[A], opts ...CallOption) iter.Seq2[R, error] {
	mustFunc(fn, "Imap")
	return stream(ctx, p, fn, args, opts, true)
}

// ImapUnordered is Imap that yields the results as they are ready rather
// than in input order: Python's Pool.imap_unordered.
func ImapUnordered[A, R any](ctx context.Context, p *Pool, fn *Func[A, R], args iter.Seq[A], opts ...CallOption) iter.Seq2[R, error] {
	mustFunc(fn, "ImapUnordered")
	return stream(ctx, p, fn, args, opts, false)
}

func stream[A, R any](ctx context.Context, p *Pool, fn *Func[A, R], args iter.Seq[A], opts []CallOption, ordered bool) iter.Seq2[R, error] {
	cfg := callOptions(opts)
	used := false
	return func(yield func(R, error) bool) {
		if used {
			return
		}
		used = true
		s := &streamer[A, R]{p: p, fn: fn, ordered: ordered, chunk: max(1, cfg.chunksize), window: 4 * p.e.cfg.size}
		s.c = newPoolCall(p.e, ctx, &cfg)
		s.c.stream = true
		s.c.wake = make(chan struct{}, 1)
		defer s.c.abort(context.Canceled) // a no-op once the call ended; else the consumer stopped early
		defer runtime.KeepAlive(p)
		if ctx.Err() != nil {
			var zero R
			yield(zero, context.Cause(ctx))
			return
		}
		s.c.watch()
		s.run(args, yield)
	}
}

// streamer runs one Imap or ImapUnordered: it submits chunks as args
// yields them, keeping at most window of them in flight, and yields the
// results as the call's spans report them.
type streamer[A, R any] struct {
	p       *Pool
	fn      *Func[A, R]
	c       *poolCall
	ordered bool
	chunk   int
	window  int

	flight  []*batch[A, R] // submitted and not entirely yielded, in input order
	pending []span         // unordered: finished runs not yet yielded
	n       int            // items submitted
	done    bool           // stop: the consumer or the call is finished
}

func (s *streamer[A, R]) run(args iter.Seq[A], yield func(R, error) bool) {
	buf := make([]A, 0, s.chunk)
	for a := range args {
		buf = append(buf, a)
		if len(buf) < s.chunk {
			continue
		}
		if !s.submit(buf, yield) || !s.drain(yield, s.window-1) {
			return
		}
		buf = make([]A, 0, s.chunk)
	}
	if len(buf) > 0 && !s.submit(buf, yield) {
		return
	}
	if s.drain(yield, 0) {
		s.c.end() // every item is finished and yielded
	}
}

func (s *streamer[A, R]) submit(args []A, yield func(R, error) bool) bool {
	b := &batch[A, R]{c: s.c, fn: s.fn, args: args, vals: make([]R, len(args)), at: s.n, ready: make([]bool, len(args))}
	if err := s.p.e.submit(&poolTask{b: b, lo: 0, hi: len(args)}); err != nil {
		var zero R
		yield(zero, err)
		return false
	}
	s.n += len(args)
	s.flight = append(s.flight, b)
	return true
}

// drain yields what it can, waiting for results until at most limit
// chunks are in flight. It reports whether the stream goes on.
func (s *streamer[A, R]) drain(yield func(R, error) bool, limit int) bool {
	for {
		if !s.yieldReady(yield) {
			return false
		}
		if len(s.flight) <= limit {
			return true
		}
		select {
		case <-s.c.wake:
		case <-s.c.done:
			s.take()
			if !s.yieldReady(yield) {
				return false
			}
			if err := s.c.outcome(); err != nil {
				var zero R
				yield(zero, err)
			}
			return false
		}
		s.take()
	}
}

// take moves the finished runs the call has recorded into the batches.
func (s *streamer[A, R]) take() {
	c := s.c
	c.mu.Lock()
	spans, errs := c.spans, c.errs
	c.spans, c.errs = nil, nil
	c.mu.Unlock()
	for _, sp := range spans {
		b := sp.b.(*batch[A, R])
		for i := sp.lo; i < sp.hi; i++ {
			b.ready[i] = true
			if err, ok := errs[b.at+i]; ok {
				if b.errs == nil {
					b.errs = make([]error, len(b.vals))
				}
				b.errs[i] = err
			}
		}
	}
	if !s.ordered {
		s.pending = append(s.pending, spans...)
	}
}

// yieldReady yields the results that can be yielded now, and reports
// whether the consumer wants more.
func (s *streamer[A, R]) yieldReady(yield func(R, error) bool) bool {
	if s.ordered {
		for len(s.flight) > 0 {
			b := s.flight[0]
			for b.next < len(b.vals) && b.ready[b.next] {
				if !b.yield(b.next, yield) {
					return false
				}
			}
			if b.next < len(b.vals) {
				return true
			}
			s.flight[0] = nil
			s.flight = s.flight[1:]
		}
		return true
	}
	for len(s.pending) > 0 {
		sp := s.pending[0]
		b := sp.b.(*batch[A, R])
		for i := sp.lo; i < sp.hi; i++ {
			if !b.yield(i, yield) {
				s.pending[0].lo = i + 1
				return false
			}
		}
		s.pending = s.pending[1:]
		if b.next == len(b.vals) {
			for k, f := range s.flight {
				if f == b {
					s.flight = append(s.flight[:k], s.flight[k+1:]...)
					break
				}
			}
		}
	}
	return true
}

// yield yields item i of b and lets go of it. next counts the items
// yielded; in input order, it is also the next one to yield.
func (b *batch[A, R]) yield(i int, yield func(R, error) bool) bool {
	var err error
	if b.errs != nil {
		err = b.errs[i]
	}
	v := b.vals[i]
	var zero R
	b.vals[i] = zero
	b.next++
	return yield(v, err)
}
