package process

import (
	"context"
	"encoding/binary"
)

// LockProxy is a lock held by a manager: Python's manager.Lock() (an
// AcquirerProxy). As with Python's, any process may release it, not only
// the one that acquired it.
//
// Unlike Python's, it is robust, like the package's shared Lock: the
// manager notices at once when the connection of the process holding it
// ends — the process died, was killed, or closed its last proxy to the
// manager — and the next Acquire (or TryAcquire) takes the lock and
// returns an *OwnerDeadError (errors.Is(err, ErrOwnerDead)) with the lock
// held, naming the dead holder's pid, so that it can repair what the lock
// guards. Waiting acquirers are served in arrival order.
//
// Prefer the package's Lock between this program's processes: it lives
// in shared memory and costs no round trip. A LockProxy reaches any
// program connected to the manager. Create one with ManagerLock or find
// one with LookupLock; its methods are safe for concurrent use, and
// return the errors DictProxy's do.
type LockProxy struct {
	mgrProxy
}

// ManagerLock creates an unlocked lock in m's manager and returns a proxy
// to it: Python's manager.Lock().
func ManagerLock(ctx context.Context, m *Manager, opts ...ObjectOption) (*LockProxy, error) {
	l := &LockProxy{}
	if err := mgrCreate(ctx, m, l, &l.mgrProxy, mkLock, mkLock.String(), nil, opts); err != nil {
		return nil, err
	}
	return l, nil
}

// LookupLock returns a proxy to the lock named name in m's manager, with
// the errors of LookupDict.
func LookupLock(ctx context.Context, m *Manager, name string) (*LockProxy, error) {
	l := &LockProxy{}
	if err := mgrLookup(ctx, m, l, &l.mgrProxy, mkLock, mkLock.String(), name); err != nil {
		return nil, err
	}
	return l, nil
}

// GobDecode makes l a proxy to the lock a GobEncode described; see
// DictProxy.GobDecode.
func (l *LockProxy) GobDecode(data []byte) error {
	return mgrDecodeProxy(l, &l.mgrProxy, data, mkLock, mkLock.String())
}

// Acquire waits for the lock and takes it: Python's lock.acquire(), with
// ctx's deadline as its timeout (context.DeadlineExceeded, where Python
// returns False). If ctx ends first, the request is withdrawn from the
// manager, so a lock granted at that moment is not left held. An
// *OwnerDeadError means the lock was taken over from a holder that died:
// the caller holds it.
func (l *LockProxy) Acquire(ctx context.Context) error {
	_, err := l.acquire(ctx, mopAcquire)
	return err
}

// TryAcquire takes the lock if it is free and reports whether it did:
// Python's lock.acquire(blocking=False). ctx bounds only the round trip.
// It returns true and an *OwnerDeadError for a lock whose holder died.
func (l *LockProxy) TryAcquire(ctx context.Context) (bool, error) {
	return l.acquire(ctx, mopTryAcquire)
}

func (l *LockProxy) acquire(ctx context.Context, op byte) (bool, error) {
	call, err := l.begin(op)
	if err != nil {
		return false, err
	}
	defer l.cl.freeCall(call)
	status, r, err := l.do(ctx, call)
	switch {
	case err != nil:
		return false, err
	case status == mstOwnerDead:
		pid := r.int()
		return true, &OwnerDeadError{Kind: mkLock.String(), Pid: pid}
	case status != mstOK:
		return false, l.statusError(status, r)
	case op == mopAcquire:
		return true, l.result(&r)
	}
	ok := r.bool()
	return ok, l.result(&r)
}

// Release releases the lock: Python's lock.release(). Releasing an
// unlocked lock is an error matching ErrNotHeld.
func (l *LockProxy) Release(ctx context.Context) error {
	_, err := l.request(ctx, mopRelease, nil)
	return err
}

// Locked reports whether the lock is held: Python's lock.locked(). It may
// be out of date by the time it returns.
func (l *LockProxy) Locked(ctx context.Context) (bool, error) {
	r, err := l.request(ctx, mopLocked, nil)
	if err != nil {
		return false, err
	}
	locked := r.bool()
	return locked, l.result(&r)
}

// mgrLockState is the server side of a lock. The holder is the
// connection that acquired it; when that connection ends holding it, the
// lock passes to the next waiter, or is left free with deadPid set, and
// whoever takes it next is told.
type mgrLockState struct {
	holder  *mgrServerConn
	deadPid int
	waiters mgrWaitQueue
}

func (s *mgrLockState) handle(op *mgrOp) []byte {
	if bad := op.args(); bad != nil {
		return bad
	}
	switch op.r.op {
	case mopAcquire, mopTryAcquire:
		if s.holder != nil {
			if op.r.op == mopTryAcquire {
				return appendBool(op.ok(), false)
			}
			return op.park(&s.waiters, nil)
		}
		if !op.c.hold(op.o) {
			return nil // the connection is gone
		}
		s.holder = op.c
		if pid := s.deadPid; pid != 0 {
			s.deadPid = 0
			return binary.AppendUvarint(op.reply(mstOwnerDead), uint64(pid))
		}
		if op.r.op == mopTryAcquire {
			return appendBool(op.ok(), true)
		}
		return op.ok()
	case mopRelease:
		if s.holder == nil {
			return op.reply(mstNotHeld)
		}
		s.holder.unhold(op.o)
		s.holder = nil
		s.grant(op, 0)
		return op.ok()
	case mopLocked:
		return appendBool(op.ok(), s.holder != nil)
	}
	return op.badOp()
}

// grant gives the free lock to the first waiter whose connection is still
// there; deadPid, if not 0, is the pid of a holder that died, which the
// new holder is told.
func (s *mgrLockState) grant(op *mgrOp, deadPid int) {
	for w := s.waiters.pop(); w != nil; w = s.waiters.pop() {
		if !w.c.hold(op.o) {
			w.queued = false
			continue
		}
		s.holder = w.c
		if deadPid != 0 {
			op.answer(w, mstOwnerDead, func(b []byte) []byte { return binary.AppendUvarint(b, uint64(deadPid)) })
		} else {
			op.answer(w, mstOK, nil)
		}
		return
	}
	s.deadPid = deadPid
}

// abandon recovers the lock from a connection that ended holding it.
func (s *mgrLockState) abandon(op *mgrOp, c *mgrServerConn) {
	if s.holder != c {
		return
	}
	s.holder = nil
	s.grant(op, max(c.pid, 1))
}

func (s *mgrLockState) unpark(w *mgrWaiter) { s.waiters.remove(w) }

func (s *mgrLockState) parked() []*mgrWaiter { return s.waiters }
