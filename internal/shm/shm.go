// Package shm maps memory that several processes share: anonymous
// segments backed by a memfd, which travel to other processes as an open
// file (inherited at start or sent over a unix socket), and named POSIX
// segments under /dev/shm, which unrelated processes open by name, the
// ones Python's multiprocessing.shared_memory and shm_open(3) use.
//
// A Segment is a file and a MAP_SHARED mapping of all of it. Its bytes are
// plain memory: the caller lays out what lives in them and uses
// sync/atomic (or internal/futex types overlaid with Word and At) for
// anything that more than one process touches at once.
package shm

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"unsafe"
)

// Dir is where named segments live: glibc's shm_open(3) and CPython's
// _posixshmem map the name "/x" to Dir+"/x".
const Dir = "/dev/shm"

// ErrClosed is returned when a closed segment is used.
var ErrClosed = errors.New("shm: segment is closed")

// Segment is a shared mapping of a whole file. Its methods may be called
// from several goroutines, except Close, which must not race with the
// others.
type Segment struct {
	file *os.File
	data []byte
	name string // "" for anonymous segments
	once sync.Once
	stop runtime.Cleanup
}

// New creates an anonymous segment of size bytes, zero-filled, backed by
// a memfd. The memfd is close-on-exec; pass File to a child explicitly.
func New(size int) (*Segment, error) {
	if size <= 0 {
		return nil, fmt.Errorf("shm: size %d is not positive", size)
	}
	fd, err := memfdCreate("concur")
	if err != nil {
		return nil, fmt.Errorf("shm: memfd_create: %w", err)
	}
	f := os.NewFile(uintptr(fd), "memfd:concur")
	if err := f.Truncate(int64(size)); err != nil {
		f.Close()
		return nil, fmt.Errorf("shm: %w", err)
	}
	return mapFile(f, "", size)
}

// FromFile maps all of f, a segment's file received from another process,
// and takes ownership of f: Close closes it.
func FromFile(f *os.File) (*Segment, error) {
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("shm: %w", err)
	}
	if fi.Size() <= 0 {
		f.Close()
		return nil, fmt.Errorf("shm: %s is empty, not a shared segment", f.Name())
	}
	return mapFile(f, "", int(fi.Size()))
}

// Create creates the named segment name with size bytes, zero-filled. It
// fails with an error matching fs.ErrExist if the name is taken. The
// segment stays in the system until Unlink, even after every process
// closed it.
func Create(name string, size int) (*Segment, error) {
	if size <= 0 {
		return nil, fmt.Errorf("shm: size %d is not positive", size)
	}
	path, err := pathOf(name)
	if err != nil {
		return nil, err
	}
	// Mode 0600, as CPython uses: a segment is private to its user.
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, fmt.Errorf("shm: create %q: %w", name, unwrapPath(err))
	}
	if err := f.Truncate(int64(size)); err != nil {
		f.Close()
		os.Remove(path)
		return nil, fmt.Errorf("shm: create %q: %w", name, unwrapPath(err))
	}
	s, err := mapFile(f, name, size)
	if err != nil {
		os.Remove(path)
	}
	return s, err
}

// Open maps the existing named segment name, all of it. It fails with an
// error matching fs.ErrNotExist if there is no such segment.
func Open(name string) (*Segment, error) {
	path, err := pathOf(name)
	if err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return nil, fmt.Errorf("shm: open %q: %w", name, unwrapPath(err))
	}
	s, err := FromFile(f)
	if err != nil {
		return nil, err
	}
	s.name = name
	return s, nil
}

// Unlink removes the named segment name from the system: no process can
// open it any more, and its memory is freed once every mapping of it is
// closed. It fails with an error matching fs.ErrNotExist if there is no
// such segment.
func Unlink(name string) error {
	path, err := pathOf(name)
	if err != nil {
		return err
	}
	if err := os.Remove(path); err != nil {
		return fmt.Errorf("shm: unlink %q: %w", name, unwrapPath(err))
	}
	return nil
}

// RandomName returns a fresh segment name with the given prefix, as
// CPython's "psm_" names are made.
func RandomName(prefix string) string {
	var b [8]byte
	rand.Read(b[:])
	return prefix + hex.EncodeToString(b[:])
}

// pathOf validates a segment name and returns its path. Names are those
// of shm_open(3) without its leading slash (a leading slash is accepted
// and dropped, as CPython reports names without it).
func pathOf(name string) (string, error) {
	n := strings.TrimPrefix(name, "/")
	if n == "" || n == "." || n == ".." || strings.ContainsRune(n, '/') || strings.ContainsRune(n, 0) || len(n) > 255 {
		return "", fmt.Errorf("shm: invalid segment name %q: want 1 to 255 bytes, no '/' after the first", name)
	}
	return Dir + "/" + n, nil
}

// unwrapPath drops the *fs.PathError layer, whose path repeats the name.
func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

func mapFile(f *os.File, name string, size int) (*Segment, error) {
	data, err := syscall.Mmap(int(f.Fd()), 0, size, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_SHARED)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("shm: mmap: %w", err)
	}
	s := &Segment{file: f, data: data, name: name}
	// A segment dropped without Close is unmapped by the collector. The
	// file has its own cleanup in package os.
	s.stop = runtime.AddCleanup(s, func(b []byte) { syscall.Munmap(b) }, data)
	return s, nil
}

// Bytes returns the mapped memory. It is valid until Close; using it after
// Close faults.
func (s *Segment) Bytes() []byte { return s.data }

// Size returns the size of the mapping in bytes.
func (s *Segment) Size() int { return len(s.data) }

// Name returns the segment's name, or "" for an anonymous segment.
func (s *Segment) Name() string { return s.name }

// File returns the segment's file, to pass to another process, which maps
// it with FromFile. It stays owned by the segment.
func (s *Segment) File() *os.File { return s.file }

// Closed reports whether Close was called.
func (s *Segment) Closed() bool { return s.data == nil }

// Close unmaps the segment and closes its file; a named segment stays in
// the system (see Unlink). Closing twice returns ErrClosed.
func (s *Segment) Close() error {
	err := ErrClosed
	s.once.Do(func() {
		s.stop.Stop()
		err = syscall.Munmap(s.data)
		s.data = nil
		if cerr := s.file.Close(); err == nil {
			err = cerr
		}
	})
	return err
}

// Word returns a pointer to the 32-bit word at byte offset off, for
// sync/atomic and futex use. It panics if off is misaligned or out of
// range: layouts are fixed by the caller's code, so that is a bug.
func (s *Segment) Word(off int) *uint32 { return (*uint32)(s.At(off, 4)) }

// At returns a pointer to size bytes at offset off, which must be aligned
// to min(size, 8). Use it to overlay a fixed-size struct such as a
// futex.Mutex: (*futex.Mutex)(seg.At(off, unsafe.Sizeof(futex.Mutex{}))).
func (s *Segment) At(off int, size uintptr) unsafe.Pointer {
	if off < 0 || uintptr(off)+size > uintptr(len(s.data)) || uintptr(off)%min(size, 8) != 0 {
		panic(fmt.Sprintf("shm: %d bytes at offset %d: misaligned or outside a %d-byte segment", size, off, len(s.data)))
	}
	return unsafe.Pointer(&s.data[off])
}

func memfdCreate(name string) (int, error) {
	nr, ok := sysMemfdCreate[runtime.GOARCH]
	if !ok {
		return -1, syscall.ENOSYS
	}
	p, err := syscall.BytePtrFromString(name)
	if err != nil {
		return -1, err
	}
	const mfdCloexec = 1
	fd, _, errno := syscall.Syscall(nr, uintptr(unsafe.Pointer(p)), mfdCloexec, 0)
	if errno != 0 {
		return -1, errno
	}
	return int(fd), nil
}

// sysMemfdCreate is memfd_create's system call number by GOARCH; package
// syscall is frozen and lacks it on several architectures.
var sysMemfdCreate = map[string]uintptr{
	"amd64": 319, "386": 356, "arm": 385, "arm64": 279, "riscv64": 279,
	"loong64": 279, "ppc64": 360, "ppc64le": 360, "s390x": 350,
	"mips": 4354, "mipsle": 4354, "mips64": 5314, "mips64le": 5314,
}
