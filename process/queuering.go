package process

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/concurgo/concur/internal/futex"
	"github.com/concurgo/concur/internal/shm"
	"github.com/concurgo/concur/queue"
)

// ring is the engine of Queue, JoinableQueue and SimpleQueue: one shared
// segment holding a header and a byte buffer of records, in the layout
// internal/futex describes. A ring value is one process's handle on it.
//
// # Records
//
// A record is an 8-byte header — the body's length, with ringSpillFlag
// for a spilled item, and four zero bytes — then the body, padded to a
// multiple of 8. Records are written at tail and read at head; the body
// wraps around the end of the buffer, the header never does (positions
// and the buffer size are multiples of 8). When the queue becomes empty,
// head and tail go back to 0, so an idle or keeping-up queue touches only
// the first pages of its buffer: memory is committed as the queue's
// high-water mark needs it, whatever the buffer's size.
//
// # Crashes
//
// A process may be killed at any instruction, also while it holds the
// lock. The lock is a futex.Mutex, which the next process to need it
// takes over. What it guards stays consistent because the fields that
// describe the queue (ringState) are never changed in place: an operation
// writes its record or copies one out first, then writes the new state
// into the spare of two copies and publishes it with one atomic store of
// the index (commit). A process killed before that store leaves the old
// state and at worst unused bytes beyond the tail; killed after it, the
// operation is complete. A Put is in the queue once committed; a Get's
// item belongs to the getter once committed, and is lost if the getter
// then dies, as an item a Python consumer died holding is.
//
// A process killed between its commit and the wake-up it owed would
// leave a waiter asleep beside an item, so waiters re-check the queue
// every ringRecheck, and the process that takes the lock over from a dead
// holder wakes everyone.
//
// # Items larger than the buffer
//
// An item whose record cannot fit even in the empty buffer is written to
// a spill file, /dev/shm/concur-q-<queue id>-<n>, and the record carries
// its size and n. The getter opens the file and unlinks it while it holds
// the lock, before its commit, and reads it after letting the lock go:
// killed before the commit, it leaves the file and the record for the
// next getter; killed after the unlink, the kernel frees the file with
// its last descriptor. A getter that finds the file of a record gone (its
// getter died between unlink and commit) skips the record. Files can be
// left behind only by a putter killed between writing its file and
// committing its record, or by items still queued when the queue is
// abandoned; the last process to Close the queue removes every spill file
// of the queue (see detach).
type ring struct {
	seg    *shm.Segment
	h      *ringHeader
	buf    []byte
	size   uint64 // len(buf)
	kind   sharedKind
	slot   int // the attach slot this handle holds, or -1
	ops    sync.RWMutex
	closed atomic.Bool
}

// ringState is what the lock guards.
type ringState struct {
	head, tail uint64 // byte positions of the records, not reduced modulo the size
	n          uint64 // records between head and tail
	unfinished uint64 // items put and not yet marked done (TaskDone)
	shutdown   uint64 // 0, ringShutdown or ringShutdownNow
}

const (
	ringShutdown    = 1
	ringShutdownNow = 2
)

// ringHeader is the segment's layout after the shared header. Every
// process maps it with the same binary, so Go's layout of the struct is
// the layout.
type ringHeader struct {
	mu                      futex.Mutex
	notEmpty, notFull, idle futex.Cond
	cur                     atomic.Uint32 // index of the current state in st
	st                      [2]ringState

	// Copies of the current state's n and tail-head, for readers that do
	// not take the lock: Len, Empty, Full, and waiters spinning before
	// they sleep. Written with each commit.
	count atomic.Uint64
	used  atomic.Uint64

	size, maxsize uint64
	typeHash      uint64
	spillID       uint64
	spillSeq      atomic.Uint64

	// Each handle holds one slot's lock while it is open; a process that
	// dies holding one is seen dead by the next Lock. unslotted counts
	// handles opened when every slot was taken.
	attach    [ringAttachSlots]futex.Mutex
	unslotted atomic.Uint32

	typeNameLen uint32
	typeName    [ringTypeNameMax]byte
}

const (
	ringAttachSlots = 64
	ringTypeNameMax = 200
	ringDataOffset  = (sharedHeaderSize + int(unsafe.Sizeof(ringHeader{})) + 63) &^ 63

	ringRecordHeader = 8
	ringSpillFlag    = 1 << 31
	ringMaxBody      = ringSpillFlag - 1

	// ringRecheck bounds how long a waiter sleeps before it looks at the
	// queue again, in case a process died owing it a wake-up.
	ringRecheck = 100 * time.Millisecond
	// ringSpins is how many times a getter or putter re-reads the queue
	// before it goes to sleep: with the other side running on another
	// CPU, an item or a free slot is often a microsecond away, and a
	// sleep and its wake-up cost several.
	ringSpins = 400

	// Buffer sizes (WithBufferSize).
	ringMinSize     = 64
	ringMaxSize     = 1 << 30
	ringDefaultSize = 1 << 20
)

// recordSize is the space a record with a body of n bytes takes.
func recordSize(n int) uint64 { return ringRecordHeader + (uint64(n)+7)&^7 }

// newRing creates a queue's segment.
func newRing(kind sharedKind, typeName string, typeHash uint64, maxsize int, size int) (*ring, error) {
	size = (size + 7) &^ 7
	seg, err := newSharedSegment(sharedShape{kind: kind}, ringDataOffset+size)
	if err != nil {
		return nil, err
	}
	h := (*ringHeader)(seg.At(sharedHeaderSize, unsafe.Sizeof(ringHeader{})))
	h.size = uint64(size)
	h.maxsize = uint64(max(maxsize, 0))
	h.typeHash = typeHash
	var id [8]byte
	rand.Read(id[:])
	h.spillID = binary.NativeEndian.Uint64(id[:])
	h.typeNameLen = uint32(copy(h.typeName[:], typeName))
	return attachRing(seg, kind), nil
}

// ringFromSegment opens a queue's segment received from another process,
// checking that it holds items of the wanted type.
func ringFromSegment(seg *shm.Segment, kind sharedKind, typeName string, typeHash uint64) (*ring, error) {
	if seg.Size() < ringDataOffset+ringMinSize {
		seg.Close()
		return nil, fmt.Errorf("process: received %s segment is too small", kind)
	}
	h := (*ringHeader)(seg.At(sharedHeaderSize, unsafe.Sizeof(ringHeader{})))
	if h.size != uint64(seg.Size()-ringDataOffset) || h.size%8 != 0 || h.typeNameLen > ringTypeNameMax {
		seg.Close()
		return nil, fmt.Errorf("process: received %s segment has a malformed header", kind)
	}
	if h.typeHash != typeHash {
		got := string(h.typeName[:h.typeNameLen])
		seg.Close()
		return nil, &SharedTypeError{Want: fmt.Sprintf("%s[%s]", kind, typeName), Got: fmt.Sprintf("%s[%s]", kind, got)}
	}
	return attachRing(seg, kind), nil
}

func attachRing(seg *shm.Segment, kind sharedKind) *ring {
	h := (*ringHeader)(seg.At(sharedHeaderSize, unsafe.Sizeof(ringHeader{})))
	r := &ring{seg: seg, h: h, buf: seg.Bytes()[ringDataOffset:], size: h.size, kind: kind, slot: -1}
	for i := range h.attach {
		if h.attach[i].TryLock() {
			r.slot = i
			return r
		}
	}
	h.unslotted.Add(1)
	return r
}

// enter starts an operation of this handle: Close waits for operations in
// progress before it unmaps the segment. It returns false, entering
// nothing, if the handle is closed.
func (r *ring) enter() bool {
	r.ops.RLock()
	if r.closed.Load() {
		r.ops.RUnlock()
		return false
	}
	return true
}

func (r *ring) exit() { r.ops.RUnlock() }

func (r *ring) closedError() error { return closedError(r.kind) }

// lock takes the queue's lock. Taking it over from a dead holder needs no
// repair (see the type's comment) beyond refreshing the lock-free copies
// and the wake-ups the holder may have owed.
func (r *ring) lock(ctx context.Context) error {
	dead, err := r.h.mu.Lock(ctx)
	if err != nil {
		return err
	}
	if dead != 0 {
		s := r.state()
		r.publish(s)
		r.wakeAll()
	}
	return nil
}

func (r *ring) unlock() { r.h.mu.Unlock() }

func (r *ring) wakeAll() {
	r.h.notEmpty.Signal(futex.All)
	r.h.notFull.Signal(futex.All)
	r.h.idle.Signal(futex.All)
}

func (r *ring) state() ringState { return r.h.st[r.h.cur.Load()&1] }

// commit makes s the queue's state; see the type's comment.
func (r *ring) commit(s ringState) {
	next := r.h.cur.Load()&1 ^ 1
	r.h.st[next] = s
	r.h.cur.Store(next)
	r.publish(s)
}

func (r *ring) publish(s ringState) {
	r.h.count.Store(s.n)
	r.h.used.Store(s.tail - s.head)
}

// wait sleeps on c until it is signalled, ctx is done, or ringRecheck
// passes, following futex.Cond's protocol. The lock is held on entry and
// on return. It returns ctx's error if ctx ended first, an error matching
// os.ErrClosed if this handle was closed meanwhile, and nil otherwise:
// the caller looks at the queue again.
func (r *ring) wait(ctx context.Context, c *futex.Cond) error {
	c.Enqueue()
	r.unlock()
	wctx, cancel := context.WithTimeout(ctx, ringRecheck)
	err := c.Wait(wctx)
	cancel()
	r.lock(context.Background())
	if err != nil && !c.Cancel() {
		if err := ctxDone(ctx); err != nil {
			return err
		}
	}
	if r.closed.Load() {
		return r.closedError()
	}
	return nil
}

// ctxDone returns ctx's error, or context.DeadlineExceeded once ctx's
// deadline has passed even if its timer has not fired yet.
func ctxDone(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if d, ok := ctx.Deadline(); ok && !time.Now().Before(d) {
		return context.DeadlineExceeded
	}
	return nil
}

// spin re-reads the queue's lock-free copies until ready reports true or
// ringSpins reads have passed, with the lock not held.
func spin(ready func() bool) {
	for i := range ringSpins {
		if ready() {
			return
		}
		if i%64 == 63 {
			runtime.Gosched()
		}
	}
}

// timedOut is the error of a Put or Get whose ctx ended while it waited:
// it matches both kind (queue.ErrFull or queue.ErrEmpty, what Python
// raises) and the context's error, as package queue's errors do.
func timedOut(kind, ctxErr error) error { return fmt.Errorf("%w: %w", kind, ctxErr) }

// put appends a record with the given body and flags, waiting for room
// if block is set.
func (r *ring) put(ctx context.Context, body []byte, flags uint32, block bool) error {
	need := recordSize(len(body))
	if err := r.lock(ctx); err != nil {
		return timedOut(queue.ErrFull, err)
	}
	spun := false
	for {
		s := r.state()
		if s.shutdown != 0 {
			r.unlock()
			return queue.ErrShutDown
		}
		if err := r.check(s); err != nil {
			r.unlock()
			return err
		}
		if r.hasRoom(s.n, s.tail-s.head, need) {
			pos := s.tail % r.size
			binary.NativeEndian.PutUint32(r.buf[pos:], uint32(len(body))|flags)
			binary.NativeEndian.PutUint32(r.buf[pos+4:], 0)
			r.copyIn((pos+ringRecordHeader)%r.size, body)
			sharedRaceRelease()
			s.tail += need
			s.n++
			s.unfinished++
			r.commit(s)
			r.h.notEmpty.Signal(1)
			r.unlock()
			return nil
		}
		if !block {
			r.unlock()
			return queue.ErrFull
		}
		if !spun {
			spun = true
			r.unlock()
			spin(func() bool { return r.hasRoom(r.h.count.Load(), r.h.used.Load(), need) })
			r.lock(context.Background())
			continue
		}
		if err := r.wait(ctx, &r.h.notFull); err != nil {
			r.unlock()
			if errors.Is(err, os.ErrClosed) {
				return err
			}
			return timedOut(queue.ErrFull, err)
		}
	}
}

func (r *ring) hasRoom(n, used, need uint64) bool {
	return (r.h.maxsize == 0 || n < r.h.maxsize) && used+need <= r.size
}

// get removes the record at the head, waiting for one if block is set. A
// body is copied into scratch (grown as needed); a spilled item is
// returned as its open, already unlinked file instead.
func (r *ring) get(ctx context.Context, block bool, scratch []byte) (body []byte, spill *os.File, err error) {
	if err := r.lock(ctx); err != nil {
		return nil, nil, timedOut(queue.ErrEmpty, err)
	}
	spun := false
	for {
		s := r.state()
		if s.n > 0 {
			body, spill, err, skip := r.take(&s, scratch)
			if err != nil {
				r.unlock()
				return nil, nil, err
			}
			s.n--
			if s.n == 0 {
				s.head, s.tail = 0, 0
			}
			r.commit(s)
			r.h.notFull.Signal(futex.All)
			if skip {
				continue
			}
			r.unlock()
			sharedRaceAcquire()
			return body, spill, nil
		}
		if s.shutdown != 0 {
			r.unlock()
			return nil, nil, queue.ErrShutDown
		}
		if !block {
			r.unlock()
			return nil, nil, queue.ErrEmpty
		}
		if !spun {
			spun = true
			r.unlock()
			spin(func() bool { return r.h.count.Load() > 0 })
			r.lock(context.Background())
			continue
		}
		if err := r.wait(ctx, &r.h.notEmpty); err != nil {
			r.unlock()
			if errors.Is(err, os.ErrClosed) {
				return nil, nil, err
			}
			return nil, nil, timedOut(queue.ErrEmpty, err)
		}
	}
}

// take reads the record at s.head and advances s.head past it. skip
// reports a spilled record whose file is gone (see the type's comment).
// An error leaves the record in place.
func (r *ring) take(s *ringState, scratch []byte) (body []byte, spill *os.File, err error, skip bool) {
	word, length, err := r.record(*s)
	if err != nil {
		return nil, nil, err, false
	}
	body = sized(scratch, length)
	r.copyOut(body, (s.head%r.size+ringRecordHeader)%r.size)
	if word&ringSpillFlag != 0 {
		spill, err = r.openSpill(body)
		if errors.Is(err, fs.ErrNotExist) {
			s.head += recordSize(length)
			return nil, nil, nil, true
		}
		if err != nil {
			return nil, nil, err, false
		}
	}
	s.head += recordSize(length)
	return body, spill, nil, false
}

// record validates the record at s.head against s and returns its header
// word and body length. The memory is shared with other processes, so
// nothing in it is trusted to be in range.
func (r *ring) record(s ringState) (word uint32, length int, err error) {
	if err := r.check(s); err != nil {
		return 0, 0, err
	}
	used := s.tail - s.head
	if used < ringRecordHeader {
		return 0, 0, r.corrupt()
	}
	pos := s.head % r.size
	word = binary.NativeEndian.Uint32(r.buf[pos:])
	length = int(word &^ ringSpillFlag)
	if binary.NativeEndian.Uint32(r.buf[pos+4:]) != 0 || recordSize(length) > used ||
		word&ringSpillFlag != 0 && length != ringSpillBody {
		return 0, 0, r.corrupt()
	}
	return word, length, nil
}

// check validates the positions in s, which lives in memory shared with
// other processes, before they are used to index the buffer.
func (r *ring) check(s ringState) error {
	if s.tail < s.head || s.tail-s.head > r.size || s.head%8 != 0 || s.tail%8 != 0 || s.n > (s.tail-s.head)/ringRecordHeader {
		return r.corrupt()
	}
	return nil
}

func (r *ring) corrupt() error {
	return fmt.Errorf("process: the shared memory of a %s is corrupt", r.kind)
}

func (r *ring) copyIn(pos uint64, p []byte) {
	n := copy(r.buf[pos:], p)
	copy(r.buf, p[n:])
}

func (r *ring) copyOut(p []byte, pos uint64) {
	n := copy(p, r.buf[pos:])
	copy(p[n:], r.buf)
}

// The body of a spill record: the item's size and the file's number.
const ringSpillBody = 16

func (r *ring) spillPath(seq uint64) string {
	return fmt.Sprintf("%s/concur-q-%016x-%d", shm.Dir, r.h.spillID, seq)
}

// spill writes an item's body to a new spill file and returns the body of
// the record that stands for it, and the file's path.
func (r *ring) spill(body []byte) (rec []byte, path string, err error) {
	seq := r.h.spillSeq.Add(1)
	path = r.spillPath(seq)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, "", fmt.Errorf("process: spill a %d-byte item: %w", len(body), err)
	}
	_, err = f.Write(body)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
		return nil, "", fmt.Errorf("process: spill a %d-byte item: %w", len(body), err)
	}
	rec = binary.NativeEndian.AppendUint64(nil, uint64(len(body)))
	return binary.NativeEndian.AppendUint64(rec, seq), path, nil
}

// openSpill opens and unlinks the file of a spill record's body.
func (r *ring) openSpill(rec []byte) (*os.File, error) {
	path := r.spillPath(binary.NativeEndian.Uint64(rec[8:]))
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	os.Remove(path)
	return f, nil
}

// readSpill reads a spilled item's body from the file openSpill returned,
// into scratch, and closes the file.
func readSpill(f *os.File, rec []byte, scratch []byte) ([]byte, error) {
	defer f.Close()
	size := binary.NativeEndian.Uint64(rec)
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if uint64(fi.Size()) != size {
		return nil, fmt.Errorf("process: spilled item is %d bytes, its record says %d", fi.Size(), size)
	}
	body := sized(scratch, int(size))
	if _, err := f.ReadAt(body, 0); err != nil {
		return nil, fmt.Errorf("process: read spilled item: %w", err)
	}
	return body, nil
}

// sized returns b resized to n bytes, reusing its array if it is large
// enough.
func sized(b []byte, n int) []byte {
	if cap(b) >= n {
		return b[:n]
	}
	return make([]byte, n)
}

// taskDone marks one item done: JoinableQueue.TaskDone.
func (r *ring) taskDone() error {
	r.lock(context.Background())
	defer r.unlock()
	s := r.state()
	if s.unfinished == 0 {
		return queue.ErrTooManyTaskDone
	}
	s.unfinished--
	r.commit(s)
	if s.unfinished == 0 {
		r.h.idle.Signal(futex.All)
	}
	return nil
}

// join waits until no item is unfinished: JoinableQueue.Join.
func (r *ring) join(ctx context.Context) error {
	if err := r.lock(ctx); err != nil {
		return err
	}
	defer r.unlock()
	for r.state().unfinished > 0 {
		if err := r.wait(ctx, &r.h.idle); err != nil {
			return err
		}
	}
	return nil
}

// shutdown is Queue.Shutdown.
func (r *ring) shutdown(immediate bool) {
	r.lock(context.Background())
	defer r.unlock()
	s := r.state()
	s.shutdown = max(s.shutdown, ringShutdown)
	if immediate {
		s.shutdown = ringShutdownNow
		for s.n > 0 {
			word, length, err := r.record(s)
			if err != nil {
				break
			}
			if word&ringSpillFlag != 0 {
				var rec [ringSpillBody]byte
				r.copyOut(rec[:], (s.head%r.size+ringRecordHeader)%r.size)
				os.Remove(r.spillPath(binary.NativeEndian.Uint64(rec[8:])))
			}
			s.head += recordSize(length)
			s.n--
			s.unfinished = max(s.unfinished, 1) - 1
		}
		s.head, s.tail, s.n = 0, 0, 0
	}
	r.commit(s)
	r.wakeAll()
}

// close closes this handle: it wakes this process's waiters (and, as a
// harmless spurious wake-up, other processes'), waits for its operations
// in progress to return, and unmaps the segment.
func (r *ring) close() error {
	if !r.closed.CompareAndSwap(false, true) {
		return r.closedError()
	}
	r.lock(context.Background())
	r.wakeAll()
	r.unlock()
	r.ops.Lock()
	defer r.ops.Unlock()
	if r.detach() {
		r.removeSpills()
	}
	return r.seg.Close()
}

// detach gives up this handle's attach slot and reports whether no
// other live process has the queue open: then its spill files, which
// nobody can take any more, may be removed.
func (r *ring) detach() (last bool) {
	if r.slot >= 0 {
		r.h.attach[r.slot].Unlock()
	}
	if r.h.unslotted.Load() != 0 {
		return false // some handles cannot be accounted for
	}
	dead, cancel := context.WithCancel(context.Background())
	cancel()
	for i := range r.h.attach {
		m := &r.h.attach[i]
		if !m.Locked() {
			continue
		}
		// With a done context Lock does not wait: it takes the slot only
		// if it is free or its holder is dead.
		if _, err := m.Lock(dead); err != nil {
			return false
		}
		m.Unlock()
	}
	return true
}

func (r *ring) removeSpills() {
	paths, _ := filepath.Glob(fmt.Sprintf("%s/concur-q-%016x-*", shm.Dir, r.h.spillID))
	for _, p := range paths {
		os.Remove(p)
	}
}
