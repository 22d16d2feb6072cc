package process

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"os"
	"sync"

	"github.com/concurgo/concur/queue"
)

// Queue is a first-in, first-out queue of T shared between processes:
// Python's multiprocessing.Queue. Create it with NewQueue and pass it to
// children as an argument (or in a Conn message); every copy is the same
// queue, so any two processes of the family — parent and child, or two
// children — can put and get. A Queue is safe for concurrent use by any
// number of goroutines in any number of processes.
//
// The queue lives in shared memory: a buffer of encoded items guarded by
// a robust lock. Put encodes the item in the caller and copies it into
// the buffer; when Put returns, the item is in the queue, and a TryGet in
// any process sees it. There is no feeder thread, so none of Python's
// caveats about one apply: an item that cannot be encoded is an error
// from Put (Python's feeder drops it later and prints a traceback), a
// process that exits right after Put loses nothing, and joining a process
// that put items nobody got yet never deadlocks (Python's "joining
// processes that use queues" warning). The price is that a Put waits for
// room when the buffer is full, even with no maxsize (see WithBufferSize).
//
// Items travel as the package's codec encodes them (see the package
// documentation): exported fields only, no funcs or channels, no values
// holding an OS handle (a Conn, a Lock, a File — pass those as arguments
// or over a Conn). Booleans, numbers, strings, byte slices and structs
// of only those (all fields exported) take a fast path, copied as their
// bytes, without gob. An item larger than the buffer still travels,
// through a temporary file in /dev/shm.
//
// A process killed at any point — holding the queue's lock, in the middle
// of copying an item — leaves the queue consistent: no item is torn or
// delivered twice, and the others carry on. An item is lost only with a
// getter killed after it took it, as in Python.
//
// The errors are package queue's: queue.ErrFull, queue.ErrEmpty and
// queue.ErrShutDown, checked with errors.Is.
type Queue[T any] struct {
	r *ring
	c *itemCodec[T]
}

// A QueueOption configures a queue made by NewQueue, NewJoinableQueue or
// NewSimpleQueue.
type QueueOption func(*queueConfig)

type queueConfig struct {
	size int
}

// WithBufferSize sets the size of the queue's shared buffer in bytes
// (1 MiB by default; rounded up to a multiple of 8). The buffer bounds
// the bytes of the items queued at once, whatever maxsize says: a Put
// that finds no room waits for a Get. Memory is committed only as far as
// the queue fills, so a large buffer that stays mostly empty costs
// little. An item whose encoding needs more than the whole buffer goes
// through a temporary file instead (see Queue). WithBufferSize panics if
// n is below 64 or above 1 GiB.
func WithBufferSize(n int) QueueOption {
	if n < ringMinSize || n > ringMaxSize {
		panic(fmt.Sprintf("process: WithBufferSize(%d): want %d to %d bytes", n, ringMinSize, ringMaxSize))
	}
	return func(c *queueConfig) { c.size = n }
}

// NewQueue creates a queue holding at most maxsize items (no limit if
// maxsize <= 0): Python's multiprocessing.Queue(maxsize). It fails with
// an *EncodeError if T cannot be encoded at all (a func or channel type,
// a struct without exported fields).
func NewQueue[T any](maxsize int, opts ...QueueOption) (*Queue[T], error) {
	q, err := newQueue[T](kindQueue, maxsize, opts)
	if err != nil {
		return nil, err
	}
	return &q, nil
}

func newQueue[T any](kind sharedKind, maxsize int, opts []QueueOption) (Queue[T], error) {
	cfg := queueConfig{size: ringDefaultSize}
	for _, opt := range opts {
		opt(&cfg)
	}
	c, err := codecFor[T]()
	if err != nil {
		return Queue[T]{}, err
	}
	r, err := newRing(kind, c.typeName, c.typeHash, maxsize, cfg.size)
	if err != nil {
		return Queue[T]{}, err
	}
	return Queue[T]{r: r, c: c}, nil
}

// enter starts a call on q; see ring.enter.
func (q *Queue[T]) enter() error {
	if q.r == nil {
		return closedError(kindQueue)
	}
	if !q.r.enter() {
		return q.r.closedError()
	}
	return nil
}

// Put adds v to the queue, waiting while the queue holds maxsize items or
// its buffer has no room for v: Python's put(v) with ctx's deadline as
// the timeout. If ctx ends first, Put returns an error that matches both
// queue.ErrFull (what Python raises) and ctx.Err(). ctx bounds only the
// wait: a Put that need not wait succeeds even with a done ctx. Put
// returns an *EncodeError, having queued nothing, if v cannot be encoded,
// and queue.ErrShutDown once the queue is shut down.
func (q *Queue[T]) Put(ctx context.Context, v T) error { return q.put(ctx, v, true) }

// TryPut adds v to the queue if that needs no waiting for room, and
// returns queue.ErrFull otherwise: Python's put_nowait(v), or put(v,
// block=False).
func (q *Queue[T]) TryPut(v T) error { return q.put(context.Background(), v, false) }

func (q *Queue[T]) put(ctx context.Context, v T, block bool) error {
	if err := q.enter(); err != nil {
		return err
	}
	defer q.r.exit()
	var scratch [64]byte
	body, ok := q.c.encodePlain(&v, scratch[:0])
	if !ok {
		var e *primedEncoder
		var err error
		if body, e, err = q.c.encodeGob(v); err != nil {
			return err
		}
		defer q.c.release(e)
	}
	if len(body) <= ringMaxBody && recordSize(len(body)) <= q.r.size {
		return q.r.put(ctx, body, 0, block)
	}
	rec, path, err := q.r.spill(body)
	if err != nil {
		return err
	}
	if err := q.r.put(ctx, rec, ringSpillFlag, block); err != nil {
		os.Remove(path)
		return err
	}
	return nil
}

// Get removes and returns the oldest item, waiting while the queue is
// empty: Python's get() with ctx's deadline as the timeout. If ctx ends
// first, Get returns an error that matches both queue.ErrEmpty (what
// Python raises) and ctx.Err(). After Shutdown(false) it returns the
// items left and then queue.ErrShutDown; after Shutdown(true),
// queue.ErrShutDown at once. A *DecodeError means the item was taken but
// could not be decoded.
func (q *Queue[T]) Get(ctx context.Context) (T, error) { return q.get(ctx, true) }

// TryGet removes and returns the oldest item if there is one, and returns
// queue.ErrEmpty otherwise: Python's get_nowait(), or get(block=False).
// Unlike Python's, it never reports Empty because another process is in
// the middle of a Get.
func (q *Queue[T]) TryGet() (T, error) { return q.get(context.Background(), false) }

var queueScratch = sync.Pool{New: func() any { return new([]byte) }}

// queueScratchMax is the largest buffer kept for reuse.
const queueScratchMax = 64 << 10

func (q *Queue[T]) get(ctx context.Context, block bool) (T, error) {
	var zero T
	if err := q.enter(); err != nil {
		return zero, err
	}
	defer q.r.exit()
	scratch := queueScratch.Get().(*[]byte)
	body, spill, err := q.r.get(ctx, block, *scratch)
	if err == nil && spill != nil {
		body, err = readSpill(spill, body, *scratch)
	}
	var v T
	if err == nil {
		v, err = q.c.decode(body)
	}
	if cap(body) <= queueScratchMax && cap(body) > cap(*scratch) {
		*scratch = body[:0]
	}
	queueScratch.Put(scratch)
	return v, err
}

// Len returns the number of items in the queue: Python's qsize(). It is
// advisory: other processes may change it before the caller acts on it.
// Unlike Python's, it works on every platform.
func (q *Queue[T]) Len() int {
	if err := q.enter(); err != nil {
		panic(err)
	}
	defer q.r.exit()
	return int(q.r.h.count.Load())
}

// Empty reports whether the queue holds no items: Python's empty(). It is
// advisory, like Len.
func (q *Queue[T]) Empty() bool { return q.Len() == 0 }

// Full reports whether a Put would wait: the queue holds maxsize items,
// or its buffer has no room for even the smallest record. Python's
// full(). It is advisory, like Len.
func (q *Queue[T]) Full() bool {
	if err := q.enter(); err != nil {
		panic(err)
	}
	defer q.r.exit()
	return !q.r.hasRoom(q.r.h.count.Load(), q.r.h.used.Load(), recordSize(0))
}

// Maxsize returns the bound on the number of items given to the
// constructor, 0 for none.
func (q *Queue[T]) Maxsize() int {
	if err := q.enter(); err != nil {
		panic(err)
	}
	defer q.r.exit()
	return int(q.r.h.maxsize)
}

// Shutdown shuts the queue down, for every process: Python 3.13's
// queue.Queue.shutdown(immediate), which multiprocessing.Queue lacks.
// From then on Put and TryPut return queue.ErrShutDown, and so do Get and
// TryGet once the queue is empty; every Put and Get waiting in any
// process wakes. With immediate set, the items still queued are
// discarded (each counting as done for a JoinableQueue's Join) and Get
// fails at once. A consumer loop over All ends after the drain, so
// Shutdown replaces the None sentinel Python producers put.
func (q *Queue[T]) Shutdown(immediate bool) {
	if err := q.enter(); err != nil {
		panic(err)
	}
	defer q.r.exit()
	q.r.shutdown(immediate)
}

// IsShutdown reports whether some process has called Shutdown.
func (q *Queue[T]) IsShutdown() bool {
	if err := q.enter(); err != nil {
		panic(err)
	}
	defer q.r.exit()
	q.r.lock(context.Background())
	defer q.r.unlock()
	return q.r.state().shutdown != 0
}

// All returns an iterator for a consumer loop: it yields item after item
// from Get(ctx) and stops when the queue is shut down and drained. Any
// other error — ctx ended, a *DecodeError, the queue closed — is yielded
// once with a zero item, and then the loop stops:
//
//	for job, err := range q.All(ctx) {
//		if err != nil {
//			return err
//		}
//		handle(job)
//	}
//
// Python has no such method; its consumers loop over get() until a
// sentinel arrives.
func (q *Queue[T]) All(ctx context.Context) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		for {
			v, err := q.Get(ctx)
			if errors.Is(err, queue.ErrShutDown) || !yield(v, err) || err != nil {
				return
			}
		}
	}
}

// Close closes this process's handle on the queue: Python's close(),
// except that there is no feeder thread to flush, so Close returns at
// once. Calls of this handle waiting in Put or Get return an error
// matching os.ErrClosed; other handles, in this process or others, go
// on working. The last process to close the queue also removes the
// temporary files of large items nobody got. After Close, calls with an
// error result return an error matching os.ErrClosed, and the others
// (Len, Empty, Full, Maxsize, Shutdown, IsShutdown) panic with it. A
// Queue dropped without Close is unmapped by the garbage collector, but
// the temporary files of its large items stay until a reboot.
func (q *Queue[T]) Close() error {
	if q.r == nil {
		return closedError(kindQueue)
	}
	return q.r.close()
}

// GobEncode lets a Queue travel to a child as an argument, or in a Conn
// message; the receiver has the same queue.
func (q *Queue[T]) GobEncode() ([]byte, error) { return q.encodeHandle() }

// GobDecode opens a Queue received from another process. It fails with a
// *SharedTypeError if the queue holds items of another type.
func (q *Queue[T]) GobDecode(data []byte) error { return q.decodeHandle(data, kindQueue) }

func (q *Queue[T]) encodeHandle() ([]byte, error) {
	if err := q.enter(); err != nil {
		return nil, err
	}
	defer q.r.exit()
	return encodeSharedSegment(q.r.seg, sharedShape{kind: q.r.kind})
}

func (q *Queue[T]) decodeHandle(data []byte, kind sharedKind) error {
	c, err := codecFor[T]()
	if err != nil {
		return err
	}
	seg, _, err := decodeSharedSegment(data, sharedShape{kind: kind})
	if err != nil {
		return err
	}
	r, err := ringFromSegment(seg, kind, c.typeName, c.typeHash)
	if err != nil {
		return err
	}
	*q = Queue[T]{r: r, c: c}
	return nil
}
