package process

import (
	"bytes"
	"encoding"
	"encoding/binary"
	"encoding/gob"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"reflect"
	"sync"
	"unsafe"
)

// The queues encode items in the calling process: Put encodes before it
// takes the queue's lock, so an item that cannot travel is an error from
// Put, and Get decodes after it has let the lock go. Records carry no
// type information, since every process of the family runs the same
// binary and a queue's item type is fixed (and checked when a queue
// arrives in a process). Three encodings, chosen once per item type:
//
//   - plain: booleans, numbers, strings and byte slices (and named types
//     of those kinds without marshalling methods) travel as their bytes,
//     which is all a value of such a type is. So do structs whose fields
//     are all exported and of those kinds (or such structs), field after
//     field, strings and slices with their length: gob would send every
//     field of such a struct too, so the item that arrives is the same.
//     No reflection per item, no allocation beyond the strings and slices
//     Get returns.
//   - primed gob: other types go through encoding/gob, but not one
//     self-contained gob stream per item, whose type descriptors make a
//     small item cost tens of microseconds to decode. Each process keeps
//     encoders and decoders that have already seen the type's
//     descriptors (they encoded or decoded one zero value first); a
//     record holds only the value's part of the gob message. Gob type ids
//     are assigned per process, so the record leaves out the id, and the
//     decoding process puts its own back (see gobMessageBody).
//   - self-contained gob: a type with an interface inside (any, error,
//     fields of interface type) makes gob send descriptors of concrete
//     types as they first appear, in the middle of a stream, which a
//     primed decoder in another process would never see; such items are
//     one whole gob stream each, as a typed Conn message is.

type codecKind uint8

const (
	codecPlainFixed codecKind = iota + 1 // bool and numbers: the value's bytes
	codecPlainString
	codecPlainBytes
	codecPlainStruct // plainFields, one after the other
	codecPrimedGob
	codecStreamGob
)

// plainField is a field of a struct with the plain encoding, or of a
// struct inside it, at offset off from the start of the item.
type plainField struct {
	off    uintptr
	kind   codecKind // codecPlainFixed, codecPlainString or codecPlainBytes
	size   int       // codecPlainFixed
	isBool bool
}

// itemCodec is the encoding of one item type in this process, shared by
// every queue of that type (see codecFor).
type itemCodec[T any] struct {
	kind     codecKind
	size     int          // codecPlainFixed: the size of T
	isBool   bool         // codecPlainFixed: only 0 and 1 are valid
	ptr      bool         // T is a pointer type (see gobValue)
	fields   []plainField // codecPlainStruct
	typeName string       // T as reflect prints it
	typeHash uint64       // of typeName, to recognise a queue of another type

	// codecPrimedGob
	priming []byte    // a fresh encoder's output for one zero value
	typeID  []byte    // T's gob type id in this process, as gob writes it
	encs    sync.Pool // *primedEncoder
	decs    sync.Pool // *primedDecoder
}

var itemCodecs sync.Map // reflect.Type -> *itemCodec[T] or error

// codecFor returns the codec for T, building it on first use, or an
// *EncodeError if gob cannot encode a T at all (a func or chan type, a
// struct with no exported fields).
func codecFor[T any]() (*itemCodec[T], error) {
	t := reflect.TypeFor[T]()
	if c, ok := itemCodecs.Load(t); ok {
		if err, bad := c.(error); bad {
			return nil, err
		}
		return c.(*itemCodec[T]), nil
	}
	c, err := newItemCodec[T](t)
	if err != nil {
		itemCodecs.LoadOrStore(t, err)
		return nil, err
	}
	actual, _ := itemCodecs.LoadOrStore(t, c)
	return actual.(*itemCodec[T]), nil
}

func newItemCodec[T any](t reflect.Type) (*itemCodec[T], error) {
	h := fnv.New64a()
	io.WriteString(h, typeKey(t))
	c := &itemCodec[T]{typeName: t.String(), typeHash: h.Sum64(), ptr: t.Kind() == reflect.Pointer}
	if !marshals(t) {
		if f, ok := plainField1(t, 0); ok {
			c.kind, c.size, c.isBool = f.kind, f.size, f.isBool
			return c, nil
		}
		if t.Kind() == reflect.Struct {
			if fields, ok := plainFields(t, 0, nil); ok {
				c.kind, c.fields = codecPlainStruct, fields
				return c, nil
			}
		}
	}
	c.kind = codecPrimedGob
	var buf bytes.Buffer
	err := gob.NewEncoder(&buf).Encode(c.gobValue(primingValue[T]()))
	if err != nil && typeHas(t, marshals, map[reflect.Type]bool{}) {
		// A zero value cannot be encoded, through no fault of the type
		// (a GobEncode that refuses zero values; a shared object, whose
		// zero value is closed): items may still encode one by one.
		c.kind = codecStreamGob
		return c, nil
	}
	if err != nil {
		return nil, &EncodeError{Type: c.typeName, Err: err}
	}
	if typeHas(t, isInterface, map[reflect.Type]bool{}) {
		c.kind = codecStreamGob
		return c, nil
	}
	c.priming = buf.Bytes()
	// The stream is type descriptors (negative ids) and then the value's
	// message, which starts with T's id.
	rest := c.priming
	for {
		n, k, ok := gobUint(rest)
		if !ok || n > uint64(len(rest)-k) {
			return nil, fmt.Errorf("process: unexpected gob stream for %s", c.typeName)
		}
		msg := rest[k : k+int(n)]
		rest = rest[k+int(n):]
		if len(rest) == 0 {
			id, m, ok := gobUint(msg)
			if !ok || id&1 != 0 { // a value's id is positive: an even zigzag
				return nil, fmt.Errorf("process: unexpected gob stream for %s", c.typeName)
			}
			c.typeID = msg[:m]
			return c, nil
		}
	}
}

// plainField1 returns the plain encoding of a value of type t at offset
// off, if t is a boolean, number, string or byte slice type.
func plainField1(t reflect.Type, off uintptr) (plainField, bool) {
	switch t.Kind() {
	case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
		reflect.Float32, reflect.Float64, reflect.Complex64, reflect.Complex128:
		return plainField{off: off, kind: codecPlainFixed, size: int(t.Size()), isBool: t.Kind() == reflect.Bool}, true
	case reflect.String:
		return plainField{off: off, kind: codecPlainString}, true
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Uint8 && !marshals(t.Elem()) {
			return plainField{off: off, kind: codecPlainBytes}, true
		}
	}
	return plainField{}, false
}

// plainFields appends the fields of struct type t, at offset base, to
// fields, and reports whether every one of them (and of the structs
// inside) is exported, has no marshalling method and takes the plain
// encoding.
func plainFields(t reflect.Type, base uintptr, fields []plainField) ([]plainField, bool) {
	for i := range t.NumField() {
		sf := t.Field(i)
		if !sf.IsExported() || marshals(sf.Type) {
			return nil, false
		}
		if f, ok := plainField1(sf.Type, base+sf.Offset); ok {
			fields = append(fields, f)
			continue
		}
		if sf.Type.Kind() != reflect.Struct {
			return nil, false
		}
		var ok bool
		if fields, ok = plainFields(sf.Type, base+sf.Offset, fields); !ok {
			return nil, false
		}
	}
	return fields, true
}

// typeKey names t with the import paths that reflect's String leaves
// out, so that model.Item from two different packages named model are
// told apart when a queue arrives in a process.
func typeKey(t reflect.Type) string {
	if t.Name() != "" {
		return t.PkgPath() + "." + t.Name()
	}
	switch t.Kind() {
	case reflect.Pointer:
		return "*" + typeKey(t.Elem())
	case reflect.Slice:
		return "[]" + typeKey(t.Elem())
	case reflect.Array:
		return fmt.Sprintf("[%d]%s", t.Len(), typeKey(t.Elem()))
	case reflect.Map:
		return "map[" + typeKey(t.Key()) + "]" + typeKey(t.Elem())
	}
	return t.String()
}

var (
	gobEncoderType    = reflect.TypeFor[gob.GobEncoder]()
	binaryMarshalType = reflect.TypeFor[encoding.BinaryMarshaler]()
)

// marshals reports whether gob would encode t with t's own method, which
// the plain encoding must then not bypass. (Gob ignores MarshalText.)
func marshals(t reflect.Type) bool {
	for _, u := range []reflect.Type{t, reflect.PointerTo(t)} {
		if u.Implements(gobEncoderType) || u.Implements(binaryMarshalType) {
			return true
		}
	}
	return false
}

// typeHas reports whether a value of type t may hold a value of a type
// for which match is true, looking where gob looks: not into types with
// their own marshalling methods, nor into unexported fields.
func typeHas(t reflect.Type, match func(reflect.Type) bool, seen map[reflect.Type]bool) bool {
	if seen[t] {
		return false
	}
	seen[t] = true
	if match(t) {
		return true
	}
	if marshals(t) {
		return false
	}
	switch t.Kind() {
	case reflect.Pointer, reflect.Slice, reflect.Array:
		return typeHas(t.Elem(), match, seen)
	case reflect.Map:
		return typeHas(t.Key(), match, seen) || typeHas(t.Elem(), match, seen)
	case reflect.Struct:
		for i := range t.NumField() {
			if f := t.Field(i); f.IsExported() && typeHas(f.Type, match, seen) {
				return true
			}
		}
	}
	return false
}

func isInterface(t reflect.Type) bool { return t.Kind() == reflect.Interface }

// gobValue is what to hand gob for *v: v itself, so that an interface
// type travels as an interface, but the pointer *v for a pointer type T,
// since gob mishandles a pointer to a pointer whose target has a
// pointer-receiver GobEncode (it calls the method on a nil interface).
func (c *itemCodec[T]) gobValue(v *T) any {
	if c.ptr {
		return *v
	}
	return v
}

// primingValue returns a pointer to a zero T whose pointers, if T is a
// pointer type, are allocated: gob refuses a nil pointer at the top.
func primingValue[T any]() *T {
	p := new(T)
	v := reflect.ValueOf(p).Elem()
	for v.Kind() == reflect.Pointer {
		v.Set(reflect.New(v.Type().Elem()))
		v = v.Elem()
	}
	return p
}

// encodePlain returns the record body for v if T takes the plain
// encoding. The body aliases v (a string's or a slice's bytes) or is
// appended to buf; the caller copies it into the queue. It is apart from
// encodeGob so that v does not escape to the heap on this path.
func (c *itemCodec[T]) encodePlain(v *T, buf []byte) (body []byte, ok bool) {
	switch c.kind {
	case codecPlainFixed:
		return append(buf, unsafe.Slice((*byte)(unsafe.Pointer(v)), c.size)...), true
	case codecPlainString:
		s := *(*string)(unsafe.Pointer(v))
		return unsafe.Slice(unsafe.StringData(s), len(s)), true
	case codecPlainBytes:
		return *(*[]byte)(unsafe.Pointer(v)), true
	case codecPlainStruct:
		for _, f := range c.fields {
			p := unsafe.Add(unsafe.Pointer(v), f.off)
			switch f.kind {
			case codecPlainFixed:
				buf = append(buf, unsafe.Slice((*byte)(p), f.size)...)
			case codecPlainString:
				s := *(*string)(p)
				buf = append(binary.AppendUvarint(buf, uint64(len(s))), s...)
			case codecPlainBytes:
				b := *(*[]byte)(p)
				buf = append(binary.AppendUvarint(buf, uint64(len(b))), b...)
			}
		}
		return buf, true
	}
	return nil, false
}

// encodeGob returns the record body for v if T goes through gob. The body
// may live in the buffer of e, a pooled encoder: the caller copies the
// body, then hands e back with release.
func (c *itemCodec[T]) encodeGob(v T) (body []byte, e *primedEncoder, err error) {
	if c.ptr && *(*unsafe.Pointer)(unsafe.Pointer(&v)) == nil {
		// gob panics on a nil pointer at the top.
		return nil, nil, &EncodeError{Type: c.typeName, Err: errors.New("gob cannot encode a nil pointer")}
	}
	if c.kind == codecStreamGob {
		body, err := c.encodeStream(&v)
		return body, nil, err
	}
	if e, err = c.encoder(); err != nil {
		return nil, nil, err
	}
	e.buf.Reset()
	if err := e.enc.Encode(c.gobValue(&v)); err != nil {
		// A failed Encode writes nothing and leaves the encoder usable,
		// but a fresh one costs little and is certain.
		return nil, nil, &EncodeError{Type: c.typeName, Err: err}
	}
	body, err = gobMessageBody(e.buf.Bytes())
	if err != nil {
		return nil, nil, &EncodeError{Type: c.typeName, Err: err}
	}
	return body, e, nil
}

// release returns an encoder that encodeGob handed out to the pool.
func (c *itemCodec[T]) release(e *primedEncoder) {
	if e != nil {
		c.encs.Put(e)
	}
}

func (c *itemCodec[T]) encodeStream(v *T) ([]byte, error) {
	var buf bytes.Buffer
	if err := gob.NewEncoder(&buf).Encode(c.gobValue(v)); err != nil {
		return nil, &EncodeError{Type: c.typeName, Err: err}
	}
	return buf.Bytes(), nil
}

// decode decodes a record body that the caller owns.
func (c *itemCodec[T]) decode(body []byte) (T, error) {
	switch c.kind {
	case codecPrimedGob, codecStreamGob:
		return c.decodeGob(body)
	}
	return c.decodePlain(body)
}

// decodePlain is apart from decodeGob so that its result does not
// escape to the heap.
func (c *itemCodec[T]) decodePlain(body []byte) (T, error) {
	var v T
	if c.kind != codecPlainStruct {
		if rest, ok := decodePlainField(unsafe.Pointer(&v), plainField{kind: c.kind, size: c.size, isBool: c.isBool}, body, true); !ok || len(rest) != 0 {
			return v, c.decodeError(errors.New("malformed record"))
		}
		return v, nil
	}
	for _, f := range c.fields {
		var ok bool
		if body, ok = decodePlainField(unsafe.Add(unsafe.Pointer(&v), f.off), f, body, false); !ok {
			return v, c.decodeError(errors.New("malformed record"))
		}
	}
	if len(body) != 0 {
		return v, c.decodeError(errors.New("malformed record"))
	}
	return v, nil
}

// decodePlainField decodes the field f from the start of body into the
// memory at p and returns the rest of body. A string or byte slice is
// all of body if whole, else it is prefixed with its length.
func decodePlainField(p unsafe.Pointer, f plainField, body []byte, whole bool) (rest []byte, ok bool) {
	if f.kind == codecPlainFixed {
		if len(body) < f.size || f.isBool && body[0] > 1 {
			return nil, false
		}
		copy(unsafe.Slice((*byte)(p), f.size), body)
		return body[f.size:], true
	}
	b := body
	if !whole {
		n, k := binary.Uvarint(body)
		if k <= 0 || n > uint64(len(body)-k) {
			return nil, false
		}
		b, rest = body[k:k+int(n)], body[k+int(n):]
	}
	if f.kind == codecPlainString {
		*(*string)(p) = string(b)
	} else if len(b) > 0 { // an empty slice arrives as nil, as gob delivers it
		*(*[]byte)(p) = bytes.Clone(b)
	}
	return rest, true
}

func (c *itemCodec[T]) decodeGob(body []byte) (T, error) {
	var v T
	if c.kind == codecStreamGob {
		if err := gob.NewDecoder(bytes.NewReader(body)).Decode(&v); err != nil {
			return v, c.decodeError(err)
		}
		return v, nil
	}
	d, err := c.decoder()
	if err != nil {
		return v, err
	}
	d.r.head = appendGobUint(d.hdr[:0], uint64(len(c.typeID)+len(body)))
	d.r.head = append(d.r.head, c.typeID...)
	d.r.body = body
	if err := d.dec.Decode(&v); err != nil {
		// A decoder that failed mid-message is left out of the pool.
		return v, c.decodeError(err)
	}
	c.decs.Put(d)
	return v, nil
}

func (c *itemCodec[T]) decodeError(err error) error {
	return &DecodeError{Type: c.typeName, Err: err}
}

type primedEncoder struct {
	buf bytes.Buffer
	enc *gob.Encoder
}

func (c *itemCodec[T]) encoder() (*primedEncoder, error) {
	if e, ok := c.encs.Get().(*primedEncoder); ok {
		return e, nil
	}
	e := &primedEncoder{}
	e.enc = gob.NewEncoder(&e.buf)
	if err := e.enc.Encode(c.gobValue(primingValue[T]())); err != nil {
		return nil, &EncodeError{Type: c.typeName, Err: err}
	}
	return e, nil
}

type primedDecoder struct {
	r   msgReader
	hdr [20]byte // the message header: a length and T's type id
	dec *gob.Decoder
}

func (c *itemCodec[T]) decoder() (*primedDecoder, error) {
	if d, ok := c.decs.Get().(*primedDecoder); ok {
		return d, nil
	}
	d := &primedDecoder{}
	d.dec = gob.NewDecoder(&d.r)
	d.r.head = c.priming
	if err := d.dec.Decode(new(T)); err != nil {
		return nil, c.decodeError(err)
	}
	return d, nil
}

// msgReader serves a header and then a body to a gob.Decoder. It is an
// io.ByteReader, so the decoder reads exactly one message from it and
// buffers nothing beyond.
type msgReader struct{ head, body []byte }

func (r *msgReader) Read(p []byte) (int, error) {
	if len(r.head) > 0 {
		n := copy(p, r.head)
		r.head = r.head[n:]
		return n, nil
	}
	if len(r.body) == 0 {
		return 0, io.EOF
	}
	n := copy(p, r.body)
	r.body = r.body[n:]
	return n, nil
}

func (r *msgReader) ReadByte() (byte, error) {
	var b [1]byte
	if _, err := r.Read(b[:]); err != nil {
		return 0, err
	}
	return b[0], nil
}

// gobMessageBody returns the part of an encoder's output for one value
// that follows the message length and the type id: the value alone. The
// primed encoder sends no type descriptors any more, so the output is
// exactly one message. Gob's wire format is documented in its package
// comment: an unsigned integer below 128 is one byte, a larger one is
// the negated byte count followed by the big-endian bytes; a signed one
// is zigzag-coded into an unsigned one.
func gobMessageBody(msg []byte) ([]byte, error) {
	n, k, ok := gobUint(msg)
	if !ok || n != uint64(len(msg)-k) {
		return nil, errors.New("gob wrote more than one message")
	}
	_, m, ok := gobUint(msg[k:])
	if !ok {
		return nil, errors.New("gob wrote a malformed message")
	}
	return msg[k+m:], nil
}

// gobUint decodes a gob unsigned integer at the start of b and returns it
// with the number of bytes it took.
func gobUint(b []byte) (x uint64, n int, ok bool) {
	if len(b) == 0 {
		return 0, 0, false
	}
	if b[0] < 0x80 {
		return uint64(b[0]), 1, true
	}
	k := int(-int8(b[0]))
	if k < 1 || k > 8 || len(b) < 1+k {
		return 0, 0, false
	}
	for _, c := range b[1 : 1+k] {
		x = x<<8 | uint64(c)
	}
	return x, 1 + k, true
}

func appendGobUint(b []byte, x uint64) []byte {
	if x < 0x80 {
		return append(b, byte(x))
	}
	var be [8]byte
	k := 8
	for v := x; v > 0; v >>= 8 {
		k--
		be[k] = byte(v)
	}
	return append(append(b, byte(-int8(8-k))), be[k:]...)
}
