package process

import (
	"bytes"
	"errors"
	"math"
	"math/big"
	"reflect"
	"strings"
	"testing"
	"time"
)

type mgrCodecList struct {
	V    int
	Next *mgrCodecList
}

type mgrCodecAll struct {
	B     bool
	I     int
	I8    int8
	I64   int64
	U     uint
	U16   uint16
	F32   float32
	F64   float64
	C     complex128
	S     string
	Bytes []byte
	Slice []string
	Arr   [3]uint8
	Map   map[string][]int
	Ptr   *int
	List  *mgrCodecList
	Time  time.Time
	Big   *big.Int
	Empty struct{}
	Named mgrCelsius
	skip  int
}

type mgrCelsius float64

func mgrRoundTrip[T any](t *testing.T, v T) T {
	t.Helper()
	mt, err := mgrTypeOf[T](false)
	if err != nil {
		t.Fatal(err)
	}
	b, err := mt.append(nil, &v)
	if err != nil {
		t.Fatal(err)
	}
	got, err := mt.decode(b)
	if err != nil {
		t.Fatalf("decode %T from %x: %v", v, b, err)
	}
	return got
}

func TestManagerCodecRoundTrip(t *testing.T) {
	seven := 7
	all := mgrCodecAll{
		B: true, I: math.MinInt, I8: -128, I64: math.MaxInt64, U: math.MaxUint, U16: 65535,
		F32: -1.5, F64: math.Inf(-1), C: complex(1, -2), S: "h\xffé",
		Bytes: []byte{}, Slice: []string{"a", ""}, Arr: [3]uint8{1, 2, 3},
		Map: map[string][]int{"x": {1}, "nil": nil}, Ptr: &seven,
		List: &mgrCodecList{1, &mgrCodecList{2, nil}},
		Time: time.Date(2024, 2, 29, 12, 0, 0, 5, time.UTC), Big: big.NewInt(-1 << 62), Named: 36.6,
		skip: 9,
	}
	got := mgrRoundTrip(t, all)
	all.skip = 0 // unexported fields do not travel, as with gob
	if got.Big.Cmp(all.Big) != 0 || !got.Time.Equal(all.Time) {
		t.Fatalf("marshalers: %v %v", got.Big, got.Time)
	}
	got.Big, all.Big, got.Time, all.Time = nil, nil, time.Time{}, time.Time{}
	if !reflect.DeepEqual(got, all) {
		t.Fatalf("round trip:\n got %+v\nwant %+v", got, all)
	}
	// nil and empty stay apart.
	if s := mgrRoundTrip[[]int](t, nil); s != nil {
		t.Fatal("a nil slice came back non-nil")
	}
	if s := mgrRoundTrip(t, []int{}); s == nil {
		t.Fatal("an empty slice came back nil")
	}
	if b := mgrRoundTrip[[]byte](t, nil); b != nil {
		t.Fatal("nil bytes came back non-nil")
	}
	if m := mgrRoundTrip[map[int]int](t, nil); m != nil {
		t.Fatal("a nil map came back non-nil")
	}
	if f := mgrRoundTrip(t, math.NaN()); !math.IsNaN(f) {
		t.Fatal("NaN")
	}
}

func TestManagerCodecFastPath(t *testing.T) {
	// The fast path writes what the general one writes, so that a value
	// inside a container (general path) and at the top (fast path) agree.
	check := func(name string, fast func() ([]byte, error), general func() ([]byte, error)) {
		t.Helper()
		a, err1 := fast()
		b, err2 := general()
		if err1 != nil || err2 != nil || !bytes.Equal(a, b) {
			t.Errorf("%s: fast %x (%v), general %x (%v)", name, a, err1, b, err2)
		}
	}
	both := func(v any, fastEnc func() ([]byte, error)) {
		c, err := mgrCodecOf(reflect.TypeOf(v), false)
		if err != nil {
			t.Fatal(err)
		}
		check(reflect.TypeOf(v).String(), fastEnc, func() ([]byte, error) { return c.enc(nil, reflect.ValueOf(v), 0) })
	}
	s, bs, n, n64, f, ok := "héllo", []byte{1, 2}, -42, int64(math.MinInt64), 2.5, true
	both(s, func() ([]byte, error) { mt, _ := mgrTypeOf[string](false); return mt.append(nil, &s) })
	both(bs, func() ([]byte, error) { mt, _ := mgrTypeOf[[]byte](false); return mt.append(nil, &bs) })
	both(n, func() ([]byte, error) { mt, _ := mgrTypeOf[int](false); return mt.append(nil, &n) })
	both(n64, func() ([]byte, error) { mt, _ := mgrTypeOf[int64](false); return mt.append(nil, &n64) })
	both(f, func() ([]byte, error) { mt, _ := mgrTypeOf[float64](false); return mt.append(nil, &f) })
	both(ok, func() ([]byte, error) { mt, _ := mgrTypeOf[bool](false); return mt.append(nil, &ok) })
}

func TestManagerCodecCanonicalKeys(t *testing.T) {
	type key struct {
		F float64
		C complex64
		S string
	}
	kt, err := mgrTypeOf[key](true)
	if err != nil {
		t.Fatal(err)
	}
	enc := func(k key) []byte {
		b, err := kt.append(nil, &k)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	if !bytes.Equal(enc(key{F: 0}), enc(key{F: math.Copysign(0, -1)})) {
		t.Error("-0 and +0 keys differ")
	}
	if !bytes.Equal(enc(key{F: math.NaN()}), enc(key{F: math.Float64frombits(0x7ff8000000000123)})) {
		t.Error("NaN keys differ")
	}
	if bytes.Equal(enc(key{S: "a"}), enc(key{S: "b"})) {
		t.Error("different keys are equal")
	}
	ft, _ := mgrTypeOf[float64](true)
	z, nz := 0.0, math.Copysign(0, -1)
	a, _ := ft.append(nil, &z)
	b, _ := ft.append(nil, &nz)
	if !bytes.Equal(a, b) {
		t.Error("-0 and +0 float64 keys differ")
	}
}

func TestManagerCodecSignatures(t *testing.T) {
	type a struct {
		X int
		Y []string
	}
	type b struct {
		X int
		Y []string
	}
	type c struct {
		X int64
		Y []string
	}
	sig := func(v any) string {
		c, err := mgrCodecOf(reflect.TypeOf(v), false)
		if err != nil {
			t.Fatal(err)
		}
		return c.sig
	}
	if sig(a{}) != sig(b{}) || sig(a{}) != "struct{X int; Y []string}" {
		t.Errorf("structurally equal types: %q, %q", sig(a{}), sig(b{}))
	}
	if sig(a{}) == sig(c{}) {
		t.Error("int and int64 fields have one signature")
	}
	if s := sig(mgrCodecList{}); !strings.Contains(s, "@") {
		t.Errorf("a recursive type's signature: %q", s)
	}
	if sig(mgrCelsius(0)) != "float64" {
		t.Errorf("a named float: %q", sig(mgrCelsius(0)))
	}
}

func TestManagerCodecDecodeErrors(t *testing.T) {
	bad := func(name string, data []byte, decode func([]byte) error) {
		t.Helper()
		if err := decode(data); err == nil {
			t.Errorf("%s: decoded %x", name, data)
		}
	}
	i8, _ := mgrTypeOf[int8](false)
	u8, _ := mgrTypeOf[uint8](false)
	bl, _ := mgrTypeOf[bool](false)
	st, _ := mgrTypeOf[string](false)
	sl, _ := mgrTypeOf[[]string](false)
	lst, _ := mgrTypeOf[*mgrCodecList](false)
	sliceOfEmpty, _ := mgrTypeOf[[]struct{}](false)
	bad("int8 overflow", []byte{0xd8, 0x04}, func(b []byte) error { _, err := i8.decode(b); return err })
	bad("uint8 overflow", []byte{0x80, 0x02}, func(b []byte) error { _, err := u8.decode(b); return err })
	bad("bool 2", []byte{2}, func(b []byte) error { _, err := bl.decode(b); return err })
	bad("truncated string", []byte{5, 'a'}, func(b []byte) error { _, err := st.decode(b); return err })
	bad("trailing bytes", []byte{1, 'a', 'b'}, func(b []byte) error { _, err := st.decode(b); return err })
	bad("huge slice", []byte{0xff, 0xff, 0xff, 0xff, 0x0f}, func(b []byte) error { _, err := sl.decode(b); return err })
	bad("huge slice of nothing", []byte{0xff, 0xff, 0xff, 0xff, 0x0f}, func(b []byte) error { _, err := sliceOfEmpty.decode(b); return err })
	bad("bad pointer flag", []byte{2}, func(b []byte) error { _, err := lst.decode(b); return err })
	deep := bytes.Repeat([]byte{1, 0}, mgrMaxDepth+10) // V=0, Next=...
	deep = append(deep, 0)
	_, err := lst.decode(deep)
	if err == nil || !errors.Is(err, errMgrMalformed) {
		t.Errorf("a list nested past the limit: %v", err)
	}
	ok := bytes.Repeat([]byte{1, 0}, 10)
	if l, err := lst.decode(append(ok, 0)); err != nil || l.Next == nil {
		t.Errorf("a short list: %v", err)
	}
}

// FuzzManagerCodec decodes arbitrary bytes as values of a type with
// every kind of the format: no panic, no unbounded allocation, and what
// decodes re-encodes to bytes that decode to the same value.
func FuzzManagerCodec(f *testing.F) {
	type fuzzValue struct {
		A []map[string]*int
		B [2]int16
		C string
		D *mgrCodecList
		E []byte
		F bool
		G []struct{}
		H map[uint8]bool
	}
	mt, err := mgrTypeOf[fuzzValue](false)
	if err != nil {
		f.Fatal(err)
	}
	one := 1
	for _, v := range []fuzzValue{{}, {A: []map[string]*int{{"a": &one, "b": nil}}, C: "x", D: &mgrCodecList{V: 3}, G: make([]struct{}, 3)}} {
		b, err := mt.append(nil, &v)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01})
	floats, _ := mgrTypeOf[[]complex64](false)
	f.Fuzz(func(t *testing.T, data []byte) {
		floats.decode(data)
		v, err := mt.decode(data)
		if err != nil {
			return
		}
		b, err := mt.append(nil, &v)
		if err != nil {
			t.Fatal(err)
		}
		v2, err := mt.decode(b)
		if err != nil {
			t.Fatalf("re-encoded %x does not decode: %v", b, err)
		}
		if !reflect.DeepEqual(v, v2) {
			t.Fatalf("round trip changed %+v into %+v", v, v2)
		}
	})
}
