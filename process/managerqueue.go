package process

import (
	"bytes"
	"context"
	"encoding/binary"
)

// QueueProxy is a FIFO queue held by a manager: Python's manager.Queue()
// (and JoinableQueue(), whose TaskDone and Join every QueueProxy has).
// The errors are package queue's: queue.ErrEmpty, queue.ErrFull and
// queue.ErrTooManyTaskDone.
//
// A Get that waits for an item (or a Put that waits for room, or a Join)
// waits in the manager, not in the caller's process; when ctx ends it is
// withdrawn, and returns ctx.Err() having taken nothing — or, if the
// manager handed it an item at that moment, returns the item, which is
// never lost. An item handed to a process that dies before reading the
// reply is lost with it, as with any queue.
//
// Unlike the package's Queue, which lives in shared memory and reaches
// only this program's family of processes, a QueueProxy reaches any
// program connected to the manager, at the cost of a round trip per
// call. Create one with ManagerQueue or find one with LookupQueue; its
// methods are safe for concurrent use, and return the errors DictProxy's
// do.
type QueueProxy[T any] struct {
	mgrProxy
	t *mgrType[T]
}

func mgrQueueTypes[T any]() (*QueueProxy[T], string, error) {
	t, err := mgrTypeOf[T](false)
	if err != nil {
		return nil, "", err
	}
	return &QueueProxy[T]{t: t}, mgrSig(mkQueue, t.c), nil
}

// ManagerQueue creates a queue holding at most maxsize items (no limit if
// maxsize <= 0, as in Python) in m's manager and returns a proxy to it:
// Python's manager.Queue(maxsize). T may be any type a DictProxy value
// may be.
func ManagerQueue[T any](ctx context.Context, m *Manager, maxsize int, opts ...ObjectOption) (*QueueProxy[T], error) {
	q, sig, err := mgrQueueTypes[T]()
	if err != nil {
		return nil, err
	}
	params := binary.AppendUvarint(nil, uint64(max(maxsize, 0)))
	if err := mgrCreate(ctx, m, q, &q.mgrProxy, mkQueue, sig, params, opts); err != nil {
		return nil, err
	}
	return q, nil
}

// LookupQueue returns a proxy to the queue named name in m's manager,
// with the errors of LookupDict.
func LookupQueue[T any](ctx context.Context, m *Manager, name string) (*QueueProxy[T], error) {
	q, sig, err := mgrQueueTypes[T]()
	if err != nil {
		return nil, err
	}
	if err := mgrLookup(ctx, m, q, &q.mgrProxy, mkQueue, sig, name); err != nil {
		return nil, err
	}
	return q, nil
}

// GobDecode makes q a proxy to the queue a GobEncode described; see
// DictProxy.GobDecode.
func (q *QueueProxy[T]) GobDecode(data []byte) error {
	t, sig, err := mgrQueueTypes[T]()
	if err != nil {
		return err
	}
	q.t = t.t
	return mgrDecodeProxy(q, &q.mgrProxy, data, mkQueue, sig)
}

// Put adds v at the back, waiting while the queue is full: Python's
// q.put(v), with ctx's deadline as its timeout.
func (q *QueueProxy[T]) Put(ctx context.Context, v T) error { return q.put(ctx, mopQPut, &v) }

// TryPut adds v if the queue has room and returns queue.ErrFull
// otherwise: Python's q.put_nowait(v). ctx bounds only the round trip.
func (q *QueueProxy[T]) TryPut(ctx context.Context, v T) error { return q.put(ctx, mopQTryPut, &v) }

func (q *QueueProxy[T]) put(ctx context.Context, op byte, v *T) error {
	_, err := q.request(ctx, op, func(b []byte) ([]byte, error) { return q.t.appendField(b, v) })
	return err
}

// Get removes and returns the front item, waiting while the queue is
// empty: Python's q.get(), with ctx's deadline as its timeout.
func (q *QueueProxy[T]) Get(ctx context.Context) (T, error) { return q.get(ctx, mopQGet) }

// TryGet removes and returns the front item if there is one and returns
// queue.ErrEmpty otherwise: Python's q.get_nowait(). ctx bounds only the
// round trip.
func (q *QueueProxy[T]) TryGet(ctx context.Context) (T, error) { return q.get(ctx, mopQTryGet) }

func (q *QueueProxy[T]) get(ctx context.Context, op byte) (T, error) {
	r, err := q.request(ctx, op, nil)
	if err != nil {
		var zero T
		return zero, err
	}
	v, err := q.t.readField(&r)
	if err == nil {
		err = q.result(&r)
	}
	return v, err
}

// Len returns the number of items in the queue: Python's q.qsize(). It
// may be out of date by the time it returns.
func (q *QueueProxy[T]) Len(ctx context.Context) (int, error) {
	return mgrLen(ctx, &q.mgrProxy)
}

// TaskDone says that an item taken with Get has been dealt with: Python's
// q.task_done(). More TaskDone calls than items put is
// queue.ErrTooManyTaskDone.
func (q *QueueProxy[T]) TaskDone(ctx context.Context) error {
	_, err := q.request(ctx, mopQTaskDone, nil)
	return err
}

// Join waits until every item put has been taken and marked done with
// TaskDone: Python's q.join().
func (q *QueueProxy[T]) Join(ctx context.Context) error {
	_, err := q.request(ctx, mopQJoin, nil)
	return err
}

// mgrQueueState is the server side of a queue: a FIFO of encoded items,
// and the requests parked on it in arrival order.
type mgrQueueState struct {
	items      [][]byte
	maxsize    int // 0: no limit
	unfinished int // items put and not yet marked done
	getters    mgrWaitQueue
	putters    mgrWaitQueue // each with its item
	joiners    mgrWaitQueue
}

func (s *mgrQueueState) handle(op *mgrOp) []byte {
	d := &op.r.d
	switch op.r.op {
	case mopLen:
		if bad := op.args(); bad != nil {
			return bad
		}
		return binary.AppendUvarint(op.ok(), uint64(len(s.items)))
	case mopQPut, mopQTryPut:
		val := d.bytes()
		if bad := op.args(); bad != nil {
			return bad
		}
		if g := s.getters.pop(); g != nil {
			// A getter waits only on an empty queue: hand it the item.
			s.unfinished++
			op.answer(g, mstOK, func(b []byte) []byte { return appendBytes(b, val) })
			return op.ok()
		}
		if s.maxsize > 0 && len(s.items) >= s.maxsize {
			if op.r.op == mopQTryPut {
				return op.reply(mstFull)
			}
			return op.park(&s.putters, bytes.Clone(val))
		}
		s.items = append(s.items, bytes.Clone(val))
		s.unfinished++
		return op.ok()
	case mopQGet, mopQTryGet:
		if bad := op.args(); bad != nil {
			return bad
		}
		if len(s.items) == 0 {
			if op.r.op == mopQTryGet {
				return op.reply(mstEmpty)
			}
			return op.park(&s.getters, nil)
		}
		v := s.items[0]
		s.items[0] = nil
		s.items = s.items[1:]
		if p := s.putters.pop(); p != nil {
			// The queue had room for one more: take a waiting putter's item.
			s.items = append(s.items, p.val)
			s.unfinished++
			op.answer(p, mstOK, nil)
		}
		return appendBytes(op.ok(), v)
	case mopQTaskDone:
		if bad := op.args(); bad != nil {
			return bad
		}
		if s.unfinished == 0 {
			return op.reply(mstTaskDone)
		}
		s.unfinished--
		if s.unfinished == 0 {
			for w := s.joiners.pop(); w != nil; w = s.joiners.pop() {
				op.answer(w, mstOK, nil)
			}
		}
		return op.ok()
	case mopQJoin:
		if bad := op.args(); bad != nil {
			return bad
		}
		if s.unfinished == 0 {
			return op.ok()
		}
		return op.park(&s.joiners, nil)
	}
	return op.badOp()
}

func (s *mgrQueueState) unpark(w *mgrWaiter) {
	s.getters.remove(w)
	s.putters.remove(w)
	s.joiners.remove(w)
}

func (s *mgrQueueState) parked() []*mgrWaiter {
	return append(append(append([]*mgrWaiter(nil), s.getters...), s.putters...), s.joiners...)
}
