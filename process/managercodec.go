package process

import (
	"encoding"
	"encoding/binary"
	"encoding/gob"
	"errors"
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"unsafe"
)

// The manager's value encoding.
//
// A manager stores keys and values as bytes that the client encoded, and
// never decodes them: a manager in its own process does not know the Go
// types its clients use, and a client may be another program. So the
// encoding must be self-contained and structural — the bytes of a value
// do not depend on which process or binary wrote them — and for dict
// keys it must be canonical: equal keys encode to equal bytes, since the
// manager compares keys by their bytes. Neither gob nor the queues' codec
// (queuecodec.go) is that: gob's bytes carry per-process type ids and a
// self-contained gob message costs tens of microseconds to decode; the
// queue codec relies on both ends being the same binary.
//
// The format, per kind (no type information; the proxy's type signature,
// checked when a proxy attaches, says what the bytes hold):
//
//	bool               one byte, 0 or 1
//	intN               zigzag varint
//	uintN, uintptr     uvarint
//	float32, float64   4 or 8 bytes, little endian IEEE 754
//	complex            two floats
//	string             uvarint length, bytes
//	slice, map         uvarint 0 for nil, else length+1, then the elements
//	                   ([]byte: the bytes; a map: key, value pairs)
//	array              the elements
//	pointer            0 for nil, else 1 and the element
//	struct             the exported fields, in order
//	marshaler          uvarint length and the bytes of GobEncode or
//	                   MarshalBinary (gob's order of preference)
//
// In a key, floats are canonical: -0 is written as +0 and every NaN as
// one NaN, so keys equal by Go's == are equal bytes (and NaN, which Go
// never finds in a map, is one key). Types whose values are not compared
// by value — pointers, interfaces, channels — and structs with
// unexported fields, which would not travel, cannot be keys.

// mgrCodec is the encoding of one Go type, built once per type and kept
// for the life of the process.
type mgrCodec struct {
	t   reflect.Type
	sig string // structural type signature, compared when proxies attach
	min int    // the fewest bytes a value encodes to, to bound decoded counts
	enc func(b []byte, v reflect.Value, depth int) ([]byte, error)
	dec func(d *mgrDecoder, v reflect.Value)
}

// mgrMaxDepth bounds the nesting of an encoded value: a cyclic value
// cannot be encoded, and hostile bytes cannot exhaust the stack.
const mgrMaxDepth = 1000

// mgrMaxZeroSize bounds the length of a decoded slice or map whose
// elements encode to no bytes at all ([]struct{}), which the message
// length cannot bound.
const mgrMaxZeroSize = 1 << 20

var (
	errMgrDepth          = errors.New("value nested too deeply, or cyclic")
	mgrGobEncoder        = reflect.TypeFor[gob.GobEncoder]()
	mgrGobDecoder        = reflect.TypeFor[gob.GobDecoder]()
	mgrBinaryMarshal     = reflect.TypeFor[encoding.BinaryMarshaler]()
	mgrBinaryUnmarshaler = reflect.TypeFor[encoding.BinaryUnmarshaler]()
)

type mgrCodecKey struct {
	t   reflect.Type
	key bool
}

var mgrCodecs sync.Map // mgrCodecKey -> *mgrCodec or error

// mgrCodecOf returns the codec of t, as a value or (key) as a dict key.
// A type that cannot be stored in a manager is an *EncodeError.
func mgrCodecOf(t reflect.Type, key bool) (*mgrCodec, error) {
	k := mgrCodecKey{t, key}
	if c, ok := mgrCodecs.Load(k); ok {
		if err, bad := c.(error); bad {
			return nil, err
		}
		return c.(*mgrCodec), nil
	}
	b := mgrBuilder{key: key, building: map[reflect.Type]*mgrCodec{}}
	var v any
	c, err := b.build(t)
	if err != nil {
		what := "a manager value"
		if key {
			what = "a manager dict key"
		}
		err = &EncodeError{Type: t.String(), Err: fmt.Errorf("cannot be %s: %w", what, err)}
		v = err
	} else {
		v = c
	}
	v, _ = mgrCodecs.LoadOrStore(k, v)
	if err, bad := v.(error); bad {
		return nil, err
	}
	return v.(*mgrCodec), nil
}

type mgrBuilder struct {
	key      bool
	building map[reflect.Type]*mgrCodec
}

// mgrMarshaler says how a type encodes itself, if it does: 'g' for
// GobEncode, 'b' for MarshalBinary, 0 for neither.
func mgrMarshaler(t reflect.Type) byte {
	pt := reflect.PointerTo(t)
	switch {
	case (t.Implements(mgrGobEncoder) || pt.Implements(mgrGobEncoder)) && pt.Implements(mgrGobDecoder):
		return 'g'
	case (t.Implements(mgrBinaryMarshal) || pt.Implements(mgrBinaryMarshal)) && pt.Implements(mgrBinaryUnmarshaler):
		return 'b'
	}
	return 0
}

func mgrQualifiedName(t reflect.Type) string {
	if t.PkgPath() != "" {
		return t.PkgPath() + "." + t.Name()
	}
	return t.String()
}

func (b *mgrBuilder) build(t reflect.Type) (*mgrCodec, error) {
	if c, ok := b.building[t]; ok {
		return c, nil // a recursive type: c is completed by the outer call
	}
	c := &mgrCodec{t: t}
	b.building[t] = c
	if m := mgrMarshaler(t); m != 0 {
		b.marshaler(c, m)
		return c, nil
	}
	var err error
	switch k := t.Kind(); k {
	case reflect.Bool:
		c.sig, c.min = "bool", 1
		c.enc = func(b []byte, v reflect.Value, _ int) ([]byte, error) { return appendBool(b, v.Bool()), nil }
		c.dec = func(d *mgrDecoder, v reflect.Value) { v.SetBool(d.bool()) }
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		c.sig, c.min = k.String(), 1
		c.enc = func(b []byte, v reflect.Value, _ int) ([]byte, error) { return binary.AppendVarint(b, v.Int()), nil }
		c.dec = func(d *mgrDecoder, v reflect.Value) {
			if n := d.varint(); v.OverflowInt(n) {
				d.fail("integer overflows " + t.String())
			} else {
				v.SetInt(n)
			}
		}
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		c.sig, c.min = k.String(), 1
		c.enc = func(b []byte, v reflect.Value, _ int) ([]byte, error) { return binary.AppendUvarint(b, v.Uint()), nil }
		c.dec = func(d *mgrDecoder, v reflect.Value) {
			if n := d.uvarint(); v.OverflowUint(n) {
				d.fail("integer overflows " + t.String())
			} else {
				v.SetUint(n)
			}
		}
	case reflect.Float32, reflect.Float64:
		c.sig, c.min = k.String(), 8
		if k == reflect.Float32 {
			c.min = 4
		}
		key := b.key
		c.enc = func(b []byte, v reflect.Value, _ int) ([]byte, error) {
			return mgrAppendFloat(b, v.Float(), k, key), nil
		}
		c.dec = func(d *mgrDecoder, v reflect.Value) { v.SetFloat(d.float(k)) }
	case reflect.Complex64, reflect.Complex128:
		fk := reflect.Float64
		c.min = 16
		if k == reflect.Complex64 {
			fk, c.min = reflect.Float32, 8
		}
		c.sig = k.String()
		key := b.key
		c.enc = func(b []byte, v reflect.Value, _ int) ([]byte, error) {
			z := v.Complex()
			return mgrAppendFloat(mgrAppendFloat(b, real(z), fk, key), imag(z), fk, key), nil
		}
		c.dec = func(d *mgrDecoder, v reflect.Value) { v.SetComplex(complex(d.float(fk), d.float(fk))) }
	case reflect.String:
		c.sig, c.min = "string", 1
		c.enc = func(b []byte, v reflect.Value, _ int) ([]byte, error) { return appendString(b, v.String()), nil }
		c.dec = func(d *mgrDecoder, v reflect.Value) { v.SetString(string(d.bytes())) }
	case reflect.Slice:
		err = b.slice(c)
	case reflect.Array:
		err = b.array(c)
	case reflect.Map:
		err = b.mapOf(c)
	case reflect.Pointer:
		err = b.pointer(c)
	case reflect.Struct:
		err = b.structOf(c)
	case reflect.Interface:
		err = errors.New("an interface type holds values of any type, and the manager stores values of one type; use a concrete type")
	default:
		err = fmt.Errorf("a %s cannot travel between processes", k)
	}
	if err != nil {
		return nil, err
	}
	return c, nil
}

// elemSig is the signature of an element type; a type still being built
// is recursive, and is named instead of expanded.
func elemSig(c *mgrCodec) string {
	if c.sig == "" {
		return "@" + mgrQualifiedName(c.t)
	}
	return c.sig
}

func (b *mgrBuilder) marshaler(c *mgrCodec, m byte) {
	t := c.t
	c.sig, c.min = "marshal:"+mgrQualifiedName(t), 1
	c.enc = func(buf []byte, v reflect.Value, _ int) ([]byte, error) {
		// A pointer has the methods of both receivers.
		var pv reflect.Value
		if v.CanAddr() {
			pv = v.Addr()
		} else {
			pv = reflect.New(t)
			pv.Elem().Set(v)
		}
		var p []byte
		var err error
		if m == 'g' {
			p, err = pv.Interface().(gob.GobEncoder).GobEncode()
		} else {
			p, err = pv.Interface().(encoding.BinaryMarshaler).MarshalBinary()
		}
		if errors.Is(err, ErrNotInMessage) {
			err = errors.New("a value holding an OS handle (a Conn, File or shared object) cannot be stored in a manager: pass it to a child as an argument instead")
		}
		if err != nil {
			return nil, err
		}
		return appendBytes(buf, p), nil
	}
	c.dec = func(d *mgrDecoder, v reflect.Value) {
		p := d.bytes()
		if d.err != nil {
			return
		}
		pv := reflect.New(t)
		var err error
		if m == 'g' {
			err = pv.Interface().(gob.GobDecoder).GobDecode(p)
		} else {
			err = pv.Interface().(encoding.BinaryUnmarshaler).UnmarshalBinary(p)
		}
		if err != nil {
			d.failErr(err)
			return
		}
		v.Set(pv.Elem())
	}
}

// count reads the length+1 of a slice or map (0 for nil), bounded by what
// the remaining bytes can hold.
func (d *mgrDecoder) count(elemMin int) (n int, isNil bool) {
	u := d.uvarint()
	if d.err != nil || u == 0 {
		return 0, true
	}
	u--
	if (elemMin > 0 && u > uint64(len(d.b)/elemMin)) || (elemMin == 0 && u > mgrMaxZeroSize) {
		d.fail("length exceeds the message")
		return 0, true
	}
	return int(u), false
}

func (b *mgrBuilder) slice(c *mgrCodec) error {
	t := c.t
	if t.Elem().Kind() == reflect.Uint8 && mgrMarshaler(t.Elem()) == 0 {
		c.sig, c.min = "[]uint8", 1
		c.enc = func(b []byte, v reflect.Value, _ int) ([]byte, error) {
			if v.IsNil() {
				return append(b, 0), nil
			}
			b = binary.AppendUvarint(b, uint64(v.Len())+1)
			return append(b, v.Bytes()...), nil
		}
		c.dec = func(d *mgrDecoder, v reflect.Value) {
			n, isNil := d.count(1)
			if isNil {
				v.SetZero()
				return
			}
			s := reflect.MakeSlice(t, n, n)
			copy(s.Bytes(), d.take(n))
			v.Set(s)
		}
		return nil
	}
	ec, err := b.build(t.Elem())
	if err != nil {
		return err
	}
	c.sig, c.min = "[]"+elemSig(ec), 1
	c.enc = func(b []byte, v reflect.Value, depth int) ([]byte, error) {
		if v.IsNil() {
			return append(b, 0), nil
		}
		if depth > mgrMaxDepth {
			return nil, errMgrDepth
		}
		n := v.Len()
		b = binary.AppendUvarint(b, uint64(n)+1)
		for i := range n {
			var err error
			if b, err = ec.enc(b, v.Index(i), depth+1); err != nil {
				return nil, err
			}
		}
		return b, nil
	}
	c.dec = func(d *mgrDecoder, v reflect.Value) {
		n, isNil := d.count(ec.min)
		if isNil {
			v.SetZero()
			return
		}
		if !d.enter() {
			return
		}
		s := reflect.MakeSlice(t, n, n)
		for i := 0; i < n && d.err == nil; i++ {
			ec.dec(d, s.Index(i))
		}
		d.leave()
		v.Set(s)
	}
	return nil
}

func (b *mgrBuilder) array(c *mgrCodec) error {
	t := c.t
	ec, err := b.build(t.Elem())
	if err != nil {
		return err
	}
	n := t.Len()
	c.sig, c.min = "["+strconv.Itoa(n)+"]"+elemSig(ec), n*ec.min
	c.enc = func(b []byte, v reflect.Value, depth int) ([]byte, error) {
		for i := range n {
			var err error
			if b, err = ec.enc(b, v.Index(i), depth+1); err != nil {
				return nil, err
			}
		}
		return b, nil
	}
	c.dec = func(d *mgrDecoder, v reflect.Value) {
		for i := 0; i < n && d.err == nil; i++ {
			ec.dec(d, v.Index(i))
		}
	}
	return nil
}

func (b *mgrBuilder) mapOf(c *mgrCodec) error {
	t := c.t
	// Map keys inside a value need not be canonical: the manager never
	// compares them.
	kc, err := b.build(t.Key())
	if err != nil {
		return err
	}
	vc, err := b.build(t.Elem())
	if err != nil {
		return err
	}
	c.sig, c.min = "map["+elemSig(kc)+"]"+elemSig(vc), 1
	c.enc = func(b []byte, v reflect.Value, depth int) ([]byte, error) {
		if v.IsNil() {
			return append(b, 0), nil
		}
		if depth > mgrMaxDepth {
			return nil, errMgrDepth
		}
		b = binary.AppendUvarint(b, uint64(v.Len())+1)
		it := v.MapRange()
		for it.Next() {
			var err error
			if b, err = kc.enc(b, it.Key(), depth+1); err != nil {
				return nil, err
			}
			if b, err = vc.enc(b, it.Value(), depth+1); err != nil {
				return nil, err
			}
		}
		return b, nil
	}
	c.dec = func(d *mgrDecoder, v reflect.Value) {
		n, isNil := d.count(kc.min + vc.min)
		if isNil {
			v.SetZero()
			return
		}
		if !d.enter() {
			return
		}
		m := reflect.MakeMapWithSize(t, min(n, 1024))
		k, e := reflect.New(t.Key()).Elem(), reflect.New(t.Elem()).Elem()
		for i := 0; i < n && d.err == nil; i++ {
			k.SetZero()
			e.SetZero()
			kc.dec(d, k)
			vc.dec(d, e)
			m.SetMapIndex(k, e)
		}
		d.leave()
		v.Set(m)
	}
	return nil
}

func (b *mgrBuilder) pointer(c *mgrCodec) error {
	t := c.t
	if b.key {
		return errors.New("a pointer compares by address, which means nothing in another process; use the value as the key")
	}
	ec, err := b.build(t.Elem())
	if err != nil {
		return err
	}
	c.sig, c.min = "*"+elemSig(ec), 1
	c.enc = func(b []byte, v reflect.Value, depth int) ([]byte, error) {
		if v.IsNil() {
			return append(b, 0), nil
		}
		if depth > mgrMaxDepth {
			return nil, errMgrDepth
		}
		return ec.enc(append(b, 1), v.Elem(), depth+1)
	}
	c.dec = func(d *mgrDecoder, v reflect.Value) {
		switch d.byte() {
		case 0:
			v.SetZero()
		case 1:
			if !d.enter() {
				return
			}
			p := reflect.New(t.Elem())
			ec.dec(d, p.Elem())
			d.leave()
			v.Set(p)
		default:
			d.fail("pointer flag")
		}
	}
	return nil
}

func (b *mgrBuilder) structOf(c *mgrCodec) error {
	t := c.t
	var fields []int
	var codecs []*mgrCodec
	var sig strings.Builder
	sig.WriteString("struct{")
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			if b.key {
				return fmt.Errorf("field %s is unexported, so it would not travel, and keys that differ only in it would collide", f.Name)
			}
			continue
		}
		fc, err := b.build(f.Type)
		if err != nil {
			return fmt.Errorf("field %s: %w", f.Name, err)
		}
		if len(fields) > 0 {
			sig.WriteString("; ")
		}
		sig.WriteString(f.Name + " " + elemSig(fc))
		fields = append(fields, i)
		codecs = append(codecs, fc)
		c.min += fc.min
	}
	if len(fields) == 0 && t.NumField() > 0 {
		return errors.New("the struct has no exported fields, so nothing of it would travel")
	}
	sig.WriteString("}")
	c.sig = sig.String()
	c.enc = func(b []byte, v reflect.Value, depth int) ([]byte, error) {
		for j, i := range fields {
			var err error
			if b, err = codecs[j].enc(b, v.Field(i), depth+1); err != nil {
				return nil, err
			}
		}
		return b, nil
	}
	c.dec = func(d *mgrDecoder, v reflect.Value) {
		for j, i := range fields {
			if d.err != nil {
				return
			}
			codecs[j].dec(d, v.Field(i))
		}
	}
	return nil
}

func mgrAppendFloat(b []byte, f float64, k reflect.Kind, key bool) []byte {
	if key {
		switch {
		case f == 0:
			f = 0 // -0 is +0
		case f != f:
			f = math.NaN()
		}
	}
	if k == reflect.Float32 {
		return binary.LittleEndian.AppendUint32(b, math.Float32bits(float32(f)))
	}
	return binary.LittleEndian.AppendUint64(b, math.Float64bits(f))
}

// mgrDecoder reads encoded values (and the manager's messages). The first
// error sticks; later reads return zero values.
type mgrDecoder struct {
	b     []byte
	err   error
	depth int
}

var errMgrMalformed = errors.New("process: malformed manager message")

func (d *mgrDecoder) fail(what string) {
	if d.err == nil {
		d.err = fmt.Errorf("%w: %s", errMgrMalformed, what)
	}
	d.b = nil
}

func (d *mgrDecoder) failErr(err error) {
	if d.err == nil {
		d.err = err
	}
	d.b = nil
}

func (d *mgrDecoder) enter() bool {
	d.depth++
	if d.depth > mgrMaxDepth {
		d.fail(errMgrDepth.Error())
		return false
	}
	return true
}

func (d *mgrDecoder) leave() { d.depth-- }

func (d *mgrDecoder) byte() byte {
	if len(d.b) == 0 {
		d.fail("truncated")
		return 0
	}
	v := d.b[0]
	d.b = d.b[1:]
	return v
}

func (d *mgrDecoder) bool() bool {
	switch d.byte() {
	case 0:
		return false
	case 1:
		return true
	}
	d.fail("bool")
	return false
}

func (d *mgrDecoder) uvarint() uint64 {
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.fail("uvarint")
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *mgrDecoder) varint() int64 {
	v, n := binary.Varint(d.b)
	if n <= 0 {
		d.fail("varint")
		return 0
	}
	d.b = d.b[n:]
	return v
}

// int reads a non-negative int.
func (d *mgrDecoder) int() int {
	v := d.uvarint()
	if v > math.MaxInt {
		d.fail("int")
		return 0
	}
	return int(v)
}

func (d *mgrDecoder) take(n int) []byte {
	if n < 0 || n > len(d.b) {
		d.fail("truncated")
		return nil
	}
	v := d.b[:n:n]
	d.b = d.b[n:]
	return v
}

// length reads the number of fields that follow, each at least a byte.
func (d *mgrDecoder) length() int {
	n := d.uvarint()
	if n > uint64(len(d.b)) {
		d.fail("count exceeds the message")
		return 0
	}
	return int(n)
}

// bytes reads a length-prefixed field, aliasing the message.
func (d *mgrDecoder) bytes() []byte {
	n := d.uvarint()
	if n > uint64(len(d.b)) {
		d.fail("truncated")
		return nil
	}
	return d.take(int(n))
}

func (d *mgrDecoder) string() string { return string(d.bytes()) }

func (d *mgrDecoder) float(k reflect.Kind) float64 {
	if k == reflect.Float32 {
		p := d.take(4)
		if p == nil {
			return 0
		}
		return float64(math.Float32frombits(binary.LittleEndian.Uint32(p)))
	}
	p := d.take(8)
	if p == nil {
		return 0
	}
	return math.Float64frombits(binary.LittleEndian.Uint64(p))
}

// done checks that the message was consumed exactly.
func (d *mgrDecoder) done() error {
	if d.err == nil && len(d.b) != 0 {
		d.fail("trailing bytes")
	}
	return d.err
}

// mgrFast is a type whose values need no reflection: a bool, number or
// string (or a named type of one) with no marshalling methods, or a byte
// slice. Most manager traffic is of these.
type mgrFast uint8

const (
	mgrFastNone mgrFast = iota
	mgrFastString
	mgrFastBytes
	mgrFastInt
	mgrFastInt64
	mgrFastFloat64
	mgrFastBool
)

// mgrType is the codec of a proxy's type parameter.
type mgrType[T any] struct {
	c    *mgrCodec
	fast mgrFast
	key  bool
}

// mgrTypeOf returns the codec of T as a value or (key) a dict key.
func mgrTypeOf[T any](key bool) (*mgrType[T], error) {
	t := reflect.TypeFor[T]()
	c, err := mgrCodecOf(t, key)
	if err != nil {
		return nil, err
	}
	mt := &mgrType[T]{c: c, key: key}
	if mgrMarshaler(t) == 0 {
		switch t.Kind() {
		case reflect.String:
			mt.fast = mgrFastString
		case reflect.Slice:
			if t.Elem().Kind() == reflect.Uint8 && mgrMarshaler(t.Elem()) == 0 {
				mt.fast = mgrFastBytes
			}
		case reflect.Int:
			mt.fast = mgrFastInt
		case reflect.Int64:
			mt.fast = mgrFastInt64
		case reflect.Float64:
			if !key { // keys are canonicalised on the general path
				mt.fast = mgrFastFloat64
			}
		case reflect.Bool:
			mt.fast = mgrFastBool
		}
	}
	return mt, nil
}

// append encodes *v after b. Only an unsupported value inside an
// otherwise supported type (a cyclic one, a marshaler that fails) is an
// error.
func (mt *mgrType[T]) append(b []byte, v *T) ([]byte, error) {
	p := unsafe.Pointer(v)
	switch mt.fast {
	case mgrFastString:
		return appendString(b, *(*string)(p)), nil
	case mgrFastBytes:
		s := *(*[]byte)(p)
		if s == nil {
			return append(b, 0), nil
		}
		return append(binary.AppendUvarint(b, uint64(len(s))+1), s...), nil
	case mgrFastInt:
		return binary.AppendVarint(b, int64(*(*int)(p))), nil
	case mgrFastInt64:
		return binary.AppendVarint(b, *(*int64)(p)), nil
	case mgrFastFloat64:
		return binary.LittleEndian.AppendUint64(b, math.Float64bits(*(*float64)(p))), nil
	case mgrFastBool:
		return appendBool(b, *(*bool)(p)), nil
	}
	b, err := mt.c.enc(b, reflect.ValueOf(v).Elem(), 0)
	if err != nil {
		return nil, &EncodeError{Type: mt.c.t.String(), Err: err}
	}
	return b, nil
}

// read decodes one value from d, which may hold more after it.
func (mt *mgrType[T]) read(d *mgrDecoder, v *T) {
	p := unsafe.Pointer(v)
	switch mt.fast {
	case mgrFastString:
		*(*string)(p) = d.string()
	case mgrFastBytes:
		n, isNil := d.count(1)
		if isNil {
			*(*[]byte)(p) = nil
		} else {
			*(*[]byte)(p) = append([]byte{}, d.take(n)...)
		}
	case mgrFastInt:
		*(*int)(p) = int(d.varint())
	case mgrFastInt64:
		*(*int64)(p) = d.varint()
	case mgrFastFloat64:
		*(*float64)(p) = d.float(reflect.Float64)
	case mgrFastBool:
		*(*bool)(p) = d.bool()
	default:
		mt.c.dec(d, reflect.ValueOf(v).Elem())
	}
}

// decode decodes data, which must hold exactly one value.
func (mt *mgrType[T]) decode(data []byte) (T, error) {
	var v T
	d := mgrDecoder{b: data}
	mt.read(&d, &v)
	if err := d.done(); err != nil {
		var zero T
		return zero, &DecodeError{Type: mt.c.t.String(), Err: err}
	}
	return v, nil
}
