package process

import (
	"context"
	"errors"
	"fmt"
	"reflect"
)

// NamespaceProxy is a namespace held by a manager: Python's
// manager.Namespace(), an object whose attributes any process can read
// and set. Go has no dynamic attributes, so each is named by a string and
// read into a variable of the caller's choosing, like Conn.Recv:
//
//	ns.Set(ctx, "total", 42)
//	var total int
//	ok, err := ns.Get(ctx, "total", &total)
//
// An attribute keeps the type it was last set with, and reading it into
// a variable of another type is an error wrapping a *SharedTypeError
// (Python would hand back whatever is there). Values are copies: Python's
// `ns.items.append(x)` changes a copy and is lost; use ModifyAttr.
//
// Create one with ManagerNamespace or find one with LookupNamespace; its
// methods are safe for concurrent use, and return the errors DictProxy's
// do.
type NamespaceProxy struct {
	mgrProxy
}

// ManagerNamespace creates a namespace with no attributes in m's manager
// and returns a proxy to it: Python's manager.Namespace().
func ManagerNamespace(ctx context.Context, m *Manager, opts ...ObjectOption) (*NamespaceProxy, error) {
	ns := &NamespaceProxy{}
	if err := mgrCreate(ctx, m, ns, &ns.mgrProxy, mkNamespace, mkNamespace.String(), nil, opts); err != nil {
		return nil, err
	}
	return ns, nil
}

// LookupNamespace returns a proxy to the namespace named name in m's
// manager, with the errors of LookupDict.
func LookupNamespace(ctx context.Context, m *Manager, name string) (*NamespaceProxy, error) {
	ns := &NamespaceProxy{}
	if err := mgrLookup(ctx, m, ns, &ns.mgrProxy, mkNamespace, mkNamespace.String(), name); err != nil {
		return nil, err
	}
	return ns, nil
}

// GobDecode makes ns a proxy to the namespace a GobEncode described; see
// DictProxy.GobDecode.
func (ns *NamespaceProxy) GobDecode(data []byte) error {
	return mgrDecodeProxy(ns, &ns.mgrProxy, data, mkNamespace, mkNamespace.String())
}

// Each attribute is stored as its value's type signature and encoding,
// so that a reader can check the type before it decodes.

func mgrAppendAttrName(b []byte, attr string) []byte { return appendBytes(b, []byte(attr)) }

// Set sets attribute attr to v: Python's ns.attr = v. v may be of any
// type a DictProxy value may be; nil is refused.
func (ns *NamespaceProxy) Set(ctx context.Context, attr string, v any) error {
	if v == nil {
		return &EncodeError{Type: "nil", Err: errors.New("a namespace attribute needs a value of a concrete type")}
	}
	c, err := mgrCodecOf(reflect.TypeOf(v), false)
	if err != nil {
		return err
	}
	_, err = ns.request(ctx, mopSet, func(b []byte) ([]byte, error) {
		val := appendString(nil, c.sig)
		val, err := c.enc(val, reflect.ValueOf(v), 0)
		if err != nil {
			return nil, &EncodeError{Type: c.t.String(), Err: err}
		}
		return appendBytes(mgrAppendAttrName(b, attr), val), nil
	})
	return err
}

// Get reads attribute attr into *ptr and reports whether the namespace
// has it (Python raises AttributeError if not). ptr must be a non-nil
// pointer to a variable of the attribute's type.
func (ns *NamespaceProxy) Get(ctx context.Context, attr string, ptr any) (bool, error) {
	pv := reflect.ValueOf(ptr)
	if pv.Kind() != reflect.Pointer || pv.IsNil() {
		return false, fmt.Errorf("process: NamespaceProxy.Get(%q) needs a non-nil pointer, not %T", attr, ptr)
	}
	c, err := mgrCodecOf(pv.Type().Elem(), false)
	if err != nil {
		return false, err
	}
	r, err := ns.request(ctx, mopGet, func(b []byte) ([]byte, error) { return mgrAppendAttrName(b, attr), nil })
	if err != nil {
		return false, err
	}
	if !r.bool() {
		return false, ns.result(&r)
	}
	d := mgrDecoder{b: r.bytes()}
	if err := ns.result(&r); err != nil {
		return false, err
	}
	if err := mgrCheckAttrType(&d, attr, c.sig); err != nil {
		return false, err
	}
	v := reflect.New(c.t).Elem()
	c.dec(&d, v)
	if err := d.done(); err != nil {
		return false, &DecodeError{Type: c.t.String(), Err: err}
	}
	pv.Elem().Set(v)
	return true, nil
}

// mgrCheckAttrType reads the type signature that starts an attribute.
func mgrCheckAttrType(d *mgrDecoder, attr, want string) error {
	got := d.string()
	if d.err != nil {
		return &DecodeError{Type: want, Err: d.err}
	}
	if got != want {
		return fmt.Errorf("process: namespace attribute %q: %w", attr, &SharedTypeError{Want: want, Got: got})
	}
	return nil
}

// Delete removes attribute attr and reports whether the namespace had
// it: Python's del ns.attr.
func (ns *NamespaceProxy) Delete(ctx context.Context, attr string) (bool, error) {
	r, err := ns.request(ctx, mopDel, func(b []byte) ([]byte, error) { return mgrAppendAttrName(b, attr), nil })
	if err != nil {
		return false, err
	}
	ok := r.bool()
	return ok, ns.result(&r)
}

// Attrs returns the names of the attributes, in no particular order:
// Python's vars(ns).keys().
func (ns *NamespaceProxy) Attrs(ctx context.Context) ([]string, error) {
	r, err := ns.request(ctx, mopKeys, nil)
	if err != nil {
		return nil, err
	}
	n := r.length()
	names := make([]string, 0, n)
	for range n {
		names = append(names, r.string())
	}
	return names, ns.result(&r)
}

// ModifyAttr updates attribute attr of ns in place and returns the value
// stored, as DictProxy.Modify updates a dict's value: fn receives a copy
// of the attribute (the zero T and ok == false if ns has none), may run
// more than once, and its result is stored only if nobody changed the
// attribute meanwhile. It is Python's `ns.items.append(x)` made to work:
//
//	process.ModifyAttr(ctx, ns, "items", func(s *[]string, _ bool) error {
//		*s = append(*s, x)
//		return nil
//	})
//
// An attribute of a type other than T is an error wrapping a
// *SharedTypeError. It is a function, not a method, because Go methods
// cannot have type parameters.
func ModifyAttr[T any](ctx context.Context, ns *NamespaceProxy, attr string, fn func(v *T, ok bool) error) (T, error) {
	var zero T
	t, err := mgrTypeOf[T](false)
	if err != nil {
		return zero, err
	}
	r, err := ns.request(ctx, mopGetV, func(b []byte) ([]byte, error) { return mgrAppendAttrName(b, attr), nil })
	if err != nil {
		return zero, err
	}
	return mgrModify(ctx, &ns.mgrProxy, mgrAttrCodec[T]{t, attr}, r, mopCAS,
		func(b []byte) []byte { return mgrAppendAttrName(b, attr) }, fn)
}

// mgrAttrCodec is the field codec of a namespace attribute of type T.
type mgrAttrCodec[T any] struct {
	t    *mgrType[T]
	attr string
}

func (a mgrAttrCodec[T]) appendField(b []byte, v *T) ([]byte, error) {
	val, err := a.t.append(appendString(nil, a.t.c.sig), v)
	if err != nil {
		return nil, err
	}
	return appendBytes(b, val), nil
}

func (a mgrAttrCodec[T]) readField(r *mgrDecoder) (T, error) {
	var v T
	d := mgrDecoder{b: r.bytes()}
	if r.err != nil {
		return v, r.err
	}
	if err := mgrCheckAttrType(&d, a.attr, a.t.c.sig); err != nil {
		return v, err
	}
	a.t.read(&d, &v)
	if err := d.done(); err != nil {
		return v, &DecodeError{Type: a.t.c.t.String(), Err: err}
	}
	return v, nil
}
