package process

import (
	"bytes"
	"errors"
	"os"
	"reflect"
	"testing"
	"time"

	"github.com/concurgo/concur/internal/wire"
)

var (
	sampleSetup = setupMsg{
		Name: "Process-2:7", Identity: []int{2, 7}, Daemon: true, AuthKey: []byte("0123456789abcdef0123456789abcdef"),
		ParentName: "Process-2", ParentPid: 4242, Grace: 1500 * time.Millisecond, MaxCalls: 1,
		Files: []string{"/tmp/log", "|1"}, Progress: true, Timed: true,
	}
	sampleBatch   = batchMsg{ID: 12, Func: "square", Count: 3, Arg: []byte{7, 8, 9}}
	samplePartial = partialMsg{ID: 12, From: 1, Count: 2, Values: []byte("v"), Failures: []itemFailure{
		{Index: 2, Status: statusPanic, Type: "string", Text: "boom", Stack: "goroutine 1"},
	}}
	sampleCall   = callMsg{ID: 9, Func: "square", Arg: []byte{1, 2, 3}}
	sampleOK     = resultMsg{ID: 9, Status: statusOK, Value: []byte("value")}
	samplePanic  = resultMsg{ID: 10, Status: statusPanic, Type: "string", Text: "boom", Stack: "goroutine 7 [running]:\n..."}
	sampleFailed = resultMsg{ID: 11, Status: statusError, Type: "*errors.errorString", Text: "no"}
)

func TestControlMessagesRoundTrip(t *testing.T) {
	s, err := decodeSetup(sampleSetup.append(nil))
	if err != nil || !reflect.DeepEqual(s, sampleSetup) {
		t.Errorf("setup: %+v, %v", s, err)
	}
	c, err := decodeCall(sampleCall.append(nil))
	if err != nil || !reflect.DeepEqual(c, sampleCall) {
		t.Errorf("call: %+v, %v", c, err)
	}
	for _, want := range []resultMsg{sampleOK, samplePanic, sampleFailed} {
		r, err := decodeResult(want.append(nil))
		if err != nil || !reflect.DeepEqual(r, want) {
			t.Errorf("result: %+v, %v; want %+v", r, err, want)
		}
	}
	b, err := decodeBatch(sampleBatch.append(nil))
	if err != nil || !reflect.DeepEqual(b, sampleBatch) {
		t.Errorf("batch: %+v, %v", b, err)
	}
	p, err := decodePartial(samplePartial.append(nil))
	if err != nil || !reflect.DeepEqual(p, samplePartial) {
		t.Errorf("partial: %+v, %v", p, err)
	}
	for _, bad := range []partialMsg{
		{ID: 1, From: 0, Count: 0}, // no items
		{ID: 1, From: 0, Count: 2, Failures: []itemFailure{{Index: 2, Status: statusError}}}, // failure outside the run
		{ID: 1, From: 0, Count: 2, Failures: []itemFailure{{Index: 1, Status: statusError}, {Index: 1, Status: statusError}}},
		{ID: 1, From: 0, Count: 1, Failures: []itemFailure{{Index: 0, Status: statusOK}}},
	} {
		if _, err := decodePartial(bad.append(nil)); !errors.Is(err, errMalformedControl) {
			t.Errorf("partial %+v accepted: %v", bad, err)
		}
	}
	if _, err := decodeBatch((&batchMsg{ID: 1, Func: "f"}).append(nil)); !errors.Is(err, errMalformedControl) {
		t.Errorf("a batch of no items accepted: %v", err)
	}
	if _, err := decodeSetup(sampleCall.append(nil)); !errors.Is(err, errMalformedControl) {
		t.Errorf("a call decoded as a setup: %v", err)
	}
	if _, err := decodeCall(append(sampleCall.append(nil), 0)); !errors.Is(err, errMalformedControl) {
		t.Errorf("trailing bytes accepted: %v", err)
	}
}

func TestEncodeControlFramesAsWire(t *testing.T) {
	buf, err := encodeControl(sampleSetup.append, sampleCall.append)
	if err != nil {
		t.Fatal(err)
	}
	r := bytes.NewReader(buf)
	for _, want := range [][]byte{sampleSetup.append(nil), sampleCall.append(nil)} {
		got, err := wire.ReadFrame(r, maxControlMessage)
		if err != nil || !bytes.Equal(got, want) {
			t.Fatalf("frame %q, %v; want %q", got, err, want)
		}
	}
}

// FuzzControlMessages feeds the decoders of the control protocol — which
// read another process's bytes — arbitrary input: they must not panic or
// allocate beyond the input, and what they accept must survive a round
// trip.
func FuzzControlMessages(f *testing.F) {
	for _, seed := range [][]byte{
		sampleSetup.append(nil), sampleCall.append(nil),
		sampleOK.append(nil), samplePanic.append(nil), sampleFailed.append(nil),
		sampleBatch.append(nil), samplePartial.append(nil), {msgPartial, 1, 0, 1, 0, 3},
		{msgSetup}, {msgCall, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01},
		{msgResult, 1, 9}, {msgSetup, 0, 0xff, 0xff, 0xff, 0xff, 0x0f},
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, msg []byte) {
		if s, err := decodeSetup(msg); err == nil {
			again, err := decodeSetup(s.append(nil))
			if err != nil || !reflect.DeepEqual(normalize(again), normalize(s)) {
				t.Fatalf("setup round trip: %+v, %v; want %+v", again, err, s)
			}
		}
		if c, err := decodeCall(msg); err == nil {
			again, err := decodeCall(c.append(nil))
			if err != nil || again.ID != c.ID || again.Func != c.Func || !bytes.Equal(again.Arg, c.Arg) {
				t.Fatalf("call round trip: %+v, %v; want %+v", again, err, c)
			}
		}
		if b, err := decodeBatch(msg); err == nil {
			again, err := decodeBatch(b.append(nil))
			if err != nil || again.ID != b.ID || again.Func != b.Func || again.Count != b.Count || !bytes.Equal(again.Arg, b.Arg) {
				t.Fatalf("batch round trip: %+v, %v; want %+v", again, err, b)
			}
		}
		if p, err := decodePartial(msg); err == nil {
			again, err := decodePartial(p.append(nil))
			if err != nil || again.ID != p.ID || again.From != p.From || again.Count != p.Count ||
				!bytes.Equal(again.Values, p.Values) || !reflect.DeepEqual(again.Failures, p.Failures) {
				t.Fatalf("partial round trip: %+v, %v; want %+v", again, err, p)
			}
		}
		if r, err := decodeResult(msg); err == nil {
			again, err := decodeResult(r.append(nil))
			if err != nil || again.ID != r.ID || again.Status != r.Status || !bytes.Equal(again.Value, r.Value) ||
				again.Type != r.Type || again.Text != r.Text || again.Stack != r.Stack {
				t.Fatalf("result round trip: %+v, %v; want %+v", again, err, r)
			}
		}
	})
}

// normalize makes empty and nil slices compare equal.
func normalize(s setupMsg) setupMsg {
	if len(s.AuthKey) == 0 {
		s.AuthKey = nil
	}
	return s
}

// FuzzFileReference decodes File references a message may carry: only an
// index of a file that arrived may be claimed, once.
func FuzzFileReference(f *testing.F) {
	f.Add([]byte{0})
	f.Add([]byte{1})
	f.Add([]byte{0x80, 0x80, 0x80, 0x80, 0x10})
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		devnull, err := os.Open(os.DevNull)
		if err != nil {
			t.Fatal(err)
		}
		table := &fileTable{files: []*os.File{devnull}}
		defer table.closeUnclaimed()
		var got File
		err = withFileTable(table, func() error { return got.GobDecode(data) })
		if err == nil && got.File != nil {
			if got.File != devnull || table.files[0] != nil {
				t.Fatalf("%x claimed %v", data, got.File)
			}
			got.Close()
		}
	})
}
