package process

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"

	"github.com/concurgo/concur/internal/shm"
)

// SharedMemory is a named block of memory that any process of the same
// user can open by name, including unrelated programs: Python's
// multiprocessing.shared_memory.SharedMemory. On Linux it is a POSIX
// shared-memory object, the file /dev/shm/<name>, so a Python program's
// SharedMemory(name=...) opens a segment concur created and sees the same
// bytes, and the other way round.
//
// Close and Unlink are separate, as in Python: Close ends this process's
// use of the segment; Unlink removes the name, and the memory goes away
// once every process has closed it. concur never unlinks behind your
// back: a segment lives until someone calls Unlink (normally its creator,
// when all users are done) or the machine restarts.
//
// Python's resource tracker differs: in Python 3.11, 3.12 and 3.13 a
// process that merely opens a segment by name unlinks it when it exits
// (gh-82300), destroying it for everyone, including the concur process
// that created it. A Python program attaching to a concur segment should
// pass track=False (3.13 and later) or, before 3.13, call
// multiprocessing.resource_tracker.unregister(shm._name, "shared_memory")
// right after opening it.
//
// A SharedMemory passed to a child as an argument travels as an open
// file, so the child maps the same memory even if the name was unlinked
// in the meantime.
type SharedMemory struct {
	seg  *shm.Segment
	name string
}

// CreateSharedMemory creates a new segment of size bytes, zero-filled,
// named name, or with a fresh random name ("psm_" and hex digits, as
// Python makes them) if name is "". It fails with an error matching
// fs.ErrExist if the name is taken. Python: SharedMemory(name, create=True,
// size=size).
//
// Names are those of shm_open(3): up to 255 bytes, no '/' (a leading one
// is dropped, as Python does).
func CreateSharedMemory(name string, size int) (*SharedMemory, error) {
	if name == "" {
		for {
			m, err := createSharedMemory(shm.RandomName("psm_"), size)
			if !errors.Is(err, os.ErrExist) {
				return m, err
			}
		}
	}
	return createSharedMemory(name, size)
}

func createSharedMemory(name string, size int) (*SharedMemory, error) {
	seg, err := shm.Create(name, size)
	if err != nil {
		return nil, fmt.Errorf("process: %w", err)
	}
	return &SharedMemory{seg: seg, name: trimSlash(name)}, nil
}

// OpenSharedMemory opens the existing segment named name, all of it. It
// fails with an error matching fs.ErrNotExist if there is no such
// segment. Python: SharedMemory(name).
func OpenSharedMemory(name string) (*SharedMemory, error) {
	seg, err := shm.Open(name)
	if err != nil {
		return nil, fmt.Errorf("process: %w", err)
	}
	return &SharedMemory{seg: seg, name: trimSlash(name)}, nil
}

func trimSlash(name string) string {
	if len(name) > 0 && name[0] == '/' {
		return name[1:]
	}
	return name
}

// Buf returns the segment's memory: Python's buf. Every process that has
// the segment open sees writes to it; synchronize access with a Lock or
// with sync/atomic on aligned words. The slice is valid until Close, and
// Buf panics after Close.
func (m *SharedMemory) Buf() []byte {
	if m.seg == nil || m.seg.Closed() {
		panic(fmt.Errorf("process: SharedMemory %q used after Close: %w", m.name, os.ErrClosed))
	}
	return m.seg.Bytes()
}

// Name returns the segment's name, without a leading slash: Python's name.
func (m *SharedMemory) Name() string { return m.name }

// Size returns the segment's size in bytes: Python's size.
func (m *SharedMemory) Size() int { return m.seg.Size() }

// Close unmaps the segment in this process; it stays available to others
// until unlinked. Closing twice returns an error matching os.ErrClosed.
// Python: close().
func (m *SharedMemory) Close() error {
	if err := m.seg.Close(); err != nil {
		if errors.Is(err, shm.ErrClosed) {
			return fmt.Errorf("process: SharedMemory %q closed twice: %w", m.name, os.ErrClosed)
		}
		return fmt.Errorf("process: %w", err)
	}
	return nil
}

// Unlink removes the segment's name from the system, before or after
// Close; processes that have it open keep using it. It fails with an
// error matching fs.ErrNotExist if the name is already gone. Python:
// unlink().
func (m *SharedMemory) Unlink() error {
	if err := shm.Unlink(m.name); err != nil {
		return fmt.Errorf("process: %w", err)
	}
	return nil
}

// GobEncode lets a SharedMemory travel to a child as an argument: the
// open file goes with the message, then the name.
func (m *SharedMemory) GobEncode() ([]byte, error) {
	if m.seg == nil || m.seg.Closed() {
		return nil, fmt.Errorf("process: SharedMemory %q sent after Close: %w", m.name, os.ErrClosed)
	}
	i, err := exportFile(m.seg.File())
	if err != nil {
		return nil, err
	}
	return append(binary.AppendUvarint(nil, uint64(i)), m.name...), nil
}

// GobDecode maps a SharedMemory received from another process.
func (m *SharedMemory) GobDecode(data []byte) error {
	i, n := binary.Uvarint(data)
	if n <= 0 || i > 1<<20 {
		return errors.New("process: malformed SharedMemory handle")
	}
	f, err := importFile(int(i))
	if err != nil {
		return err
	}
	seg, err := shm.FromFile(f)
	if err != nil {
		return fmt.Errorf("process: map received SharedMemory: %w", err)
	}
	*m = SharedMemory{seg: seg, name: string(data[n:])}
	return nil
}
