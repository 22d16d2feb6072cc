package process

import (
	"errors"
	"io"
	"os"
	"strings"
	"syscall"
	"testing"
)

// sharedRoundTrip sends v through the codec as an argument to a child
// would travel, with its files duplicated as the kernel duplicates them
// for a child, and returns the copy: a second mapping of the same memory
// in this process.
func sharedRoundTrip[T any](t *testing.T, v T) T {
	t.Helper()
	data, files, err := encodeMessage(v)
	if err != nil {
		t.Fatalf("encode %T: %v", v, err)
	}
	dups := make([]*os.File, len(files))
	for i, f := range files {
		fd, err := syscall.Dup(int(f.Fd()))
		if err != nil {
			t.Fatal(err)
		}
		dups[i] = os.NewFile(uintptr(fd), f.Name())
	}
	var out T
	if err := decodeMessage(data, dups, &out); err != nil {
		t.Fatalf("decode %T: %v", v, err)
	}
	return out
}

func TestSharedObjectsRefuseOtherTypes(t *testing.T) {
	v, err := NewValue[int32](1)
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	data, files, err := encodeMessage(v)
	if err != nil {
		t.Fatal(err)
	}
	for _, target := range []any{new(*Value[float64]), new(*Lock), new(*Array[int32])} {
		fd, _ := syscall.Dup(int(files[0].Fd()))
		err := decodeMessage(data, []*os.File{os.NewFile(uintptr(fd), "dup")}, target)
		var te *SharedTypeError
		if !errors.As(err, &te) || te.Got != "Value[int32]" {
			t.Errorf("decode into %T: %v", target, err)
		}
	}
	// A file that is not a shared object at all.
	f, err := os.CreateTemp(t.TempDir(), "x")
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString(strings.Repeat("x", 64))
	if err := decodeMessage(data, []*os.File{f}, new(*Value[int32])); err == nil || !strings.Contains(err.Error(), "not a shared Value") {
		t.Errorf("decode of a plain file: %v", err)
	}
	// Outside a concur message the handle cannot travel.
	if _, err := v.GobEncode(); !errors.Is(err, ErrNotInMessage) {
		t.Errorf("bare GobEncode: %v", err)
	}
}

// FuzzSharedHandle feeds arbitrary bytes, which another process wrote, to
// the decoders of shared objects' handles, with two real segments in the
// message's file table: nothing may panic, leak a file, or map a segment
// as the wrong kind.
func FuzzSharedHandle(f *testing.F) {
	f.Add([]byte{0})
	f.Add([]byte{1})
	f.Add([]byte{0x80})
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01})
	f.Add([]byte{0, 0})
	f.Add([]byte{byte(kindLock), 1, 0, 1})
	f.Add([]byte{byte(kindRLock), 1, 1, 0})
	f.Add([]byte{0, 'p', 's', 'm'})
	lock, err := NewLock()
	if err != nil {
		f.Fatal(err)
	}
	defer lock.Close()
	cond, err := NewCondition(lock)
	if err != nil {
		f.Fatal(err)
	}
	defer cond.Close()
	decoders := []func([]byte) (io.Closer, error){
		func(b []byte) (io.Closer, error) { v := new(Lock); return v, v.GobDecode(b) },
		func(b []byte) (io.Closer, error) { v := new(Array[int32]); return v, v.GobDecode(b) },
		func(b []byte) (io.Closer, error) { v := new(Condition); return v, v.GobDecode(b) },
		func(b []byte) (io.Closer, error) { v := new(SharedMemory); return v, v.GobDecode(b) },
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, decode := range decoders {
			var files []*os.File
			for _, fd := range []uintptr{lock.seg.File().Fd(), cond.seg.File().Fd()} {
				dup, err := syscall.Dup(int(fd))
				if err != nil {
					t.Skip(err)
				}
				files = append(files, os.NewFile(uintptr(dup), "dup"))
			}
			table := &fileTable{files: files}
			withFileTable(table, func() error {
				if v, err := decode(data); err == nil {
					v.Close()
				}
				return nil
			})
			table.closeUnclaimed()
		}
	})
}
