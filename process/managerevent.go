package process

import "context"

// EventProxy is an event held by a manager: Python's manager.Event().
// Prefer the package's Event between this program's processes: it lives
// in shared memory and costs no round trip. An EventProxy reaches any
// program connected to the manager. Create one with ManagerEvent or find
// one with LookupEvent; its methods are safe for concurrent use, and
// return the errors DictProxy's do.
type EventProxy struct {
	mgrProxy
}

// ManagerEvent creates an event, not set, in m's manager and returns a
// proxy to it: Python's manager.Event().
func ManagerEvent(ctx context.Context, m *Manager, opts ...ObjectOption) (*EventProxy, error) {
	e := &EventProxy{}
	if err := mgrCreate(ctx, m, e, &e.mgrProxy, mkEvent, mkEvent.String(), nil, opts); err != nil {
		return nil, err
	}
	return e, nil
}

// LookupEvent returns a proxy to the event named name in m's manager,
// with the errors of LookupDict.
func LookupEvent(ctx context.Context, m *Manager, name string) (*EventProxy, error) {
	e := &EventProxy{}
	if err := mgrLookup(ctx, m, e, &e.mgrProxy, mkEvent, mkEvent.String(), name); err != nil {
		return nil, err
	}
	return e, nil
}

// GobDecode makes e a proxy to the event a GobEncode described; see
// DictProxy.GobDecode.
func (e *EventProxy) GobDecode(data []byte) error {
	return mgrDecodeProxy(e, &e.mgrProxy, data, mkEvent, mkEvent.String())
}

// Set sets the event and wakes every waiter: Python's event.set().
func (e *EventProxy) Set(ctx context.Context) error {
	_, err := e.request(ctx, mopESet, nil)
	return err
}

// Clear unsets the event: Python's event.clear().
func (e *EventProxy) Clear(ctx context.Context) error {
	_, err := e.request(ctx, mopEClear, nil)
	return err
}

// IsSet reports whether the event is set: Python's event.is_set().
func (e *EventProxy) IsSet(ctx context.Context) (bool, error) {
	r, err := e.request(ctx, mopEIsSet, nil)
	if err != nil {
		return false, err
	}
	set := r.bool()
	return set, e.result(&r)
}

// Wait waits until the event is set and returns nil: Python's
// event.wait(), with ctx's deadline as its timeout
// (context.DeadlineExceeded, where Python returns False). A waiter woken
// by Set returns nil even if Clear follows at once, as in Python.
func (e *EventProxy) Wait(ctx context.Context) error {
	_, err := e.request(ctx, mopEWait, nil)
	return err
}

// mgrEventState is the server side of an event.
type mgrEventState struct {
	set     bool
	waiters mgrWaitQueue
}

func (s *mgrEventState) handle(op *mgrOp) []byte {
	if bad := op.args(); bad != nil {
		return bad
	}
	switch op.r.op {
	case mopESet:
		s.set = true
		for w := s.waiters.pop(); w != nil; w = s.waiters.pop() {
			op.answer(w, mstOK, nil)
		}
		return op.ok()
	case mopEClear:
		s.set = false
		return op.ok()
	case mopEIsSet:
		return appendBool(op.ok(), s.set)
	case mopEWait:
		if s.set {
			return op.ok()
		}
		return op.park(&s.waiters, nil)
	}
	return op.badOp()
}

func (s *mgrEventState) unpark(w *mgrWaiter) { s.waiters.remove(w) }

func (s *mgrEventState) parked() []*mgrWaiter { return s.waiters }
