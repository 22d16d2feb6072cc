package process

import (
	"encoding/binary"
	"errors"
	"fmt"
	"time"
)

// The control protocol between a parent and a child it started runs over
// a unix stream socketpair whose child end is the child's file descriptor
// 3. Every message is one internal/wire frame whose first byte is its kind:
//
//	parent → child   setup   who the child is: name, identity, daemon,
//	                         authkey, its parent, grace period, call limit,
//	                         and the inherited files that follow fd 3
//	child → parent   hello   the child reached process.Main and took its
//	                         setup (its signal handler is in place)
//	child → parent   nomain  instead of hello: the child tried to start a
//	                         process without having called Main (it is
//	                         refused; the parent kills it and reports
//	                         ErrMainNotCalled)
//	parent → child   call    run a registered function on an encoded argument
//	child → parent   result  a call's encoded result, or its error or panic
//	parent → child   batch   run a registered function on each of a list of
//	                         arguments, encoded together as one []A (a Pool's
//	                         chunk)
//	child → parent   partial the outcomes of a run of consecutive items of a
//	                         batch: their results encoded together as one
//	                         []R, and the failures beside them
//
// A Process is a child that serves one call and exits. A long-lived worker
// (a Pool's) is the same child with no call limit: it serves calls and
// batches in order until the parent closes the connection, which retires
// it. Either way, end of stream on the child's side means the parent is
// gone, and the child exits at once.
//
// A pool worker also shares a small progress segment with its parent (the
// first inherited file, see setupMsg.Progress), where it marks which item
// of which batch it is running and, with setupMsg.Timed, since when. That
// costs one atomic store per item, and it lets the parent tell, after a
// worker died or was killed, exactly which item it was running: that item
// alone fails (or is retried), and the items it had not reached go to
// another worker. It is also how the parent enforces a per-task timeout
// on items of a batch. See itemLoop.
//
// The messages are encoded by hand rather than with gob: they are on the
// path of every call, and their decoder, which reads another process's
// bytes, stays small enough to fuzz exhaustively.
const (
	msgHello   byte = 'h'
	msgNoMain  byte = 'n'
	msgSetup   byte = 's'
	msgCall    byte = 'c'
	msgResult  byte = 'r'
	msgBatch   byte = 'b'
	msgPartial byte = 'p'
)

// maxControlMessage bounds one control message, and with it an argument
// or a result. Large data belongs in shared memory or a Conn stream.
const maxControlMessage = 1 << 30

// errMalformedControl reports a control message that the other side of a
// concur binary could not have sent.
var errMalformedControl = errors.New("process: malformed control message")

type setupMsg struct {
	Name       string
	Identity   []int // Python's _identity: the child numbers along the path from the main process
	Daemon     bool
	AuthKey    []byte
	ParentName string
	ParentPid  int
	Grace      time.Duration // 0: SIGTERM and SIGINT keep their default action
	MaxCalls   int           // calls to serve before exiting; 0 means no limit
	Files      []string      // names of the inherited files at fd 4, 5, ...
	Progress   bool          // a pool worker: Files[0] is its progress segment; the first call's files follow
	Timed      bool          // the progress segment records when each item started (the pool has a task timeout)
}

type callMsg struct {
	ID   uint64
	Func string
	Arg  []byte
}

// Outcome of a call, as a result message carries it.
const (
	statusOK    byte = 0
	statusError byte = 1 // the function returned an error, or its argument or result failed to decode or encode
	statusPanic byte = 2 // the function panicked or called runtime.Goexit
)

type resultMsg struct {
	ID     uint64
	Status byte
	Value  []byte // statusOK: the encoded result
	Type   string // otherwise: the Go type of the error or panic value
	Text   string // its message
	Stack  string // the panicking goroutine's stack
}

// remoteError describes a failed call (Status other than statusOK) for
// the caller of fn in the named process.
func (m *resultMsg) remoteError(fn, name string, pid int) *RemoteError {
	return &RemoteError{
		Func: fn, Name: name, Pid: pid,
		Type: m.Type, Message: m.Text, Panic: m.Status == statusPanic, Stack: m.Stack,
	}
}

func appendBytes(b, p []byte) []byte {
	b = binary.AppendUvarint(b, uint64(len(p)))
	return append(b, p...)
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

func appendBool(b []byte, v bool) []byte {
	if v {
		return append(b, 1)
	}
	return append(b, 0)
}

func (m *setupMsg) append(b []byte) []byte {
	b = append(b, msgSetup)
	b = appendString(b, m.Name)
	b = binary.AppendUvarint(b, uint64(len(m.Identity)))
	for _, n := range m.Identity {
		b = binary.AppendUvarint(b, uint64(n))
	}
	b = appendBool(b, m.Daemon)
	b = appendBytes(b, m.AuthKey)
	b = appendString(b, m.ParentName)
	b = binary.AppendUvarint(b, uint64(m.ParentPid))
	b = binary.AppendVarint(b, int64(m.Grace))
	b = binary.AppendUvarint(b, uint64(m.MaxCalls))
	b = binary.AppendUvarint(b, uint64(len(m.Files)))
	for _, name := range m.Files {
		b = appendString(b, name)
	}
	b = appendBool(b, m.Progress)
	return appendBool(b, m.Timed)
}

func (m *callMsg) append(b []byte) []byte {
	b = append(b, msgCall)
	b = binary.AppendUvarint(b, m.ID)
	b = appendString(b, m.Func)
	return appendBytes(b, m.Arg)
}

func (m *resultMsg) append(b []byte) []byte {
	b = append(b, msgResult)
	b = binary.AppendUvarint(b, m.ID)
	b = append(b, m.Status)
	if m.Status == statusOK {
		return appendBytes(b, m.Value)
	}
	b = appendString(b, m.Type)
	b = appendString(b, m.Text)
	return appendString(b, m.Stack)
}

// msgDecoder reads the fields of one control message. The first malformed
// field sets err; later reads return zero values, so a decoder checks err
// once at the end.
type msgDecoder struct {
	b   []byte
	err error
}

func (d *msgDecoder) fail(what string) {
	if d.err == nil {
		d.err = fmt.Errorf("%w: bad %s", errMalformedControl, what)
	}
	d.b = nil
}

func (d *msgDecoder) uvarint(what string) uint64 {
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.fail(what)
		return 0
	}
	d.b = d.b[n:]
	return v
}

// int reads a non-negative int.
func (d *msgDecoder) int(what string) int {
	v := d.uvarint(what)
	if v > uint64(int(^uint(0)>>1)) {
		d.fail(what)
		return 0
	}
	return int(v)
}

func (d *msgDecoder) varint(what string) int64 {
	v, n := binary.Varint(d.b)
	if n <= 0 {
		d.fail(what)
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *msgDecoder) byte(what string) byte {
	if len(d.b) == 0 {
		d.fail(what)
		return 0
	}
	v := d.b[0]
	d.b = d.b[1:]
	return v
}

func (d *msgDecoder) bool(what string) bool {
	switch d.byte(what) {
	case 0:
		return false
	case 1:
		return true
	}
	d.fail(what)
	return false
}

// bytes returns a length-prefixed field, aliasing the message.
func (d *msgDecoder) bytes(what string) []byte {
	n := d.uvarint(what)
	if n > uint64(len(d.b)) {
		d.fail(what)
		return nil
	}
	v := d.b[:n:n]
	d.b = d.b[n:]
	return v
}

func (d *msgDecoder) string(what string) string { return string(d.bytes(what)) }

// count reads the length of a list whose elements take at least one byte
// each, so that a hostile count cannot make the decoder allocate more than
// the message could hold.
func (d *msgDecoder) count(what string) int {
	n := d.uvarint(what)
	if n > uint64(len(d.b)) {
		d.fail(what)
		return 0
	}
	return int(n)
}

// done checks that the message was consumed exactly.
func (d *msgDecoder) done() error {
	if d.err == nil && len(d.b) != 0 {
		d.fail("trailing bytes")
	}
	return d.err
}

// newMsgDecoder checks a message's kind and returns a decoder for its body.
func newMsgDecoder(msg []byte, kind byte) *msgDecoder {
	if len(msg) == 0 || msg[0] != kind {
		d := &msgDecoder{}
		d.fail(fmt.Sprintf("message kind (want %q)", kind))
		return d
	}
	return &msgDecoder{b: msg[1:]}
}

func decodeSetup(msg []byte) (setupMsg, error) {
	var m setupMsg
	d := newMsgDecoder(msg, msgSetup)
	m.Name = d.string("name")
	if n := d.count("identity length"); n > 0 {
		m.Identity = make([]int, n)
		for i := range m.Identity {
			m.Identity[i] = d.int("identity")
		}
	}
	m.Daemon = d.bool("daemon flag")
	m.AuthKey = d.bytes("authkey")
	m.ParentName = d.string("parent name")
	m.ParentPid = d.int("parent pid")
	m.Grace = time.Duration(d.varint("grace period"))
	m.MaxCalls = d.int("call limit")
	if n := d.count("file count"); n > 0 {
		m.Files = make([]string, n)
		for i := range m.Files {
			m.Files[i] = d.string("file name")
		}
	}
	m.Progress = d.bool("progress flag")
	m.Timed = d.bool("timed flag")
	if m.Progress && len(m.Files) == 0 {
		d.fail("progress segment")
	}
	return m, d.done()
}

func decodeCall(msg []byte) (callMsg, error) {
	var m callMsg
	d := newMsgDecoder(msg, msgCall)
	m.ID = d.uvarint("call id")
	m.Func = d.string("function name")
	m.Arg = d.bytes("argument")
	return m, d.done()
}

func decodeResult(msg []byte) (resultMsg, error) {
	var m resultMsg
	d := newMsgDecoder(msg, msgResult)
	m.ID = d.uvarint("call id")
	m.Status = d.byte("status")
	switch m.Status {
	case statusOK:
		m.Value = d.bytes("value")
	case statusError, statusPanic:
		m.Type = d.string("error type")
		m.Text = d.string("error text")
		m.Stack = d.string("stack")
	default:
		d.fail("status")
	}
	return m, d.done()
}

// batchMsg asks a pool worker to run Func on each of Count arguments,
// encoded together as one []A: a chunk of Map travels as one message and
// one gob value, not Count of them.
type batchMsg struct {
	ID    uint64 // the task's sequence number on this worker; the progress segment echoes it
	Func  string
	Count int
	Arg   []byte
}

// partialMsg reports the items [From, From+Count) of batch ID (indices
// relative to the batch). Values holds the results of the items that
// succeeded, in order, encoded together as one []R; Failures lists the
// others. A worker sends the outcomes of a batch in order, in as many
// partials as it flushed (see itemLoop), so the parent sees each result
// within about a millisecond of its computation rather than at the end
// of the batch.
type partialMsg struct {
	ID       uint64
	From     int
	Count    int
	Values   []byte
	Failures []itemFailure // by increasing Index
}

// itemFailure is the error or panic of one item of a batch.
type itemFailure struct {
	Index  int // relative to the batch
	Status byte
	Type   string
	Text   string
	Stack  string
}

func (f *itemFailure) remoteError(fn, name string, pid int) *RemoteError {
	r := resultMsg{Status: f.Status, Type: f.Type, Text: f.Text, Stack: f.Stack}
	return r.remoteError(fn, name, pid)
}

func (m *batchMsg) append(b []byte) []byte {
	b = append(b, msgBatch)
	b = binary.AppendUvarint(b, m.ID)
	b = appendString(b, m.Func)
	b = binary.AppendUvarint(b, uint64(m.Count))
	return appendBytes(b, m.Arg)
}

func (m *partialMsg) append(b []byte) []byte {
	b = append(b, msgPartial)
	b = binary.AppendUvarint(b, m.ID)
	b = binary.AppendUvarint(b, uint64(m.From))
	b = binary.AppendUvarint(b, uint64(m.Count))
	b = appendBytes(b, m.Values)
	b = binary.AppendUvarint(b, uint64(len(m.Failures)))
	for i := range m.Failures {
		f := &m.Failures[i]
		b = binary.AppendUvarint(b, uint64(f.Index))
		b = append(b, f.Status)
		b = appendString(b, f.Type)
		b = appendString(b, f.Text)
		b = appendString(b, f.Stack)
	}
	return b
}

// maxBatchItems bounds the items of one batch, so that the item index and
// its end marker fit the low half of a progress word (see itemLoop).
const maxBatchItems = 1<<31 - 2

func decodeBatch(msg []byte) (batchMsg, error) {
	var m batchMsg
	d := newMsgDecoder(msg, msgBatch)
	m.ID = d.uvarint("batch id")
	m.Func = d.string("function name")
	m.Count = d.int("item count")
	m.Arg = d.bytes("arguments")
	if m.Count < 1 || m.Count > maxBatchItems {
		d.fail("item count")
	}
	return m, d.done()
}

func decodePartial(msg []byte) (partialMsg, error) {
	var m partialMsg
	d := newMsgDecoder(msg, msgPartial)
	m.ID = d.uvarint("batch id")
	m.From = d.int("first item")
	m.Count = d.int("item count")
	m.Values = d.bytes("values")
	if m.From > maxBatchItems || m.Count < 1 || m.Count > maxBatchItems-m.From {
		d.fail("item range")
	}
	if n := d.count("failure count"); n > 0 {
		if n > m.Count {
			d.fail("failure count")
		}
		m.Failures = make([]itemFailure, n)
		next := m.From
		for i := range m.Failures {
			f := &m.Failures[i]
			f.Index = d.int("failed item")
			f.Status = d.byte("status")
			f.Type = d.string("error type")
			f.Text = d.string("error text")
			f.Stack = d.string("stack")
			if f.Index < next || f.Index >= m.From+m.Count {
				d.fail("failed item")
			}
			if f.Status != statusError && f.Status != statusPanic {
				d.fail("status")
			}
			next = f.Index + 1
		}
	}
	return m, d.done()
}
