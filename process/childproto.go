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
//
// A Process is a child that serves one call and exits. A long-lived worker
// (a Pool's) is the same child with a larger call limit, or none: it
// serves calls in order until the limit or until the parent closes the
// connection. Either way, end of stream on the child's side means the
// parent is gone, and the child exits at once.
//
// The messages are encoded by hand rather than with gob: they are on the
// path of every call, and their decoder, which reads another process's
// bytes, stays small enough to fuzz exhaustively.
const (
	msgHello  byte = 'h'
	msgNoMain byte = 'n'
	msgSetup  byte = 's'
	msgCall   byte = 'c'
	msgResult byte = 'r'
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
	return b
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
