package process

import (
	"encoding/binary"
	"errors"
	"runtime"
	"sync/atomic"
	"time"

	"github.com/concurgo/concur/internal/shm"
)

// The manager's fast path between processes of one machine.
//
// A round trip over a socket costs two wake-ups through the kernel and
// the Go scheduler — about 15 µs here, most of a manager call. So a
// client on a unix socket also gives the manager a shared-memory segment
// holding two rings, requests one way and replies the other, and both
// sides spin briefly on them before they sleep: a call made while the
// other side is awake costs two cache-line transfers instead of two
// wake-ups. The socket stays as the doorbell — a side that goes to sleep
// says so in the segment, and the other rings it with a one-byte-op
// message on the socket, which the sleeper waits on with the netpoller
// (so a sleeping connection holds no thread) — and carries what does not
// fit the rings: messages over a quarter of a ring, and any message when
// a ring is full, so a side that stops reading never blocks the other.
//
// A request and the cancel that withdraws it travel the same way, so the
// cancel cannot overtake it; otherwise requests of different calls have
// no order, which concurrent calls never had.
//
// The consumer trusts nothing the producer wrote: a length or position
// that no conforming producer writes ends the connection. A producer
// killed halfway through a message never publishes it: the tail moves
// only once the message is complete.
//
// The segment:
//
//	offset    0  magic uint32, ring size uint32
//	offset   64  request ring tail   (written by the client)
//	offset  128  request ring head   (written by the server)
//	offset  192  server asleep flag  (set by the server, cleared by whoever wakes it)
//	offset  256  reply ring tail     (written by the server)
//	offset  320  reply ring head     (written by the client)
//	offset  384  client asleep flag
//	offset  512  request ring data, then reply ring data

const (
	mgrRingMagic  = 0x6d677231 // "mgr1"
	mgrRingSize   = 64 << 10   // a power of two
	mgrRingHeader = 512
	mgrRingMaxMsg = mgrRingSize / 4
	mgrSegSize    = mgrRingHeader + 2*mgrRingSize
)

// mgrSpinTime is how long a side spins on an empty ring before it
// sleeps: long enough to catch a reply, or the next request of a client
// in a loop; short enough that an idle connection costs nothing.
const mgrSpinTime = 30 * time.Microsecond

// mgrSpinSkip is how many waits after a spin that caught nothing go
// straight to sleep. On a machine with more runnable threads than cores
// the other side is often not running, and spinning only takes the core
// it needs; the wait after the skipped ones tries again.
const mgrSpinSkip = 8

var errMgrRingCorrupt = errors.New("process: the manager's shared ring holds what no conforming peer writes")

// mgrRing is one direction of the segment. Its producer and its consumer
// are each one goroutine at a time (callers serialise).
type mgrRing struct {
	tail, head *atomic.Uint64
	asleep     *atomic.Uint32 // the consumer sleeps, waiting for a doorbell
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
	skip int
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
				s.skip = mgrSpinSkip
				return false
			}
			runtime.Gosched() // the producer may be a goroutine of this process
		}
	}
	return true
}

// sleep marks the consumer asleep, unless a message arrived meanwhile; it
// reports whether the consumer should now wait for the doorbell. The
// producer publishes, then looks at the flag; the consumer sets the flag,
// then looks at the ring: one of them sees the other.
func (r *mgrRing) sleep() bool {
	r.asleep.Store(1)
	if r.empty() {
		return true
	}
	// A message came. If a producer has cleared the flag meanwhile, its
	// doorbell is on the way and the next sleep returns at once.
	r.asleep.CompareAndSwap(1, 0)
	return false
}

// wake reports whether the producer, having published, must ring the
// doorbell: the consumer is asleep, and this producer is the one to wake
// it.
func (r *mgrRing) wake() bool {
	return r.asleep.Load() == 1 && r.asleep.CompareAndSwap(1, 0)
}
