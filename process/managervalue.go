package process

import "context"

// ValueProxy is a single value held by a manager: Python's
// manager.Value(typecode, value) (a ValueProxy), with the type parameter
// in place of the typecode and any storable type allowed. Get returns a
// copy; to change the value depending on what it is — Python's
// `v.value += 1`, which loses updates when processes race — use Modify.
//
// The package's Value, in shared memory, is much faster for numbers
// shared within this program's family of processes; a ValueProxy holds
// any type and reaches any program connected to the manager. Create one
// with ManagerValue or find one with LookupValue; its methods are safe
// for concurrent use, and return the errors DictProxy's do.
type ValueProxy[T any] struct {
	mgrProxy
	t *mgrType[T]
}

func mgrValueTypes[T any]() (*ValueProxy[T], string, error) {
	t, err := mgrTypeOf[T](false)
	if err != nil {
		return nil, "", err
	}
	return &ValueProxy[T]{t: t}, mgrSig(mkValue, t.c), nil
}

// ManagerValue creates a value holding initial in m's manager and returns
// a proxy to it: Python's manager.Value(typecode, initial). T may be any
// type a DictProxy value may be.
func ManagerValue[T any](ctx context.Context, m *Manager, initial T, opts ...ObjectOption) (*ValueProxy[T], error) {
	v, sig, err := mgrValueTypes[T]()
	if err != nil {
		return nil, err
	}
	params, err := v.t.append(nil, &initial)
	if err != nil {
		return nil, err
	}
	if err := mgrCreate(ctx, m, v, &v.mgrProxy, mkValue, sig, params, opts); err != nil {
		return nil, err
	}
	return v, nil
}

// LookupValue returns a proxy to the value named name in m's manager,
// with the errors of LookupDict.
func LookupValue[T any](ctx context.Context, m *Manager, name string) (*ValueProxy[T], error) {
	v, sig, err := mgrValueTypes[T]()
	if err != nil {
		return nil, err
	}
	if err := mgrLookup(ctx, m, v, &v.mgrProxy, mkValue, sig, name); err != nil {
		return nil, err
	}
	return v, nil
}

// GobDecode makes v a proxy to the value a GobEncode described; see
// DictProxy.GobDecode.
func (v *ValueProxy[T]) GobDecode(data []byte) error {
	t, sig, err := mgrValueTypes[T]()
	if err != nil {
		return err
	}
	v.t = t.t
	return mgrDecodeProxy(v, &v.mgrProxy, data, mkValue, sig)
}

// mgrValueKey is the key of a value's one entry, as a request field.
var mgrValueKey = appendBytes(nil, nil)

func mgrAppendValueKey(b []byte) []byte { return append(b, mgrValueKey...) }

// Get returns the value: Python's v.value and v.get().
func (v *ValueProxy[T]) Get(ctx context.Context) (T, error) {
	var zero T
	r, err := v.request(ctx, mopGet, func(b []byte) ([]byte, error) { return mgrAppendValueKey(b), nil })
	if err != nil {
		return zero, err
	}
	if !r.bool() {
		r.fail("a value without its entry")
	}
	x, err := v.t.readField(&r)
	if err == nil {
		err = v.result(&r)
	}
	return x, err
}

// Set sets the value: Python's v.value = x and v.set(x).
func (v *ValueProxy[T]) Set(ctx context.Context, x T) error {
	_, err := v.request(ctx, mopSet, func(b []byte) ([]byte, error) {
		return v.t.appendField(mgrAppendValueKey(b), &x)
	})
	return err
}

// Modify updates the value in place and returns the value stored, as one
// atomic step however many processes race; fn may run more than once
// (see DictProxy.Modify):
//
//	n, err := hits.Modify(ctx, func(n *int) error { *n++; return nil })
func (v *ValueProxy[T]) Modify(ctx context.Context, fn func(x *T) error) (T, error) {
	r, err := v.request(ctx, mopGetV, func(b []byte) ([]byte, error) { return mgrAppendValueKey(b), nil })
	if err != nil {
		var zero T
		return zero, err
	}
	return mgrModify(ctx, &v.mgrProxy, v.t, r, mopCAS, mgrAppendValueKey, func(x *T, _ bool) error { return fn(x) })
}
