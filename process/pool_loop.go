package process

import (
	"bytes"
	"errors"
	"slices"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/concurgo/concur"
	"golang.org/x/sys/unix"
)

// itemLoop runs the items of one pool task, one after another, on behalf
// of a worker: in a child process for a process pool, in a goroutine for a
// thread pool. Both kinds of worker share it so that they report progress,
// flush results and survive panics and runtime.Goexit alike.
//
// # Progress
//
// Before each item, the loop stores in the worker's progress word which
// item of which task it starts; the parent reads the word when the worker
// dies or a timeout check fires. The word holds the task's sequence
// number in its high half and, in its low half, 0 while the task's
// arguments are being decoded, i+1 while item i runs, and n+1 once all n
// items ran. With a task timeout the loop also stores, before the word,
// when the item started (CLOCK_MONOTONIC, which every process of the
// machine shares). One atomic store per item is the whole price of
// knowing, after a SIGKILL, which item the worker was running.
//
// # Flushing
//
// Results go back in order, in runs: whatever has finished is flushed
// every poolFlushEvery by a timer, and the rest when the task ends. A
// cheap item thus costs no message of its own, while the result of a slow
// one arrives about when it is computed — and a worker that dies loses
// at most the last few milliseconds of results, which its items are run
// again for.
type itemLoop struct {
	n     int
	seq   uint32 // the task's sequence number, in the high half of the progress word
	prog  *atomic.Uint64
	stamp *atomic.Int64 // nil unless the pool has a task timeout
	halt  *atomic.Bool  // set when a thread worker is abandoned: stop before the next item
	item  func(i int) error
	flush func(lo, hi int, fails []itemError) // publishes items [lo, hi); called in order, under flushMu

	cur int // the item running; written only by the goroutine running items

	failMu sync.Mutex
	fails  []itemError // failures not yet flushed, by increasing index

	flushMu sync.Mutex
	flushed int  // items [0, flushed) are published
	closed  bool // the task is over; the timer must not flush again
	timer   *time.Timer
}

// itemError is the failure of one item, its index relative to the task.
type itemError struct {
	i   int
	err error
}

// poolFlushEvery is how often a running task publishes the results it
// has: the latency of a result, and the span of work a dying worker may
// lose.
const poolFlushEvery = time.Millisecond

// progressWord packs a task's sequence number and an item state.
func progressWord(seq uint32, state int) uint64 { return uint64(seq)<<32 | uint64(uint32(state)) }

// splitProgress unpacks a progress word.
func splitProgress(w uint64) (seq uint32, state int) { return uint32(w >> 32), int(uint32(w)) }

// doneBefore returns how many items of an n-item task are finished
// according to a progress state: those before the running one.
func doneBefore(state, n int) int {
	if state == 0 {
		return 0
	}
	return min(state-1, n)
}

// monotonicNow reads CLOCK_MONOTONIC, which unlike the monotonic reading
// of a time.Time means the same in every process of the machine.
func monotonicNow() int64 {
	var ts unix.Timespec
	unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts)
	return ts.Nano()
}

// start marks the task received and arms the flush timer.
func (l *itemLoop) start() {
	l.prog.Store(progressWord(l.seq, 0))
	if l.n > 1 {
		l.flushMu.Lock() // tick may run before AfterFunc returns
		l.timer = time.AfterFunc(poolFlushEvery, l.tick)
		l.flushMu.Unlock()
	}
}

func (l *itemLoop) tick() {
	l.flushMu.Lock()
	defer l.flushMu.Unlock()
	if l.closed {
		return
	}
	l.flushLocked(doneBefore(l.state(), l.n))
	l.timer.Reset(poolFlushEvery)
}

func (l *itemLoop) state() int {
	seq, state := splitProgress(l.prog.Load())
	sharedRaceAcquire() // a child's word is in a shared mapping, which the race detector does not see
	if seq != l.seq {
		return 0
	}
	return state
}

// finish publishes the rest once the items ran (or the worker was
// abandoned: then the items it did run).
func (l *itemLoop) finish() {
	l.flushMu.Lock()
	l.closed = true
	l.flushLocked(doneBefore(l.state(), l.n))
	l.flushMu.Unlock()
	if l.timer != nil {
		l.timer.Stop()
	}
}

func (l *itemLoop) flushLocked(done int) {
	if done <= l.flushed {
		return
	}
	l.failMu.Lock()
	k := 0
	for k < len(l.fails) && l.fails[k].i < done {
		k++
	}
	fails := l.fails[:k:k]
	l.fails = l.fails[k:]
	l.failMu.Unlock()
	l.flush(l.flushed, done, fails)
	l.flushed = done
}

func (l *itemLoop) fail(i int, err error) {
	l.failMu.Lock()
	l.fails = append(l.fails, itemError{i, err})
	l.failMu.Unlock()
}

// run runs the items from i on, on the calling goroutine. If an item
// calls runtime.Goexit, that item fails with concur.ErrGoexit and a new
// goroutine runs the rest and then calls resume; run does not return to
// its caller then, as Goexit demands. Otherwise run returns when the items
// are done (or the worker was abandoned) and resume is not called.
func (l *itemLoop) run(i int, resume func()) {
	normal := false
	defer func() {
		if !normal {
			l.fail(l.cur, concur.ErrGoexit)
			next := l.cur + 1
			go func() {
				l.run(next, resume)
				resume()
			}()
		}
	}()
	l.runItems(i)
	normal = true
}

func (l *itemLoop) runItems(i int) {
	for ; i < l.n; i++ {
		if l.halt != nil && l.halt.Load() {
			return
		}
		l.cur = i
		if l.stamp != nil {
			l.stamp.Store(monotonicNow())
		}
		// The race detector does not see the shared word: in race builds
		// the release goes through a Go word, before the store that
		// publishes it.
		sharedRaceRelease()
		l.prog.Store(progressWord(l.seq, i+1))
		if err := callItem(l.item, i); err != nil {
			l.fail(i, err)
		}
	}
	sharedRaceRelease()
	l.prog.Store(progressWord(l.seq, l.n+1))
}

// callItem runs one item, turning a panic into a *concur.PanicError. The
// deferred recover is open-coded, so it costs almost nothing when nothing
// panics.
func callItem(item func(int) error, i int) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = concur.NewPanicError(r)
		}
	}()
	return item(i)
}

// encodeItems encodes the arguments or the results of a run of items.
// A slice of fixed-size numbers (or bools) travels as its memory: parent
// and child run the same binary, so they agree on sizes and byte order,
// and a million ints cost a copy of 8 MB rather than a million gob
// varints. Other element types go through the queues' item codec, whose
// primed gob encoders send no type descriptors, so that the message of a
// small task costs a few hundred nanoseconds to encode and decode instead
// of tens of microseconds. Values holding OS handles are refused: a pool
// task goes to a worker that already runs, where no descriptor can
// follow.
func encodeItems[E any](v []E) ([]byte, error) {
	ec, err := codecFor[E]()
	if err != nil {
		return nil, err
	}
	if ec.kind == codecPlainFixed {
		return bytes.Clone(unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(v))), len(v)*ec.size)), nil
	}
	c, err := codecFor[[]E]()
	if err != nil {
		return nil, err
	}
	var body []byte
	var enc *primedEncoder
	files := &fileTable{}
	err = withFileTable(files, func() error {
		body, enc, err = c.encodeGob(v)
		return err
	})
	if len(files.files) > 0 {
		err = &EncodeError{Type: c.typeName, Err: errPoolHandles}
	}
	if err != nil {
		return nil, err
	}
	body = bytes.Clone(body)
	c.release(enc)
	return body, nil
}

var errPoolHandles = errors.New("a pool task's argument cannot carry OS handles (files, Conns, shared objects): " +
	"pass them to the workers with WithInitializer, or use a Process")

// decodeItems decodes what encodeItems encoded.
func decodeItems[E any](body []byte) ([]E, error) {
	ec, err := codecFor[E]()
	if err != nil {
		return nil, err
	}
	if ec.kind == codecPlainFixed {
		if len(body)%ec.size != 0 || ec.isBool && slices.ContainsFunc(body, func(b byte) bool { return b > 1 }) {
			return nil, &DecodeError{Type: "[]" + ec.typeName, Err: errors.New("malformed values")}
		}
		v := make([]E, len(body)/ec.size)
		copy(unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(v))), len(body)), body)
		return v, nil
	}
	c, err := codecFor[[]E]()
	if err != nil {
		return nil, err
	}
	return c.decode(body)
}
