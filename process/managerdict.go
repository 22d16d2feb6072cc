package process

import (
	"bytes"
	"context"
	"encoding/binary"
)

// DictProxy is a dict held by a manager: Python's DictProxy, made by
// manager.dict(). Keys are compared by their encoding, which for keys of
// numbers, strings and bools (and arrays and structs of them) is Go's ==
// (see ManagerDict). Every method is one
// atomic round trip to the manager; values are copies, so update a value
// in place — Python's `d[k].append(x)`, silently lost on a proxy — with
// Modify.
//
// Create one with ManagerDict or find one with LookupDict; pass it to
// children as an argument. Its methods are safe for concurrent use. The
// errors every method may return: ctx's error; an error matching
// ErrManagerShutDown or ErrManagerUnreachable; ErrObjectNotFound once
// the dict has been deleted; os.ErrClosed after Close.
type DictProxy[K comparable, V any] struct {
	mgrProxy
	kt *mgrType[K]
	vt *mgrType[V]
}

func mgrDictTypes[K comparable, V any]() (*DictProxy[K, V], string, error) {
	kt, err := mgrTypeOf[K](true)
	if err != nil {
		return nil, "", err
	}
	vt, err := mgrTypeOf[V](false)
	if err != nil {
		return nil, "", err
	}
	return &DictProxy[K, V]{kt: kt, vt: vt}, mgrSig(mkDict, kt.c, vt.c), nil
}

// ManagerDict creates an empty dict in m's manager and returns a proxy to
// it: Python's manager.dict().
//
// K may be a bool, number or string type, or an array or struct of those
// with exported fields only; float keys are compared by value, with -0
// equal to +0 and every NaN one key. A type with GobEncode or
// MarshalBinary (time.Time) may be a key too, and is compared by what
// that method writes. V may be any type that can travel
// between processes (as for a Process argument): numbers, strings,
// slices, maps, structs with exported fields, pointers, types with
// GobEncode or MarshalBinary, and other proxies; not interfaces, funcs,
// channels or values holding OS handles. An unsuitable K or V is an
// *EncodeError.
func ManagerDict[K comparable, V any](ctx context.Context, m *Manager, opts ...ObjectOption) (*DictProxy[K, V], error) {
	d, sig, err := mgrDictTypes[K, V]()
	if err != nil {
		return nil, err
	}
	if err := mgrCreate(ctx, m, d, &d.mgrProxy, mkDict, sig, nil, opts); err != nil {
		return nil, err
	}
	return d, nil
}

// LookupDict returns a proxy to the dict named name in m's manager. A
// name no object has is ErrObjectNotFound; an object that is not a dict
// of these key and value types is a *SharedTypeError.
func LookupDict[K comparable, V any](ctx context.Context, m *Manager, name string) (*DictProxy[K, V], error) {
	d, sig, err := mgrDictTypes[K, V]()
	if err != nil {
		return nil, err
	}
	if err := mgrLookup(ctx, m, d, &d.mgrProxy, mkDict, sig, name); err != nil {
		return nil, err
	}
	return d, nil
}

// GobDecode makes d a proxy to the dict a GobEncode described, connecting
// to its manager on first use. A dict of other types is refused with a
// *SharedTypeError.
func (d *DictProxy[K, V]) GobDecode(data []byte) error {
	t, sig, err := mgrDictTypes[K, V]()
	if err != nil {
		return err
	}
	d.kt, d.vt = t.kt, t.vt
	return mgrDecodeProxy(d, &d.mgrProxy, data, mkDict, sig)
}

// keyed runs a request whose arguments are a key and, if v is not nil, a
// value.
func (d *DictProxy[K, V]) keyed(ctx context.Context, op byte, key *K, v *V) (mgrDecoder, error) {
	return d.request(ctx, op, func(b []byte) ([]byte, error) {
		b, err := d.kt.appendField(b, key)
		if err != nil || v == nil {
			return b, err
		}
		return d.vt.appendField(b, v)
	})
}

// found reads a reply of a found flag and, if found, a value.
func (d *DictProxy[K, V]) found(r mgrDecoder) (V, bool, error) {
	var v V
	ok := r.bool()
	var err error
	if ok {
		v, err = d.vt.readField(&r)
	}
	if err == nil {
		err = d.result(&r)
	}
	return v, ok && err == nil, err
}

// Get returns the value of key and whether the dict has it: Python's
// d.get(key) (and d[key], whose KeyError is ok == false).
func (d *DictProxy[K, V]) Get(ctx context.Context, key K) (V, bool, error) {
	r, err := d.keyed(ctx, mopGet, &key, nil)
	if err != nil {
		var zero V
		return zero, false, err
	}
	return d.found(r)
}

// Set sets the value of key: Python's d[key] = v.
func (d *DictProxy[K, V]) Set(ctx context.Context, key K, v V) error {
	_, err := d.keyed(ctx, mopSet, &key, &v)
	return err
}

// Delete removes key and reports whether the dict had it: Python's
// del d[key], without the KeyError.
func (d *DictProxy[K, V]) Delete(ctx context.Context, key K) (bool, error) {
	r, err := d.keyed(ctx, mopDel, &key, nil)
	if err != nil {
		return false, err
	}
	ok := r.bool()
	return ok, d.result(&r)
}

// Pop removes key and returns the value it had: Python's d.pop(key).
func (d *DictProxy[K, V]) Pop(ctx context.Context, key K) (V, bool, error) {
	r, err := d.keyed(ctx, mopPop, &key, nil)
	if err != nil {
		var zero V
		return zero, false, err
	}
	return d.found(r)
}

// SetDefault sets key to v unless the dict has it, and returns the value
// the dict then holds and whether it was already there: Python's
// d.setdefault(key, v), the LoadOrStore of sync.Map.
func (d *DictProxy[K, V]) SetDefault(ctx context.Context, key K, v V) (V, bool, error) {
	r, err := d.keyed(ctx, mopSetDefault, &key, &v)
	if err != nil {
		var zero V
		return zero, false, err
	}
	loaded := r.bool()
	got, err := d.vt.readField(&r)
	if err == nil {
		err = d.result(&r)
	}
	return got, loaded, err
}

// Contains reports whether the dict has key: Python's key in d.
func (d *DictProxy[K, V]) Contains(ctx context.Context, key K) (bool, error) {
	r, err := d.keyed(ctx, mopHas, &key, nil)
	if err != nil {
		return false, err
	}
	ok := r.bool()
	return ok, d.result(&r)
}

// Len returns the number of keys: Python's len(d).
func (d *DictProxy[K, V]) Len(ctx context.Context) (int, error) {
	return mgrLen(ctx, &d.mgrProxy)
}

func mgrLen(ctx context.Context, p *mgrProxy) (int, error) {
	r, err := p.request(ctx, mopLen, nil)
	if err != nil {
		return 0, err
	}
	n := r.int()
	return n, p.result(&r)
}

// Keys returns the keys, in no particular order: Python's list(d.keys()).
func (d *DictProxy[K, V]) Keys(ctx context.Context) ([]K, error) {
	r, err := d.request(ctx, mopKeys, nil)
	if err != nil {
		return nil, err
	}
	n := r.length()
	keys := make([]K, 0, n)
	for range n {
		k, err := d.kt.readField(&r)
		if err != nil {
			return nil, err
		}
		keys = append(keys, k)
	}
	return keys, d.result(&r)
}

// Copy returns the whole dict as a map, read in one atomic step: Python's
// d.copy(), dict(d) and d.items().
func (d *DictProxy[K, V]) Copy(ctx context.Context) (map[K]V, error) {
	r, err := d.request(ctx, mopItems, nil)
	if err != nil {
		return nil, err
	}
	n := r.length()
	m := make(map[K]V, n)
	for range n {
		k, err := d.kt.readField(&r)
		if err != nil {
			return nil, err
		}
		if m[k], err = d.vt.readField(&r); err != nil {
			return nil, err
		}
	}
	return m, d.result(&r)
}

// Clear removes every key: Python's d.clear().
func (d *DictProxy[K, V]) Clear(ctx context.Context) error {
	_, err := d.request(ctx, mopClear, nil)
	return err
}

// Update sets every key of m, in one atomic step: Python's d.update(m).
func (d *DictProxy[K, V]) Update(ctx context.Context, m map[K]V) error {
	_, err := d.request(ctx, mopUpdate, func(b []byte) ([]byte, error) {
		b = binary.AppendUvarint(b, uint64(len(m)))
		for k, v := range m {
			var err error
			if b, err = d.kt.appendField(b, &k); err != nil {
				return nil, err
			}
			if b, err = d.vt.appendField(b, &v); err != nil {
				return nil, err
			}
		}
		return b, nil
	})
	return err
}

// Modify updates the value of key in place and returns the value stored:
// fn receives a copy of the current value (the zero V and ok == false if
// the dict does not have key) and changes it through the pointer, and the
// result is stored only if nobody changed the entry meanwhile; otherwise
// fn runs again on the newer value. So fn may run more than once, and
// should do nothing but compute the new value. If fn returns an error,
// Modify stores nothing and returns it. A panic in fn propagates to the
// caller, as fn runs in the caller's goroutine.
//
// This is the update Python's proxies cannot make: `d[k].append(x)`
// changes a copy and is lost, and `d[k] = d[k] + [x]` loses the appends
// of other processes racing with it. With Modify
//
//	d.Modify(ctx, k, func(s *[]int, _ bool) error { *s = append(*s, x); return nil })
//
// appends exactly once however many processes do the same at once. It
// costs two round trips when uncontended.
func (d *DictProxy[K, V]) Modify(ctx context.Context, key K, fn func(v *V, ok bool) error) (V, error) {
	var zero V
	kb, err := d.kt.appendField(nil, &key)
	if err != nil {
		return zero, err
	}
	r, err := d.request(ctx, mopGetV, func(b []byte) ([]byte, error) { return append(b, kb...), nil })
	if err != nil {
		return zero, err
	}
	return mgrModify(ctx, &d.mgrProxy, d.vt, r, mopCAS, func(b []byte) []byte { return append(b, kb...) }, fn)
}

// mgrFieldCodec encodes and decodes values as the fields of requests
// and replies: *mgrType, and the namespace's typed attributes.
type mgrFieldCodec[V any] interface {
	appendField(b []byte, v *V) ([]byte, error)
	readField(d *mgrDecoder) (V, error)
}

// mgrModify is the compare-and-swap loop of every Modify. r holds the
// reply to a versioned read: a version (0: absent) and, if present, the
// value. cas is the op that stores a value if the entry's version is
// still the one read; key appends what identifies the entry in it.
func mgrModify[V any](ctx context.Context, p *mgrProxy, vt mgrFieldCodec[V], r mgrDecoder, cas byte, key func([]byte) []byte, fn func(v *V, ok bool) error) (V, error) {
	var zero V
	for {
		ver := r.uvarint()
		var v V
		if ver != 0 {
			var err error
			if v, err = vt.readField(&r); err != nil {
				return zero, err
			}
		}
		if err := p.result(&r); err != nil {
			return zero, err
		}
		if err := fn(&v, ver != 0); err != nil {
			return zero, err
		}
		call, err := p.begin(cas)
		if err != nil {
			return zero, err
		}
		call.req = binary.AppendUvarint(key(call.req), ver)
		if call.req, err = vt.appendField(call.req, &v); err != nil {
			p.cl.freeCall(call)
			return zero, err
		}
		status, reply, err := p.do(ctx, call)
		p.cl.freeCall(call)
		switch {
		case err != nil:
			return zero, err
		case status == mstOK:
			return v, nil
		case status != mstConflict:
			return zero, p.statusError(status, reply)
		}
		r = reply // lost the race: the reply is the newer version
	}
}

// mgrEntry is a stored value and the version of the write that stored it.
type mgrEntry struct {
	val []byte
	ver uint64
}

// mgrMapState is the server side of a dict, a namespace (whose values
// carry their type, see NamespaceProxy) and a value (the one key "").
// Versions come from one counter per object, so a version is never
// reused, and a compare-and-swap against it cannot be fooled by a value
// that was changed and changed back.
type mgrMapState struct {
	mgrNoWaits
	entries map[string]mgrEntry
	ver     uint64
}

func (s *mgrMapState) put(key, val []byte) uint64 {
	s.ver++
	s.entries[string(key)] = mgrEntry{bytes.Clone(val), s.ver}
	return s.ver
}

func (s *mgrMapState) handle(op *mgrOp) []byte {
	d := &op.r.d
	switch op.r.op {
	case mopGet, mopHas, mopDel, mopPop:
		key := d.bytes()
		if bad := op.args(); bad != nil {
			return bad
		}
		e, ok := s.entries[string(key)]
		b := appendBool(op.ok(), ok)
		if ok && (op.r.op == mopGet || op.r.op == mopPop) {
			b = appendBytes(b, e.val)
		}
		if ok && (op.r.op == mopDel || op.r.op == mopPop) {
			delete(s.entries, string(key))
		}
		return b
	case mopSet:
		key, val := d.bytes(), d.bytes()
		if bad := op.args(); bad != nil {
			return bad
		}
		s.put(key, val)
		return op.ok()
	case mopSetDefault:
		key, val := d.bytes(), d.bytes()
		if bad := op.args(); bad != nil {
			return bad
		}
		e, loaded := s.entries[string(key)]
		if !loaded {
			s.put(key, val)
			e.val = val
		}
		return appendBytes(appendBool(op.ok(), loaded), e.val)
	case mopLen:
		if bad := op.args(); bad != nil {
			return bad
		}
		return binary.AppendUvarint(op.ok(), uint64(len(s.entries)))
	case mopKeys, mopItems:
		if bad := op.args(); bad != nil {
			return bad
		}
		b := binary.AppendUvarint(op.ok(), uint64(len(s.entries)))
		for k, e := range s.entries {
			b = appendString(b, k)
			if op.r.op == mopItems {
				b = appendBytes(b, e.val)
			}
		}
		return b
	case mopClear:
		if bad := op.args(); bad != nil {
			return bad
		}
		clear(s.entries)
		return op.ok()
	case mopUpdate:
		n := d.length()
		pairs := make([][2][]byte, 0, n)
		for range n {
			pairs = append(pairs, [2][]byte{d.bytes(), d.bytes()})
		}
		if bad := op.args(); bad != nil {
			return bad
		}
		for _, p := range pairs {
			s.put(p[0], p[1])
		}
		return op.ok()
	case mopGetV:
		key := d.bytes()
		if bad := op.args(); bad != nil {
			return bad
		}
		return s.appendVersioned(op.ok(), key)
	case mopCAS:
		key, ver, val := d.bytes(), d.uvarint(), d.bytes()
		if bad := op.args(); bad != nil {
			return bad
		}
		if s.entries[string(key)].ver != ver {
			return s.appendVersioned(op.reply(mstConflict), key)
		}
		s.put(key, val)
		return op.ok()
	}
	return op.badOp()
}

// appendVersioned appends an entry's version (0 if absent) and value.
func (s *mgrMapState) appendVersioned(b, key []byte) []byte {
	e, ok := s.entries[string(key)]
	if !ok {
		return append(b, 0)
	}
	return appendBytes(binary.AppendUvarint(b, e.ver), e.val)
}
