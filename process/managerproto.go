package process

import (
	"encoding/binary"
	"fmt"
)

// The manager protocol runs over a Conn made by Dial and Listen with the
// manager's authentication key, so the server reads nothing from a peer
// that has not proved it holds the key. Every message is one Conn frame.
//
// The client opens with a hello — on a unix socket, followed by a
// message carrying a shared-memory segment for the fast path of
// managerring.go — then sends requests, any number at a time; the server answers each with one reply carrying the request's
// call id, in the order the requests complete, which for a request that
// waits (a lock's Acquire, a queue's Get, an event's Wait) may be much
// later than requests sent after it:
//
//	hello    op, protocol version, the client's pid, flags  (no reply;
//	         flag 1: the ring segment follows)
//	doorbell op alone, either way: the receiver was asleep and its ring
//	         has a message (a reply-shaped doorbell from the server)
//	request  op, call id, object id, the op's arguments
//	cancel   op, the call id of a waiting request         (no reply of its own:
//	         the request is answered "cancelled", or with its result if it
//	         completed first)
//	reply    status, call id, the op's results
//
// Integers are uvarints (varints where they may be negative); keys and
// values are length-prefixed bytes in the value encoding of
// managercodec.go, which the server stores and returns without decoding.
// On shutdown the server sends every client a reply with call id 0 and
// status mstShutDown before it closes the connection.
//
// Requests are applied whole or not at all: a request is parsed only
// once its frame has fully arrived, and a client that dies halfway
// through sending one leaves nothing behind. The messages are encoded by
// hand, as the process control protocol is: they are on the path of
// every call, and their decoders read another process's bytes, so they
// are small and fuzzed.

const mgrProtocolVersion = 1

// Request ops.
const (
	mopHello byte = iota + 1
	mopDoorbell
	mopCancel
	mopCreate // kind, signature, name, parameters → object id, name
	mopLookup // kind, signature, name → object id, name
	mopDelete // name

	// Dict, Namespace and Value: a map of byte-string keys (a Value is
	// the one key "").
	mopGet        // key → found, value
	mopSet        // key, value
	mopDel        // key → found
	mopPop        // key → found, value
	mopSetDefault // key, value → loaded, the stored value
	mopLen        // → length (every container kind)
	mopHas        // key → found
	mopKeys       // → count, keys
	mopItems      // → count, key-value pairs
	mopClear      // (every container kind)
	mopUpdate     // count, key-value pairs
	mopGetV       // key → version (0: absent), value
	mopCAS        // key, version, value → new version | mstConflict: version, value

	// List.
	mopLGet     // index → value
	mopLSet     // index, value
	mopLAppend  // count, values → new length
	mopLInsert  // index, value
	mopLPop     // index (varint, -1: the last) → value
	mopLCopy    // → count, values
	mopLGetV    // index → version, value
	mopLCAS     // index, version, value → new version | mstConflict: version, value
	mopLGetAllV // → version, count, values
	mopLCASAll  // version, count, values → new version | mstConflict: version, count, values

	// Queue.
	mopQPut // value (waits while full)
	mopQTryPut
	mopQGet // → value (waits while empty)
	mopQTryGet
	mopQTaskDone
	mopQJoin // (waits until every item is done)

	// Lock.
	mopAcquire    // (waits) | mstOwnerDead: pid
	mopTryAcquire // → acquired | mstOwnerDead: pid
	mopRelease
	mopLocked // → locked

	// Event.
	mopESet
	mopEClear
	mopEIsSet // → set
	mopEWait  // (waits)

	mopLast = mopEWait
)

// mopWaits reports whether a request can wait in the server, and so can
// be withdrawn by a cancel.
func mopWaits(op byte) bool {
	switch op {
	case mopQPut, mopQGet, mopQJoin, mopAcquire, mopEWait:
		return true
	}
	return false
}

// Reply statuses.
const (
	mstOK         byte = iota
	mstNoObject        // no object of that name or id
	mstExists          // create: the name is taken
	mstType            // lookup: the object is of another type; its description
	mstIndex           // list index out of range: index, length
	mstEmpty           // queue.ErrEmpty
	mstFull            // queue.ErrFull
	mstNotHeld         // Release of an unlocked lock
	mstOwnerDead       // the lock is acquired; its previous holder's pid
	mstConflict        // CAS lost to another write; the current state
	mstCancelled       // a waiting request was withdrawn
	mstTaskDone        // queue.ErrTooManyTaskDone
	mstBad             // a malformed or misdirected request; a message
	mstShutDown        // the server is shutting down (call id 0)
	mstDoorbell        // the client's ring has replies (call id 0)
	mstLastStatus = mstDoorbell
)

// Object kinds. Their names are the proxies' Go type names.
type mgrKind byte

const (
	mkDict mgrKind = iota + 1
	mkList
	mkNamespace
	mkQueue
	mkValue
	mkLock
	mkEvent
	mkLast = mkEvent
)

var mgrKindNames = [...]string{"", "DictProxy", "ListProxy", "NamespaceProxy", "QueueProxy", "ValueProxy", "LockProxy", "EventProxy"}

func (k mgrKind) String() string {
	if k > 0 && k <= mkLast {
		return mgrKindNames[k]
	}
	return fmt.Sprintf("kind %d", byte(k))
}

// mgrRequest is a parsed request. Its byte fields alias the frame.
type mgrRequest struct {
	op     byte
	call   uint64
	object uint64
	d      mgrDecoder // the op's arguments
}

// parseMgrRequest parses the fixed part of a request; the op's handler
// reads the arguments from r.d and checks r.d.done.
func parseMgrRequest(msg []byte) (mgrRequest, error) {
	r := mgrRequest{d: mgrDecoder{b: msg}}
	r.op = r.d.byte()
	if r.d.err == nil && (r.op < mopCancel || r.op > mopLast) {
		r.d.fail(fmt.Sprintf("unknown op %d", r.op))
	}
	r.call = r.d.uvarint()
	if r.op != mopCancel {
		r.object = r.d.uvarint()
	}
	if r.d.err == nil && r.call == 0 {
		r.d.fail("call id 0")
	}
	return r, r.d.err
}

// appendMgrRequest starts a request.
func appendMgrRequest(b []byte, op byte, call, object uint64) []byte {
	b = append(b, op)
	b = binary.AppendUvarint(b, call)
	if op != mopCancel {
		b = binary.AppendUvarint(b, object)
	}
	return b
}

// mgrHelloRing is the hello flag that says a ring segment follows.
const mgrHelloRing = 1

func appendMgrHello(b []byte, pid int, flags uint64) []byte {
	b = append(b, mopHello)
	b = binary.AppendUvarint(b, mgrProtocolVersion)
	b = binary.AppendUvarint(b, uint64(pid))
	return binary.AppendUvarint(b, flags)
}

// parseMgrHello returns the client's pid and flags.
func parseMgrHello(msg []byte) (pid int, flags uint64, err error) {
	d := mgrDecoder{b: msg}
	if d.byte() != mopHello {
		d.fail("expected hello")
	}
	if v := d.uvarint(); d.err == nil && v != mgrProtocolVersion {
		return 0, 0, fmt.Errorf("%w: protocol version %d, this manager speaks %d", errMgrMalformed, v, mgrProtocolVersion)
	}
	pid = d.int()
	flags = d.uvarint()
	if d.err == nil && flags&^mgrHelloRing != 0 {
		d.fail("unknown hello flags")
	}
	return pid, flags, d.done()
}

// The doorbells, each way.
var (
	mgrDoorbellRequest = []byte{mopDoorbell}
	mgrDoorbellReply   = appendMgrReply(nil, mstDoorbell, 0)
)

// appendMgrReply starts a reply.
func appendMgrReply(b []byte, status byte, call uint64) []byte {
	b = append(b, status)
	return binary.AppendUvarint(b, call)
}

// parseMgrReply splits a reply into its status, call id and results.
func parseMgrReply(msg []byte) (status byte, call uint64, body []byte, err error) {
	d := mgrDecoder{b: msg}
	status = d.byte()
	call = d.uvarint()
	if d.err == nil && status > mstLastStatus {
		d.fail(fmt.Sprintf("unknown status %d", status))
	}
	return status, call, d.b, d.err
}
