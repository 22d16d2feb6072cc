package wire

import (
	"bytes"
	"encoding/hex"
	"errors"
	"io"
	"testing"
)

func TestFrameRoundTrip(t *testing.T) {
	for _, n := range []int{0, 1, 100, SmallWrite, SmallWrite + 1, 3 << 20} {
		p := bytes.Repeat([]byte{byte(n)}, n)
		var b bytes.Buffer
		if err := WriteFrame(&b, p); err != nil {
			t.Fatal(err)
		}
		if b.Len() != 4+n {
			t.Fatalf("n=%d: wrote %d bytes", n, b.Len())
		}
		got, err := ReadFrame(&b, 0)
		if err != nil || !bytes.Equal(got, p) {
			t.Fatalf("n=%d: got %d bytes, %v", n, len(got), err)
		}
		if _, err := ReadFrame(&b, 0); err != io.EOF {
			t.Fatalf("after last frame: %v, want io.EOF", err)
		}
	}
}

func TestPythonHeaders(t *testing.T) {
	var b bytes.Buffer
	WriteFrame(&b, nil)
	if got := hex.EncodeToString(b.Bytes()); got != "00000000" {
		t.Errorf("empty message header %s", got)
	}
	if got := hex.EncodeToString(AppendHeader(nil, 1<<31)); got != "ffffffff0000000080000000" {
		t.Errorf("long header %s", got)
	}
	// Python accepts the long form for any length; so does concur.
	long := []byte{0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0, 3, 'a', 'b', 'c'}
	got, err := ReadFrame(bytes.NewReader(long), 0)
	if err != nil || string(got) != "abc" {
		t.Errorf("long form: %q %v", got, err)
	}
}

func TestReadErrors(t *testing.T) {
	cases := []struct {
		name string
		in   []byte
		max  int64
		want error
	}{
		{"empty stream", nil, 0, io.EOF},
		{"partial header", []byte{0, 0}, 0, io.ErrUnexpectedEOF},
		{"partial payload", []byte{0, 0, 0, 5, 'a'}, 0, io.ErrUnexpectedEOF},
		{"partial long header", []byte{0xff, 0xff, 0xff, 0xff, 0}, 0, io.ErrUnexpectedEOF},
		{"negative length", []byte{0xff, 0xff, 0xff, 0xfe}, 0, ErrMalformed},
		{"long length over int64", []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0}, 0, ErrMalformed},
		{"over limit", []byte{0, 0, 1, 0}, 255, ErrTooLarge},
	}
	for _, c := range cases {
		_, err := ReadFrame(bytes.NewReader(c.in), c.max)
		if !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", c.name, err, c.want)
		}
	}
}

func TestHugeDeclaredLengthDoesNotAllocate(t *testing.T) {
	in := []byte{0xff, 0xff, 0xff, 0xff, 0, 0, 0x10, 0, 0, 0, 0, 0, 'x'} // 16 TiB declared
	allocs := testing.AllocsPerRun(1, func() {
		if _, err := ReadFrame(bytes.NewReader(in), 0); err != io.ErrUnexpectedEOF {
			t.Fatalf("got %v", err)
		}
	})
	if allocs > 10 {
		t.Errorf("%v allocations for a truncated huge frame", allocs)
	}
}

func FuzzReadFrame(f *testing.F) {
	f.Add([]byte{0, 0, 0, 3, 'a', 'b', 'c'})
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0, 1, 'z'})
	f.Add([]byte{0x80, 0, 0, 0})
	f.Fuzz(func(t *testing.T, in []byte) {
		r := bytes.NewReader(in)
		for {
			p, err := ReadFrame(r, 1<<20)
			if err != nil {
				return
			}
			// A frame that decoded re-encodes to the bytes it came from,
			// modulo the long form, which concur never writes for short data.
			var b bytes.Buffer
			WriteFrame(&b, p)
			if got, _ := ReadFrame(&b, 0); !bytes.Equal(got, p) {
				t.Fatalf("round trip changed %q", p)
			}
		}
	})
}

func TestParseHeaderPartial(t *testing.T) {
	for _, in := range [][]byte{nil, {0, 0, 0}, {0xff, 0xff, 0xff, 0xff, 0, 0, 0}} {
		if n, hl, err := ParseHeader(in, 0); n != 0 || hl != 0 || err != nil {
			t.Errorf("%x: got %d, %d, %v; want a partial header", in, n, hl, err)
		}
	}
	if n, hl, err := ParseHeader([]byte{0, 0, 0, 9, 'x'}, 0); n != 9 || hl != 4 || err != nil {
		t.Errorf("short form: %d, %d, %v", n, hl, err)
	}
	if n, hl, err := ParseHeader(AppendHeader(nil, 1<<31), 0); n != 1<<31 || hl != 12 || err != nil {
		t.Errorf("long form: %d, %d, %v", n, hl, err)
	}
}

func TestWriteFrameSmallDoesNotAllocate(t *testing.T) {
	p := make([]byte, 100)
	allocs := testing.AllocsPerRun(100, func() { WriteFrame(io.Discard, p) })
	if allocs > 0 {
		t.Errorf("%v allocations per small frame", allocs)
	}
}
