package process

import (
	"context"
	"encoding/binary"
	"errors"
	"runtime"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/concurgo/concur/internal/futex"
	"github.com/concurgo/concur/internal/shm"
)

// The manager's fast path between processes of one machine.
//
// A round trip over a socket costs two wake-ups through the kernel and
// the Go scheduler — about 15 µs here, most of a manager call. So a
// client on a unix socket also gives the manager a shared-memory segment
// holding two rings, requests one way and replies the other. A consumer
// that finds its ring empty
//
//  1. spins on it briefly: a call made while the other side is awake
//     then costs two cache-line transfers instead of two wake-ups;
//  2. then naps on a futex in the segment, which the producer wakes
//     directly — one thread wake-up, as a blocking read has, rather than
//     the netpoller's and the scheduler's;
//  3. then, after mgrNap, sleeps on the socket, where the producer rings
//     a doorbell (a one-byte-op message), so that an idle connection
//     holds no thread.
//
// Spinning only pays while the other side is running: on a machine with
// more runnable threads than cores it takes the core the other side
// needs, and a spin that caught nothing makes the next ones skip,
// exponentially more of them while spins keep failing.
//
// The socket also carries what does not fit the rings — messages over a
// quarter of a ring, and any message when a ring is full — so a side that
// stops reading never blocks the other. A request and the cancel that
// withdraws it travel the same way, so the cancel cannot overtake it;
// otherwise requests of different calls have no order, which concurrent
// calls never had.
//
// The consumer trusts nothing the producer wrote: a length or position
// that no conforming producer writes ends the connection, and a sleep
// state it does not know is treated as asleep on the socket. A producer
// killed halfway through a message never publishes it: the tail moves
// only once the message is complete.
//
// The segment:
//
//	offset    0  magic uint32, ring size uint32
//	offset   64  request ring tail   (written by the client)
//	offset  128  request ring head   (written by the server)
//	offset  192  server sleep state  (set by the server, cleared by whoever wakes it)
//	offset  256  reply ring tail     (written by the server)
//	offset  320  reply ring head     (written by the client)
//	offset  384  client sleep state
//	offset  512  request ring data, then reply ring data

const (
	mgrRingMagic  = 0x6d677231 // "mgr1"
	mgrRingSize   = 64 << 10   // a power of two
	mgrRingHeader = 512
	mgrRingMaxMsg = mgrRingSize / 4
	mgrSegSize    = mgrRingHeader + 2*mgrRingSize
)

// mgrSpinTime is how long a consumer spins on an empty ring: long enough
// to catch a reply, or the next request of a client in a loop.
const mgrSpinTime = 30 * time.Microsecond

// mgrMaxSkip bounds how many waits in a row skip spinning after spins
// have kept failing.
const mgrMaxSkip = 256

// mgrNap is how long a consumer naps on the futex, holding its thread,
// before it sleeps on the socket.
const mgrNap = 2 * time.Millisecond

// A consumer's sleep states.
const (
	mgrAwake    = 0
	mgrNapping  = 1 // on the futex: the producer wakes it
	mgrSleeping = 2 // on the socket: the producer rings the doorbell
)

var errMgrRingCorrupt = errors.New("process: the manager's shared ring holds what no conforming peer writes")

// mgrRing is one direction of the segment. Its producer and its consumer
// are each one goroutine at a time (callers serialise).
type mgrRing struct {
	tail, head *atomic.Uint64
	asleep     *atomic.Uint32 // the consumer's sleep state; a futex word
	data       []byte
}

// mgrRings is a mapped segment: the request ring and the reply ring.
type mgrRings struct {
	seg      *shm.Segment
	req, rep mgrRing
}

func newMgrRings() (*mgrRings, error) {
	seg, err := shm.New(mgrSegSize)
	if err != nil {
		return nil, err
	}
	b := seg.Bytes()
	binary.NativeEndian.PutUint32(b[4:], mgrRingSize)
	atomic.StoreUint32(seg.Word(0), mgrRingMagic)
	return mapMgrRings(seg), nil
}

// openMgrRings maps a segment a client sent, checking its shape.
func openMgrRings(seg *shm.Segment) (*mgrRings, error) {
	b := seg.Bytes()
	if len(b) != mgrSegSize || atomic.LoadUint32(seg.Word(0)) != mgrRingMagic ||
		binary.NativeEndian.Uint32(b[4:]) != mgrRingSize {
		seg.Close()
		return nil, errMgrRingCorrupt
	}
	return mapMgrRings(seg), nil
}

func mapMgrRings(seg *shm.Segment) *mgrRings {
	word64 := func(off int) *atomic.Uint64 { return (*atomic.Uint64)(seg.At(off, 8)) }
	word32 := func(off int) *atomic.Uint32 { return (*atomic.Uint32)(seg.At(off, 4)) }
	b := seg.Bytes()
	return &mgrRings{
		seg: seg,
		req: mgrRing{tail: word64(64), head: word64(128), asleep: word32(192), data: b[mgrRingHeader : mgrRingHeader+mgrRingSize]},
		rep: mgrRing{tail: word64(256), head: word64(320), asleep: word32(384), data: b[mgrRingHeader+mgrRingSize:]},
	}
}

// put appends msg and reports whether it fit. The caller is the ring's
// only producer.
func (r *mgrRing) put(msg []byte) bool {
	n := uint64(4 + len(msg))
	tail := r.tail.Load()
	if len(msg) > mgrRingMaxMsg || n > mgrRingSize-(tail-r.head.Load()) {
		return false
	}
	var hdr [4]byte
	binary.LittleEndian.PutUint32(hdr[:], uint32(len(msg)))
	r.copyIn(tail, hdr[:])
	r.copyIn(tail+4, msg)
	r.tail.Store(tail + n) // publishes the message
	return true
}

func (r *mgrRing) copyIn(pos uint64, p []byte) {
	k := copy(r.data[pos%mgrRingSize:], p)
	copy(r.data, p[k:])
}

func (r *mgrRing) copyOut(pos uint64, p []byte) {
	k := copy(p, r.data[pos%mgrRingSize:])
	copy(p[k:], r.data)
}

// next takes the next message into buf's storage (growing it) and
// returns it, or nil if the ring is empty. The caller is the ring's only
// consumer.
func (r *mgrRing) next(buf []byte) ([]byte, error) {
	head, tail := r.head.Load(), r.tail.Load()
	avail := tail - head
	if avail == 0 {
		return nil, nil
	}
	if avail < 4 || avail > mgrRingSize {
		return nil, errMgrRingCorrupt
	}
	var hdr [4]byte
	r.copyOut(head, hdr[:])
	n := uint64(binary.LittleEndian.Uint32(hdr[:]))
	if n > mgrRingMaxMsg || 4+n > avail {
		return nil, errMgrRingCorrupt
	}
	if uint64(cap(buf)) < n {
		buf = make([]byte, n)
	}
	buf = buf[:n]
	r.copyOut(head+4, buf)
	r.head.Store(head + 4 + n) // frees the space
	return buf, nil
}

func (r *mgrRing) empty() bool { return r.tail.Load() == r.head.Load() }

// mgrSpinner is a consumer's spinning policy; each consumer has its own.
type mgrSpinner struct {
	skip, backoff int
}

// wait spins until r is not empty, or gives up, and reports whether r
// has a message.
func (s *mgrSpinner) wait(r *mgrRing) bool {
	if !r.empty() {
		return true
	}
	if s.skip > 0 {
		s.skip--
		return false
	}
	start := time.Now()
	for i := 1; r.empty(); i++ {
		if i%256 == 0 {
			if time.Since(start) > mgrSpinTime {
				s.backoff = min(max(2*s.backoff, 1), mgrMaxSkip)
				s.skip = s.backoff
				return false
			}
			runtime.Gosched() // the producer may be a goroutine of this process
		}
	}
	s.backoff = 0
	return true
}

// nap naps on the futex until the ring has a message, the producer wakes
// the consumer, ctx ends or mgrNap passes. It reports false if the
// consumer should now sleep on the socket: the nap timed out, its state
// is mgrSleeping and the ring was empty after that was set.
//
// The producer publishes, then looks at the state; the consumer sets the
// state, then looks at the ring: one of them sees the other.
func (r *mgrRing) nap(ctx context.Context) bool {
	word := (*uint32)(unsafe.Pointer(r.asleep))
	r.asleep.Store(mgrNapping)
	deadline := time.Now().Add(mgrNap)
	for {
		if !r.empty() || ctx.Err() != nil {
			r.asleep.CompareAndSwap(mgrNapping, mgrAwake)
			return true
		}
		if r.asleep.Load() != mgrNapping {
			return true // a producer woke us
		}
		left := time.Until(deadline)
		if left <= 0 {
			break
		}
		futex.WaitContext(ctx, word, mgrNapping, left)
	}
	if !r.asleep.CompareAndSwap(mgrNapping, mgrSleeping) {
		return true // a producer woke us just now
	}
	if !r.empty() {
		// A message came. If a producer has changed the state meanwhile,
		// its doorbell is on the way, and the next sleep ends at once.
		r.asleep.CompareAndSwap(mgrSleeping, mgrAwake)
		return true
	}
	return false
}

// wake wakes the consumer after the producer has published: it wakes a
// napping consumer itself, and reports whether the consumer sleeps on the
// socket and this producer must ring the doorbell.
func (r *mgrRing) wake() (doorbell bool) {
	for range 8 { // the peer may write the state too, even garbage
		switch r.asleep.Load() {
		case mgrAwake:
			return false
		case mgrNapping:
			if r.asleep.CompareAndSwap(mgrNapping, mgrAwake) {
				futex.Wake((*uint32)(unsafe.Pointer(r.asleep)), futex.All)
				return false
			}
		default:
			if r.asleep.CompareAndSwap(mgrSleeping, mgrAwake) {
				return true
			}
		}
	}
	return true // a doorbell too many is harmless
}
