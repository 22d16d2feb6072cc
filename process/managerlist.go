package process

import (
	"bytes"
	"context"
	"encoding/binary"
	"slices"
)

// ListProxy is a list held by a manager: Python's ListProxy, made by
// manager.list(). Indexes run from 0 to Len()-1, as in a Go slice;
// Python's negative indexes have no Go counterpart, so Pop takes the last
// element and PopAt any other. An index out of range is an error matching
// ErrIndexOutOfRange (Python's IndexError). Every method is one atomic
// round trip; elements are copies, so update one in place with Modify,
// and rearrange the list (sort, reverse, remove) with ModifyAll.
//
// Create one with ManagerList or find one with LookupList; pass it to
// children as an argument. Its methods are safe for concurrent use, and
// return the errors DictProxy's do.
type ListProxy[T any] struct {
	mgrProxy
	t *mgrType[T]
}

func mgrListTypes[T any]() (*ListProxy[T], string, error) {
	t, err := mgrTypeOf[T](false)
	if err != nil {
		return nil, "", err
	}
	return &ListProxy[T]{t: t}, mgrSig(mkList, t.c), nil
}

// ManagerList creates an empty list in m's manager and returns a proxy to
// it: Python's manager.list(). T may be any type a DictProxy value may
// be.
func ManagerList[T any](ctx context.Context, m *Manager, opts ...ObjectOption) (*ListProxy[T], error) {
	l, sig, err := mgrListTypes[T]()
	if err != nil {
		return nil, err
	}
	if err := mgrCreate(ctx, m, l, &l.mgrProxy, mkList, sig, nil, opts); err != nil {
		return nil, err
	}
	return l, nil
}

// LookupList returns a proxy to the list named name in m's manager, with
// the errors of LookupDict.
func LookupList[T any](ctx context.Context, m *Manager, name string) (*ListProxy[T], error) {
	l, sig, err := mgrListTypes[T]()
	if err != nil {
		return nil, err
	}
	if err := mgrLookup(ctx, m, l, &l.mgrProxy, mkList, sig, name); err != nil {
		return nil, err
	}
	return l, nil
}

// GobDecode makes l a proxy to the list a GobEncode described; see
// DictProxy.GobDecode.
func (l *ListProxy[T]) GobDecode(data []byte) error {
	t, sig, err := mgrListTypes[T]()
	if err != nil {
		return err
	}
	l.t = t.t
	return mgrDecodeProxy(l, &l.mgrProxy, data, mkList, sig)
}

func (l *ListProxy[T]) value(ctx context.Context, op byte, args func([]byte) ([]byte, error)) (T, error) {
	r, err := l.request(ctx, op, args)
	if err != nil {
		var zero T
		return zero, err
	}
	v, err := l.t.readField(&r)
	if err == nil {
		err = l.result(&r)
	}
	return v, err
}

func mgrAppendIndex(i int) func([]byte) ([]byte, error) {
	return func(b []byte) ([]byte, error) { return binary.AppendVarint(b, int64(i)), nil }
}

// Get returns the element at index i: Python's l[i].
func (l *ListProxy[T]) Get(ctx context.Context, i int) (T, error) {
	return l.value(ctx, mopLGet, mgrAppendIndex(i))
}

// Set sets the element at index i: Python's l[i] = v.
func (l *ListProxy[T]) Set(ctx context.Context, i int, v T) error {
	_, err := l.request(ctx, mopLSet, func(b []byte) ([]byte, error) {
		return l.t.appendField(binary.AppendVarint(b, int64(i)), &v)
	})
	return err
}

// Append adds vs at the end, in one atomic step, and returns the new
// length: Python's l.append(v) and l.extend(vs).
func (l *ListProxy[T]) Append(ctx context.Context, vs ...T) (int, error) {
	r, err := l.request(ctx, mopLAppend, func(b []byte) ([]byte, error) {
		b = binary.AppendUvarint(b, uint64(len(vs)))
		for i := range vs {
			var err error
			if b, err = l.t.appendField(b, &vs[i]); err != nil {
				return nil, err
			}
		}
		return b, nil
	})
	if err != nil {
		return 0, err
	}
	n := r.int()
	return n, l.result(&r)
}

// Insert inserts v before index i, 0 <= i <= Len(): Python's
// l.insert(i, v), which clamps an index out of range where Insert
// returns an error.
func (l *ListProxy[T]) Insert(ctx context.Context, i int, v T) error {
	_, err := l.request(ctx, mopLInsert, func(b []byte) ([]byte, error) {
		return l.t.appendField(binary.AppendVarint(b, int64(i)), &v)
	})
	return err
}

// Pop removes the last element and returns it: Python's l.pop(). An
// empty list is an error matching ErrIndexOutOfRange.
func (l *ListProxy[T]) Pop(ctx context.Context) (T, error) {
	return l.value(ctx, mopLPop, mgrAppendIndex(-1))
}

// PopAt removes the element at index i and returns it: Python's
// l.pop(i) and del l[i].
func (l *ListProxy[T]) PopAt(ctx context.Context, i int) (T, error) {
	if i < 0 {
		var zero T
		return zero, l.statusError(mstIndex, mgrDecoder{b: binary.AppendUvarint(binary.AppendVarint(nil, int64(i)), 0)})
	}
	return l.value(ctx, mopLPop, mgrAppendIndex(i))
}

// Len returns the number of elements: Python's len(l).
func (l *ListProxy[T]) Len(ctx context.Context) (int, error) {
	return mgrLen(ctx, &l.mgrProxy)
}

// Copy returns the whole list, read in one atomic step: Python's l[:]
// and list(l).
func (l *ListProxy[T]) Copy(ctx context.Context) ([]T, error) {
	r, err := l.request(ctx, mopLCopy, nil)
	if err != nil {
		return nil, err
	}
	s, err := l.readAll(&r)
	if err == nil {
		err = l.result(&r)
	}
	return s, err
}

func (l *ListProxy[T]) readAll(r *mgrDecoder) ([]T, error) {
	n := r.length()
	s := make([]T, 0, n)
	for range n {
		v, err := l.t.readField(r)
		if err != nil {
			return nil, err
		}
		s = append(s, v)
	}
	return s, nil
}

func (l *ListProxy[T]) appendAll(b []byte, s []T) ([]byte, error) {
	b = binary.AppendUvarint(b, uint64(len(s)))
	for i := range s {
		var err error
		if b, err = l.t.appendField(b, &s[i]); err != nil {
			return nil, err
		}
	}
	return b, nil
}

// Clear removes every element: Python's l.clear() and del l[:].
func (l *ListProxy[T]) Clear(ctx context.Context) error {
	_, err := l.request(ctx, mopClear, nil)
	return err
}

// Modify updates the element at index i in place, as DictProxy.Modify
// updates a value, and returns the element stored: fn may run more than
// once, and the update is stored only if that element was not changed
// meanwhile (nor moved by an insertion or removal before it). An index
// out of range, then or after a retry, is an error matching
// ErrIndexOutOfRange.
func (l *ListProxy[T]) Modify(ctx context.Context, i int, fn func(v *T) error) (T, error) {
	r, err := l.request(ctx, mopLGetV, mgrAppendIndex(i))
	if err != nil {
		var zero T
		return zero, err
	}
	return mgrModify(ctx, &l.mgrProxy, l.t, r, mopLCAS,
		func(b []byte) []byte { return binary.AppendVarint(b, int64(i)) },
		func(v *T, _ bool) error { return fn(v) })
}

// ModifyAll replaces the whole list with what fn makes of a copy of it,
// and returns the list stored, as one atomic step however many processes
// race: fn may run more than once, and the result is stored only if the
// list did not change meanwhile. It is the way to sort, reverse or
// filter the list (Python's l.sort(), l.reverse(), l.remove(x)), or to
// make any change that depends on several elements. It costs two round
// trips carrying the whole list.
func (l *ListProxy[T]) ModifyAll(ctx context.Context, fn func(s *[]T) error) ([]T, error) {
	r, err := l.request(ctx, mopLGetAllV, nil)
	if err != nil {
		return nil, err
	}
	for {
		ver := r.uvarint()
		s, err := l.readAll(&r)
		if err == nil {
			err = l.result(&r)
		}
		if err != nil {
			return nil, err
		}
		if err := fn(&s); err != nil {
			return nil, err
		}
		call, err := l.begin(mopLCASAll)
		if err != nil {
			return nil, err
		}
		if call.req, err = l.appendAll(binary.AppendUvarint(call.req, ver), s); err != nil {
			l.cl.freeCall(call)
			return nil, err
		}
		status, reply, err := l.do(ctx, call)
		l.cl.freeCall(call)
		switch {
		case err != nil:
			return nil, err
		case status == mstOK:
			return s, nil
		case status != mstConflict:
			return nil, l.statusError(status, reply)
		}
		r = reply
	}
}

// mgrListState is the server side of a list. Like a map's entries, each
// element carries the version of the write that stored it — a version no
// other element has, so that an element moved to an index by an insertion
// or removal never passes for the one a Modify read there — and the list
// the version of its last change of any kind.
type mgrListState struct {
	mgrNoWaits
	items   []mgrEntry
	ver     uint64 // the object's version counter
	listVer uint64 // the version of the list's last change
}

func (s *mgrListState) bump() uint64 {
	s.ver++
	s.listVer = s.ver
	return s.ver
}

func (s *mgrListState) handle(op *mgrOp) []byte {
	d := &op.r.d
	switch op.r.op {
	case mopLen:
		if bad := op.args(); bad != nil {
			return bad
		}
		return binary.AppendUvarint(op.ok(), uint64(len(s.items)))
	case mopClear:
		if bad := op.args(); bad != nil {
			return bad
		}
		s.items = nil
		s.bump()
		return op.ok()
	case mopLGet, mopLGetV:
		i := d.varint()
		if bad := op.args(); bad != nil {
			return bad
		}
		if !s.in(i, 0) {
			return s.outOfRange(op, i)
		}
		b := op.ok()
		if op.r.op == mopLGetV {
			b = binary.AppendUvarint(b, s.items[i].ver)
		}
		return appendBytes(b, s.items[i].val)
	case mopLSet, mopLInsert:
		i, val := d.varint(), d.bytes()
		if bad := op.args(); bad != nil {
			return bad
		}
		insert, extra := op.r.op == mopLInsert, 0
		if insert {
			extra = 1
		}
		if !s.in(i, extra) {
			return s.outOfRange(op, i)
		}
		e := mgrEntry{bytes.Clone(val), s.bump()}
		if insert {
			s.items = slices.Insert(s.items, int(i), e)
		} else {
			s.items[i] = e
		}
		return op.ok()
	case mopLAppend:
		n := d.length()
		vals := make([][]byte, 0, n)
		for range n {
			vals = append(vals, d.bytes())
		}
		if bad := op.args(); bad != nil {
			return bad
		}
		for _, v := range vals {
			s.items = append(s.items, mgrEntry{bytes.Clone(v), s.bump()})
		}
		return binary.AppendUvarint(op.ok(), uint64(len(s.items)))
	case mopLPop:
		i := d.varint()
		if bad := op.args(); bad != nil {
			return bad
		}
		if i == -1 {
			i = int64(len(s.items)) - 1
		}
		if !s.in(i, 0) {
			return s.outOfRange(op, i)
		}
		b := appendBytes(op.ok(), s.items[i].val)
		s.items = slices.Delete(s.items, int(i), int(i)+1)
		s.bump()
		return b
	case mopLCopy, mopLGetAllV:
		if bad := op.args(); bad != nil {
			return bad
		}
		b := op.ok()
		if op.r.op == mopLGetAllV {
			b = binary.AppendUvarint(b, s.listVer)
		}
		return s.appendAll(b)
	case mopLCAS:
		i, ver, val := d.varint(), d.uvarint(), d.bytes()
		if bad := op.args(); bad != nil {
			return bad
		}
		if !s.in(i, 0) {
			return s.outOfRange(op, i)
		}
		if s.items[i].ver != ver {
			b := binary.AppendUvarint(op.reply(mstConflict), s.items[i].ver)
			return appendBytes(b, s.items[i].val)
		}
		s.items[i] = mgrEntry{bytes.Clone(val), s.bump()}
		return op.ok()
	case mopLCASAll:
		ver := d.uvarint()
		n := d.length()
		vals := make([][]byte, 0, n)
		for range n {
			vals = append(vals, d.bytes())
		}
		if bad := op.args(); bad != nil {
			return bad
		}
		if s.listVer != ver {
			return s.appendAll(binary.AppendUvarint(op.reply(mstConflict), s.listVer))
		}
		s.items = make([]mgrEntry, 0, len(vals))
		for _, v := range vals {
			s.items = append(s.items, mgrEntry{bytes.Clone(v), s.bump()})
		}
		if len(vals) == 0 {
			s.bump()
		}
		return op.ok()
	}
	return op.badOp()
}

// in reports whether i is an index of the list, or with extra == 1 the
// index just past its end.
func (s *mgrListState) in(i int64, extra int) bool {
	return i >= 0 && i < int64(len(s.items)+extra)
}

func (s *mgrListState) outOfRange(op *mgrOp, i int64) []byte {
	return binary.AppendUvarint(binary.AppendVarint(op.reply(mstIndex), i), uint64(len(s.items)))
}

func (s *mgrListState) appendAll(b []byte) []byte {
	b = binary.AppendUvarint(b, uint64(len(s.items)))
	for _, e := range s.items {
		b = appendBytes(b, e.val)
	}
	return b
}
