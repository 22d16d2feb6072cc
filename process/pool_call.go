package process

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
)

// poolCall is one call of a Pool front end — one Map, Imap, Apply — as
// the engine sees it: its context, and the bookkeeping of its items,
// whatever their types. Its items live in batches (poolBatch), one per
// chunk; an item's index in the call is its batch's base plus its index
// in the batch.
type poolCall struct {
	e       *poolEngine
	ctx     context.Context
	before  func() bool // BeforeStart
	begun   atomic.Bool // before has been asked
	refused atomic.Bool // and said no
	over    atomic.Bool // completed or aborted: nothing more is recorded

	mu      sync.Mutex
	unwatch func() bool   // stops watching ctx
	left    int           // items not finished, once sealed
	sealed  bool          // all items are submitted, so left counts down to completion
	errs    map[int]error // the failed items, by index in the call
	cause   error         // why the call was aborted
	done    chan struct{} // closed when the call completes or is aborted
	hooks   []func()      // run once, when done is closed

	stream bool          // a consumer takes finished items as they come (Imap)
	spans  []span        // finished runs not yet taken, in completion order
	wake   chan struct{} // holds a token while spans may be non-empty

	// For a call of one task whose caller waits for it (Apply): the read
	// role of the worker it went to, if that worker hands it over (see
	// readRole). Nil for other calls.
	turn chan resultReader
}

// span is a run of finished items of a batch.
type span struct {
	b      poolBatch
	lo, hi int
}

// poolBatch is a chunk of a call, typed by the function it runs: its
// arguments, its results and their codec. *batch[A, R] is the only kind.
type poolBatch interface {
	call() *poolCall
	base() int
	funcName() string
	// encode encodes the arguments of items [lo, hi) as one []A.
	encode(lo, hi int) ([]byte, error)
	// decode stores the results of items [lo, lo+n) but the failed ones
	// (listed by increasing index), which data holds as one []R.
	decode(lo, n int, data []byte, failed []itemError) error
	// threadRun returns how a thread worker runs items [lo, hi) with ctx:
	// item runs item i (relative to lo) and keeps its result aside, and
	// commit stores the kept results of [from, to) in the batch.
	threadRun(ctx context.Context, lo, hi int) (item func(int) error, commit func(from, to int))
}

// errDeclined is the outcome of a call whose BeforeStart hook said no.
var errDeclined = fmt.Errorf("process: the task was dropped by its BeforeStart hook: %w", context.Canceled)

func newPoolCall(e *poolEngine, ctx context.Context, cfg *callConfig) *poolCall {
	c := &poolCall{e: e, ctx: ctx, before: cfg.before, done: make(chan struct{})}
	if cfg.readsOwn {
		c.turn = make(chan resultReader, 1)
	}
	return c
}

// handTurn gives the caller r, the read role of the worker its task went
// to, and reports whether it took it: only a caller that waits, and only
// while the call is not over — once it is, its caller may be gone.
func (c *poolCall) handTurn(r resultReader) bool {
	if c.turn == nil {
		return false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.over.Load() {
		return false
	}
	select {
	case c.turn <- r:
		return true
	default: // one task, so one turn at a time; never happens
		return false
	}
}

// wait waits until the call is done, reading its result itself when a
// worker hands it the read role.
func (c *poolCall) wait() {
	for {
		select {
		case r := <-c.turn:
			r.readFor(c)
		case <-c.done:
			// A turn handed over just before the call ended goes back
			// (readFor reads nothing once the call is over); none can
			// come after.
			select {
			case r := <-c.turn:
				r.readFor(c)
			default:
			}
			return
		}
	}
}

// watch makes the end of ctx abort the call.
func (c *poolCall) watch() {
	c.mu.Lock() // the func may run before AfterFunc returns
	c.unwatch = context.AfterFunc(c.ctx, func() { c.abort(context.Cause(c.ctx)) })
	c.mu.Unlock()
}

// unwatchNow stops watching ctx for a call that was never submitted.
func (c *poolCall) unwatchNow() {
	c.mu.Lock()
	stop := c.unwatch
	c.mu.Unlock()
	stop()
}

// seal records that the call has n items in all.
func (c *poolCall) seal(n int) {
	c.mu.Lock()
	c.left += n
	c.sealed = true
	if c.left == 0 {
		c.completeLocked()
		return
	}
	c.mu.Unlock()
}

// begin is asked before each of the call's tasks is sent to a worker. It
// reports whether the call still wants its tasks to run, asking the
// BeforeStart hook the first time; declined reports that the hook said
// no, and then the caller must call decline once it can run callbacks.
func (c *poolCall) begin() (ok, declined bool) {
	if c.over.Load() || c.refused.Load() {
		return false, false
	}
	if c.before != nil && c.begun.CompareAndSwap(false, true) && !c.before() {
		c.refused.Store(true)
		return false, true
	}
	return true, false
}

// decline ends a call whose BeforeStart hook said no. There is no worker
// to stop: the task that asked is the call's first, and it was not sent.
func (c *poolCall) decline() {
	c.mu.Lock()
	if c.over.Load() {
		c.mu.Unlock()
		return
	}
	c.cause = errDeclined
	c.completeLocked()
}

// finish records items [lo, hi) of b as finished, those in fails (by
// index in b) with their errors.
func (c *poolCall) finish(b poolBatch, lo, hi int, fails []itemError) {
	c.mu.Lock()
	if c.over.Load() {
		c.mu.Unlock()
		return
	}
	if len(fails) > 0 && c.errs == nil {
		c.errs = map[int]error{}
	}
	for _, f := range fails {
		c.errs[b.base()+f.i] = f.err
	}
	c.left -= hi - lo
	if c.stream {
		c.spans = append(c.spans, span{b, lo, hi})
		select {
		case c.wake <- struct{}{}:
		default:
		}
	}
	if c.sealed && c.left == 0 {
		c.completeLocked()
		return
	}
	c.mu.Unlock()
}

// completeLocked marks the call over, releases the lock, runs the hooks
// and then closes done: as in Python, whoever waits for the result finds
// the callbacks run.
func (c *poolCall) completeLocked() {
	c.over.Store(true)
	hooks, unwatch := c.hooks, c.unwatch
	c.hooks = nil
	c.mu.Unlock()
	if unwatch != nil {
		unwatch()
	}
	for _, h := range hooks {
		h()
	}
	close(c.done)
}

// end completes a stream whose items are all taken.
func (c *poolCall) end() {
	c.mu.Lock()
	if c.over.Load() {
		c.mu.Unlock()
		return
	}
	c.completeLocked()
}

// abort ends the call early with cause: its queued tasks are dropped and
// the workers running its tasks are killed.
func (c *poolCall) abort(cause error) {
	c.mu.Lock()
	if c.over.Load() {
		c.mu.Unlock()
		return
	}
	c.cause = cause
	c.completeLocked()
	c.e.cancel(c)
}

// cancelCause is what the items of an aborted call fail with.
func (c *poolCall) cancelCause() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cause != nil {
		return c.cause
	}
	return context.Canceled
}

// onDone runs h once the call is done: at once, in the caller, if it is.
func (c *poolCall) onDone(h func()) {
	c.mu.Lock()
	if c.over.Load() {
		c.mu.Unlock()
		h()
		return
	}
	c.hooks = append(c.hooks, h)
	c.mu.Unlock()
}

// outcome returns the error of a done call: why it was aborted, or the
// error of its first failed item in input order (Python's map raises
// that one).
func (c *poolCall) outcome() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cause != nil {
		return c.cause
	}
	first, err := -1, error(nil)
	for i, e := range c.errs {
		if first < 0 || i < first {
			first, err = i, e
		}
	}
	return err
}

// batch is a chunk of a call of fn: arguments, results, and the index of
// its first item in the call.
type batch[A, R any] struct {
	c    *poolCall
	fn   *Func[A, R]
	args []A
	vals []R
	at   int

	// The consumer of a stream (Imap) tracks which items it can yield.
	ready []bool
	errs  []error
	next  int // the first item not yet yielded
}

func (b *batch[A, R]) call() *poolCall  { return b.c }
func (b *batch[A, R]) base() int        { return b.at }
func (b *batch[A, R]) funcName() string { return b.fn.name }

func (b *batch[A, R]) encode(lo, hi int) ([]byte, error) { return encodeItems(b.args[lo:hi]) }

func (b *batch[A, R]) decode(lo, n int, data []byte, failed []itemError) error {
	if len(failed) == n {
		return nil
	}
	got, err := decodeItems[R](data)
	if err != nil {
		return err
	}
	if len(got) != n-len(failed) {
		return &DecodeError{Type: fmt.Sprintf("%T", got), Err: fmt.Errorf("%d results for %d items", len(got), n-len(failed))}
	}
	if len(failed) == 0 {
		copy(b.vals[lo:lo+n], got)
		return nil
	}
	for i := lo; i < lo+n; i++ {
		if len(failed) > 0 && failed[0].i == i {
			failed = failed[1:]
			continue
		}
		b.vals[i], got = got[0], got[1:]
	}
	return nil
}

func (b *batch[A, R]) threadRun(ctx context.Context, lo, hi int) (func(int) error, func(int, int)) {
	kept := make([]R, hi-lo)
	item := func(i int) error {
		v, err := b.fn.fn(ctx, b.args[lo+i])
		kept[i] = v
		return err
	}
	commit := func(from, to int) { copy(b.vals[lo+from:lo+to], kept[from:to]) }
	return item, commit
}
