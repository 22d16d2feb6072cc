package shm

import (
	"errors"
	"io/fs"
	"os"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// dupSegment maps s a second time through a duplicate of its file, as a
// child process that inherited the file would.
func dupSegment(t *testing.T, s *Segment) *Segment {
	t.Helper()
	fd, err := syscall.Dup(int(s.File().Fd()))
	if err != nil {
		t.Fatal(err)
	}
	o, err := FromFile(os.NewFile(uintptr(fd), "dup"))
	if err != nil {
		t.Fatal(err)
	}
	return o
}

func TestAnonymousSegmentIsShared(t *testing.T) {
	s, err := New(100)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if s.Size() != 100 || s.Name() != "" {
		t.Fatalf("size %d name %q", s.Size(), s.Name())
	}
	o := dupSegment(t, s)
	defer o.Close()
	if &s.Bytes()[0] == &o.Bytes()[0] {
		t.Fatal("the second mapping should be a different address")
	}
	copy(s.Bytes(), "hello")
	if got := string(o.Bytes()[:5]); got != "hello" {
		t.Fatalf("other mapping sees %q", got)
	}
	atomic.AddUint32(o.Word(8), 7)
	if got := atomic.LoadUint32(s.Word(8)); got != 7 {
		t.Fatalf("word = %d", got)
	}
}

func TestNamedSegmentLifecycle(t *testing.T) {
	name := RandomName("concur_test_")
	s, err := Create(name, 4096)
	if err != nil {
		t.Fatal(err)
	}
	defer Unlink(name)
	if _, err := Create(name, 10); !errors.Is(err, fs.ErrExist) {
		t.Fatalf("second Create: %v, want fs.ErrExist", err)
	}
	copy(s.Bytes(), "abc")
	o, err := Open("/" + name) // CPython's spelling with the slash works too
	if err != nil {
		t.Fatal(err)
	}
	if o.Size() != 4096 || string(o.Bytes()[:3]) != "abc" || o.Name() != "/"+name {
		t.Fatalf("opened size %d bytes %q name %q", o.Size(), o.Bytes()[:3], o.Name())
	}
	if err := o.Close(); err != nil {
		t.Fatal(err)
	}
	if err := o.Close(); !errors.Is(err, ErrClosed) {
		t.Fatalf("second Close: %v", err)
	}
	if !o.Closed() || s.Closed() {
		t.Fatal("Closed is wrong")
	}
	s.Close()
	if err := Unlink(name); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(name); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("Open after Unlink: %v, want fs.ErrNotExist", err)
	}
	if err := Unlink(name); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("second Unlink: %v", err)
	}
}

func TestInvalidArguments(t *testing.T) {
	for _, name := range []string{"", "/", "a/b", "..", strings.Repeat("x", 256)} {
		if _, err := Create(name, 10); err == nil || !strings.Contains(err.Error(), "invalid segment name") {
			t.Errorf("Create(%q): %v", name, err)
		}
	}
	if _, err := New(0); err == nil {
		t.Error("New(0) should fail")
	}
	if _, err := Create(RandomName("concur_test_"), -1); err == nil {
		t.Error("Create with a negative size should fail")
	}
	f, err := os.CreateTemp(t.TempDir(), "empty")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := FromFile(f); err == nil {
		t.Error("FromFile of an empty file should fail")
	}
}

func TestAtPanicsOnBadLayout(t *testing.T) {
	s, err := New(64)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, off := range []int{-4, 2, 64, 62} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("Word(%d) did not panic", off)
				}
			}()
			s.Word(off)
		}()
	}
}
