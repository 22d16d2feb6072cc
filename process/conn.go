package process

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sync/atomic"
	"syscall"
	"time"
	"weak"

	"github.com/concurgo/concur/internal/wire"
	"golang.org/x/sys/unix"
)

// ErrMessageTooLarge reports a message over a Conn's maximum message size
// (see WithMaxMessageSize). A Send of such a message fails before anything
// is written and the Conn stays usable; a received frame that declares such
// a length is not read, and since the stream cannot be resynchronised the
// Conn's receiving side is unusable afterwards (as in Python, where
// recv_bytes(maxlength) raises OSError and marks the connection unreadable).
var ErrMessageTooLarge = wire.ErrTooLarge

// ErrMalformedFrame reports a frame header no conforming peer sends: a
// negative length other than the -1 that introduces the long form. CPython
// reads such a header as an empty message; concur refuses it, and the
// Conn's receiving side is unusable afterwards.
var ErrMalformedFrame = wire.ErrMalformed

// ErrTruncatedMessage reports a stream that ended inside a message: the
// peer closed its end or died halfway through a Send. It wraps
// io.ErrUnexpectedEOF. A stream that ends between messages is a clean end
// and is reported as io.EOF.
var ErrTruncatedMessage = fmt.Errorf("process: connection ended inside a message: %w", io.ErrUnexpectedEOF)

// DefaultMaxMessageSize is the maximum message size of Conns made by Listen
// and Dial when WithMaxMessageSize is not given: their peer is whatever can
// reach the address, so concur bounds what it will buffer. Conns made by
// Pipe connect two processes of one program and have no limit by default,
// as in Python.
const DefaultMaxMessageSize = 64 << 20

// ConnOption configures Pipe, Listen and Dial. Each option's documentation
// says which of them it applies to; the others ignore it.
type ConnOption func(*connConfig)

type connConfig struct {
	maxMessage       int64
	maxSet           bool
	authKey          []byte // nil: no authentication
	handshakeTimeout time.Duration
	refuseMD5        bool
	onHandshakeError func(error)
}

func newConnConfig(defaultMax int64, opts []ConnOption) connConfig {
	cfg := connConfig{handshakeTimeout: DefaultHandshakeTimeout}
	for _, o := range opts {
		o(&cfg)
	}
	if !cfg.maxSet {
		cfg.maxMessage = defaultMax
	}
	return cfg
}

// WithMaxMessageSize sets the largest message, in bytes, that a Conn sends
// or accepts; 0 means no limit. It applies to Pipe, Listen (to every
// accepted Conn) and Dial. Python has no such limit except a per-call
// recv_bytes(maxlength); a limit per Conn protects a reader from a peer
// that announces or sends a huge message. It panics if n is negative.
func WithMaxMessageSize(n int64) ConnOption {
	if n < 0 {
		panic("process: negative maximum message size")
	}
	return func(c *connConfig) { c.maxMessage, c.maxSet = n, true }
}

// connKind says what a Conn's descriptor is, which decides how it is read
// and whether it can carry files.
type connKind uint8

const (
	kindUnix       connKind = iota + 1 // AF_UNIX stream socket: duplex, carries files
	kindStream                         // TCP socket: duplex
	kindPipeReader                     // read end of a one-way Pipe
	kindPipeWriter                     // write end of a one-way Pipe
)

func (k connKind) readable() bool { return k != kindPipeWriter }
func (k connKind) writable() bool { return k != kindPipeReader }

// readBufSize is the size of a Conn's read buffer. Messages that fit are
// assembled in it, so a stream of small messages costs about one read
// system call per batch of messages; larger payloads are read straight
// into their own slice.
const readBufSize = 32 << 10

// Conn is one end of a message connection: Python's
// multiprocessing.connection.Connection. Pipe, Dial and Listener.Accept make
// Conns; the zero value is not usable.
//
// Messages are framed exactly as Python frames them, so SendBytes and
// RecvBytes interoperate with a Python peer's send_bytes and recv_bytes.
// Send and Recv carry typed Go values encoded with the package codec
// (encoding/gob, which never runs code named by the received bytes — the
// reason concur does not speak pickle); values that hold an OS handle,
// such as a Conn, travel with their descriptors when the Conn is a unix
// socket.
//
// Any number of goroutines may call a Conn's methods at once. Sends are
// serialised, so messages never interleave on the wire; receives (Recv,
// RecvBytes, RecvFile, Poll) are serialised too, and each message goes to
// exactly one receiver.
//
// Every blocking method takes a context: its deadline bounds the call and
// its cancellation interrupts it, with ctx.Err() returned. A receive
// interrupted inside a message keeps what has arrived and resumes with the
// next receive. A send interrupted after part of its message was written
// leaves the stream unusable, so the Conn refuses further sends with an
// error that says so.
type Conn struct {
	f      *os.File
	raw    syscall.RawConn
	kind   connKind
	max    int64 // 0: no limit
	raddr  net.Addr
	closed atomic.Bool

	// The receiving side, owned by whoever holds rsem.
	rsem    chan struct{}
	rdl     ioDeadline
	rbuf    []byte // rbuf[rpos:rend] is received and not yet consumed
	rpos    int
	rend    int
	rtotal  int64 // stream offset just past the last byte received
	frame   inFrame
	batches []fdBatch // descriptors received and not yet given to a message
	rerr    error     // sticky: end of stream, a protocol error, Close
	into    []byte    // the caller's buffer during RecvBytesInto
	readFn  func(fd uintptr) bool
	rdst    []byte // readFn's buffer, result and error
	rn      int
	rsysErr error
	rmsg    unix.Msghdr // recvmsg state, for unix sockets
	riov    unix.Iovec
	oob     []byte

	// The sending side, owned by whoever holds wsem.
	wsem    chan struct{}
	wdl     ioDeadline
	wbuf    []byte
	werr    error // sticky: the stream is broken inside a message
	writeFn func(fd uintptr) bool
	wdst    []byte // writeFn's data, ancillary data, result and error
	woob    []byte
	wn      int
	wsysErr error
}

// inFrame is the message being received.
type inFrame struct {
	started bool  // the header has been consumed
	n       int64 // payload length
	direct  bool  // the payload is assembled in payload, not in rbuf
	payload []byte
	fds     []int // descriptors that arrived with this message
	fdsErr  error // descriptors were lost in transit
}

func newConn(f *os.File, kind connKind, maxMessage int64, raddr net.Addr) (*Conn, error) {
	c := &Conn{}
	if err := c.init(f, kind, maxMessage, raddr); err != nil {
		return nil, err
	}
	return c, nil
}

// init sets c up in place, so GobDecode can fill in a *Conn it was given.
func (c *Conn) init(f *os.File, kind connKind, maxMessage int64, raddr net.Addr) error {
	raw, err := f.SyscallConn()
	if err != nil {
		f.Close()
		return err
	}
	c.f, c.raw, c.kind, c.max, c.raddr = f, raw, kind, maxMessage, raddr
	c.rsem = make(chan struct{}, 1)
	c.wsem = make(chan struct{}, 1)
	c.rdl = ioDeadline{f: f, set: (*os.File).SetReadDeadline}
	c.wdl = ioDeadline{f: f, set: (*os.File).SetWriteDeadline}
	c.readFn = func(fd uintptr) bool {
		c.rn, c.rsysErr = c.sysRead(int(fd), c.rdst)
		return c.rsysErr != unix.EAGAIN
	}
	c.writeFn = func(fd uintptr) bool {
		c.wn, c.wsysErr = unix.SendmsgN(int(fd), c.wdst, c.woob, nil, unix.MSG_NOSIGNAL)
		return c.wsysErr != unix.EAGAIN
	}
	return nil
}

// RemoteAddr returns the address of the peer of a Conn made by Dial or
// Listener.Accept (Python's Listener.last_accepted), and nil for a Pipe.
func (c *Conn) RemoteAddr() net.Addr { return c.raddr }

// Close closes the Conn: Python's Connection.close. Calls blocked on it
// return net.ErrClosed, and so does every later call. Descriptors that
// arrived with messages nobody received are closed. Closing a closed Conn
// does nothing and returns nil, as in Python.
func (c *Conn) Close() error {
	if !c.closed.CompareAndSwap(false, true) {
		return nil
	}
	err := c.f.Close()
	// The close has woken any receiver; wait for it to leave, then release
	// what the receiving side holds.
	c.rsem <- struct{}{}
	closeFDs(c.frame.fds)
	for _, b := range c.batches {
		closeFDs(b.fds)
	}
	c.batches = nil
	c.rbuf, c.rpos, c.rend = nil, 0, 0
	c.rerr = net.ErrClosed
	c.rdl.release()
	<-c.rsem
	// Likewise wait for a sender, so the send side's watch can end.
	c.wsem <- struct{}{}
	c.wdl.release()
	<-c.wsem
	return err
}

// SendBytes sends p as one message: Python's Connection.send_bytes. A
// Python peer receives it with recv_bytes.
func (c *Conn) SendBytes(ctx context.Context, p []byte) error {
	return c.sendFrame(ctx, p, nil)
}

// RecvBytes receives one message: Python's Connection.recv_bytes. It
// returns io.EOF when the peer has closed its end between messages,
// ErrTruncatedMessage when it closed it inside one, and ErrMessageTooLarge
// or ErrMalformedFrame for a frame it refuses. Descriptors that arrived
// with the message (it was sent with Send or SendFile) are closed.
func (c *Conn) RecvBytes(ctx context.Context) ([]byte, error) {
	if err := c.lockRecv(ctx); err != nil {
		return nil, err
	}
	defer c.unlockRecv()
	view, fds, aliased, err := c.nextFrame(ctx)
	if err != nil {
		return nil, err
	}
	closeFDs(fds)
	if !aliased {
		return view, nil
	}
	p := make([]byte, len(view))
	copy(p, view)
	return p, nil
}

// RecvBytesInto receives one message as RecvBytes does, into buf's
// backing array when the message fits in cap(buf) and into a new slice
// otherwise, and returns the message: Python's
// Connection.recv_bytes_into, with the append-like contract of Go instead
// of Python's BufferTooShort. A caller that reuses one buffer for every
// message spares the allocation and the garbage collection of a payload
// per message, which dominate the cost of large messages.
func (c *Conn) RecvBytesInto(ctx context.Context, buf []byte) ([]byte, error) {
	if err := c.lockRecv(ctx); err != nil {
		return nil, err
	}
	defer c.unlockRecv()
	c.into = buf[:0]
	view, fds, aliased, err := c.nextFrame(ctx)
	c.into = nil
	if err != nil {
		// A message interrupted halfway must not go on filling the
		// caller's buffer, which is the caller's again once we return.
		if f := &c.frame; f.started && f.direct && cap(buf) > 0 && cap(f.payload) > 0 &&
			&f.payload[:1][0] == &buf[:1][0] {
			f.payload = append(make([]byte, 0, f.n), f.payload...)
		}
		return nil, err
	}
	closeFDs(fds)
	if !aliased {
		return view, nil
	}
	return append(buf[:0], view...), nil
}

// Send encodes v with the package codec and sends it as one message:
// Python's Connection.send, with encoding/gob in place of pickle. An
// encoding error is returned before anything is sent. Values inside v
// that hold an OS handle (a *Conn, for example) send their descriptors
// with the message; that needs a unix-socket Conn and otherwise fails
// with ErrNoFilePassing. The sender keeps its own descriptors open.
func (c *Conn) Send(ctx context.Context, v any) error {
	data, files, err := encodeMessage(v)
	if err != nil {
		return err
	}
	return c.sendFrame(ctx, data, files)
}

// Recv receives one message sent with Send and decodes it into ptr, which
// must be a non-nil pointer to a type the sent value decodes into:
// Python's Connection.recv. Decoding fills in ptr only and never runs code
// named by the bytes. Errors are those of RecvBytes, or a *DecodeError.
func (c *Conn) Recv(ctx context.Context, ptr any) error {
	if err := c.lockRecv(ctx); err != nil {
		return err
	}
	defer c.unlockRecv()
	view, fds, _, err := c.nextFrame(ctx)
	if err != nil {
		return err
	}
	return decodeMessage(view, newFiles(fds, "received-file"), ptr)
}

// Poll waits until a receive would not block — a whole message, the end of
// the stream or an error (the next receive reports it) is waiting — and
// returns true; or returns false and ctx.Err() when ctx ends first (a
// deadline is context.DeadlineExceeded). It is Python's
// Connection.poll(timeout) with the timeout as ctx's deadline; where
// Python reports true as soon as any byte is readable, Poll waits for the
// whole message, so the receive that follows cannot block on a slow
// sender. With several receiving goroutines, another may take the message
// first. A Poll on a closed Conn returns true: the receive fails at once.
func (c *Conn) Poll(ctx context.Context) (bool, error) {
	if err := c.lockRecv(ctx); err != nil {
		return false, err
	}
	defer c.unlockRecv()
	if err := c.advance(ctx, true); err == errWouldBlock {
		return false, ctxErr(ctx)
	}
	return true, nil
}

// TryPoll reports whether a receive would return at once, without waiting:
// Python's Connection.poll() with no timeout. It returns false while
// another goroutine is receiving.
func (c *Conn) TryPoll() bool {
	select {
	case c.rsem <- struct{}{}:
	default:
		return false
	}
	defer c.unlockRecv()
	return c.advance(context.Background(), false) != errWouldBlock
}

func (c *Conn) lockRecv(ctx context.Context) error {
	if !c.kind.readable() {
		return errors.New("process: receive on the write end of a one-way Pipe")
	}
	return acquire(ctx, c.rsem)
}

func (c *Conn) unlockRecv() { <-c.rsem }

func acquire(ctx context.Context, sem chan struct{}) error {
	select {
	case sem <- struct{}{}:
		return nil
	default:
	}
	select {
	case sem <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// errWouldBlock is what the read machinery reports when no data is ready
// and the caller's context has ended (or the caller would not wait);
// callers turn it into ctx.Err().
var errWouldBlock = errors.New("process: would block")

// ctxErr is the error for an operation stopped by ctx. The descriptor's
// deadline can fire a moment before ctx's own timer, so a nil ctx.Err()
// still means the deadline passed.
func ctxErr(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return context.DeadlineExceeded
}

// nextFrame completes the next message and returns its payload and the
// descriptors that came with it. When aliased, the payload is a view of
// c.rbuf, valid until the receiving side is next used; otherwise it is
// the caller's.
func (c *Conn) nextFrame(ctx context.Context) (payload []byte, fds []int, aliased bool, err error) {
	if err := c.advance(ctx, true); err != nil {
		if err == errWouldBlock {
			err = ctxErr(ctx)
		}
		return nil, nil, false, err
	}
	f := c.frame
	c.frame = inFrame{}
	if f.direct {
		payload = f.payload
	} else {
		payload = c.rbuf[c.rpos : c.rpos+int(f.n)]
		c.rpos += int(f.n)
		if c.rpos == c.rend {
			c.rpos, c.rend = 0, 0
		}
	}
	if f.fdsErr != nil {
		closeFDs(f.fds)
		return nil, nil, false, f.fdsErr
	}
	return payload, f.fds, !f.direct, nil
}

// advance receives until c.frame is complete. With wait it blocks until
// ctx ends (the caller's deadline is applied here); without, it reads only
// what is ready. It returns errWouldBlock when it had to stop early, and
// otherwise nil or the sticky error.
func (c *Conn) advance(ctx context.Context, wait bool) error {
	armed := false
	for {
		if c.rerr != nil {
			return c.rerr
		}
		f := &c.frame
		if !f.started {
			n, hl, err := wire.ParseHeader(c.rbuf[c.rpos:c.rend], c.max)
			if err != nil {
				c.rerr = fmt.Errorf("process: receive: %w", err)
				return c.rerr
			}
			if hl > 0 {
				start := c.rtotal - int64(c.rend-c.rpos)
				c.rpos += hl
				*f = inFrame{started: true, n: n, direct: n > readBufSize}
				if f.direct && int64(cap(c.into)) >= n {
					f.payload = c.into
				}
				c.claimFDs(start, start+int64(hl)+n)
				continue
			}
		} else if f.direct {
			if int64(len(f.payload)) == f.n {
				return nil
			}
			// Drain what the buffer holds, then read the rest in place.
			if c.rpos < c.rend {
				f.payload = wire.GrowPayload(f.payload, f.n)
				m := copy(f.payload[len(f.payload):cap(f.payload)], c.rbuf[c.rpos:c.rend])
				f.payload = f.payload[:len(f.payload)+m]
				c.rpos += m
				if c.rpos == c.rend {
					c.rpos, c.rend = 0, 0
				}
				continue
			}
		} else if int64(c.rend-c.rpos) >= f.n {
			return nil
		}
		if wait && !armed {
			c.rdl.begin(ctx)
			armed = true
		}
		if err := c.fill(wait); err != nil {
			return err
		}
	}
}

// fill performs one read: into the message's own payload when it is
// assembled there, else into the free end of rbuf (read-ahead).
func (c *Conn) fill(wait bool) error {
	f := &c.frame
	if f.started && f.direct {
		f.payload = wire.GrowPayload(f.payload, f.n)
		c.rdst = f.payload[len(f.payload):min(int64(cap(f.payload)), f.n)]
	} else {
		if c.rbuf == nil {
			c.rbuf = make([]byte, readBufSize)
		}
		need := wire.MaxHeaderLen
		if f.started {
			need = int(f.n)
		}
		if c.rpos == c.rend {
			c.rpos, c.rend = 0, 0
		} else if c.rpos+need > len(c.rbuf) {
			c.rend = copy(c.rbuf, c.rbuf[c.rpos:c.rend])
			c.rpos = 0
		}
		c.rdst = c.rbuf[c.rend:]
	}
	var err error
	if wait {
		err = c.raw.Read(c.readFn)
		if errors.Is(err, os.ErrDeadlineExceeded) {
			// The deadline may have passed before the descriptor was even
			// tried; data that is already there is still delivered.
			err = c.raw.Control(func(fd uintptr) { c.readFn(fd) })
		}
	} else {
		err = c.raw.Control(func(fd uintptr) { c.readFn(fd) })
	}
	if err == nil {
		err = c.rsysErr
	}
	n := c.rn
	c.rdst = nil
	switch {
	case err == unix.EAGAIN:
		return errWouldBlock
	case err != nil:
		if c.closed.Load() {
			c.rerr = net.ErrClosed
		} else {
			c.rerr = fmt.Errorf("process: receive: %w", err)
		}
		return c.rerr
	case n == 0:
		if f.started || c.rpos < c.rend {
			c.rerr = ErrTruncatedMessage
		} else {
			c.rerr = io.EOF
		}
		return c.rerr
	}
	if f.started && f.direct {
		f.payload = f.payload[:len(f.payload)+n]
	} else {
		c.rend += n
	}
	return nil
}

// sysRead is one read system call on a nonblocking descriptor. On a unix
// socket it is recvmsg, so that descriptors sent with a message are
// received rather than discarded by the kernel.
func (c *Conn) sysRead(fd int, p []byte) (int, error) {
	for {
		var n int
		var err error
		if c.kind == kindUnix {
			n, err = c.recvmsg(fd, p)
		} else {
			n, err = unix.Read(fd, p)
		}
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return 0, err
		}
		c.rtotal += int64(n)
		return n, nil
	}
}

// sendFrame writes one message, with files as SCM_RIGHTS ancillary data.
func (c *Conn) sendFrame(ctx context.Context, p []byte, files []*os.File) error {
	if !c.kind.writable() {
		return errors.New("process: send on the read end of a one-way Pipe")
	}
	if c.max > 0 && int64(len(p)) > c.max {
		return fmt.Errorf("process: send: %w: %d bytes, limit %d", ErrMessageTooLarge, len(p), c.max)
	}
	var rights []byte
	if len(files) > 0 {
		dups, err := c.dupForSend(files)
		if err != nil {
			return err
		}
		defer closeFDs(dups)
		rights = unix.UnixRights(dups...)
	}
	if err := acquire(ctx, c.wsem); err != nil {
		return err
	}
	defer func() { <-c.wsem }()
	if c.werr != nil {
		return c.werr
	}
	if c.closed.Load() {
		return net.ErrClosed
	}
	c.wdl.begin(ctx)

	total := wire.HeaderLen(len(p)) + len(p)
	var written int
	var err error
	if len(p) <= wire.SmallWrite {
		c.wbuf = append(wire.AppendHeader(c.wbuf[:0], len(p)), p...)
		written, err = c.write(c.wbuf, rights)
	} else {
		// A large payload goes out from the caller's slice, not a copy.
		c.wbuf = wire.AppendHeader(c.wbuf[:0], len(p))
		written, err = c.write(c.wbuf, rights)
		if err == nil {
			var m int
			m, err = c.f.Write(p)
			written += m
		}
	}
	if err == nil {
		return nil
	}
	switch {
	case c.closed.Load():
		return net.ErrClosed
	case written > 0 && written < total:
		c.werr = fmt.Errorf("process: connection broken: a send was interrupted inside a message: %w", err)
		return c.werr
	case errors.Is(err, os.ErrDeadlineExceeded):
		return ctxErr(ctx)
	}
	return fmt.Errorf("process: send: %w", err)
}

// write writes b, attaching rights (if any) to its first byte.
func (c *Conn) write(b, rights []byte) (int, error) {
	if rights == nil {
		return c.f.Write(b)
	}
	c.wdst, c.woob = b, rights
	err := c.raw.Write(c.writeFn)
	if err == nil {
		err = c.wsysErr
	}
	n := c.wn
	c.wdst, c.woob = nil, nil
	if err != nil {
		return 0, err
	}
	if n < len(b) {
		m, err := c.f.Write(b[n:])
		return n + m, err
	}
	return n, nil
}

// ioDeadline applies a context's deadline and cancellation to one side of
// a descriptor, changing the descriptor's deadline only when it differs
// from the one already set.
//
// Watching a context for cancellation means registering with it, which
// costs more than a small message's system calls. So the watch outlives
// the call and serves every later call with the same context — a loop
// over one ctx registers once — and ends when a call brings another
// context, or at release (the Conn's Close). The watch holds the file
// weakly, so that a Conn dropped without Close is still collected, and its
// descriptor closed, while the context lives on.
type ioDeadline struct {
	f       *os.File
	set     func(*os.File, time.Time) error // the side's SetDeadline method
	current time.Time
	watched <-chan struct{} // the Done channel watched; nil: none
	stop    func() bool
	fired   chan struct{} // closed once the watch has moved the deadline
}

// pastDeadline is set on a descriptor to interrupt a blocked call.
var pastDeadline = time.Unix(1, 0)

func (d *ioDeadline) begin(ctx context.Context) {
	done := ctx.Done()
	if done != d.watched {
		d.release()
		if done != nil {
			fired := make(chan struct{})
			file, set := weak.Make(d.f), d.set
			d.watched, d.fired = done, fired
			d.stop = context.AfterFunc(ctx, func() {
				if f := file.Value(); f != nil {
					set(f, pastDeadline)
				}
				close(fired)
			})
		}
	}
	want, _ := ctx.Deadline()
	if !want.Equal(d.current) {
		d.set(d.f, want) // a closed descriptor fails here and again, reported, in the call
		d.current = want
	}
	if done != nil && ctx.Err() != nil {
		// The watch has run or will; the set above may have undone its
		// move, so wait for it and make the deadline past for certain.
		// Had ctx still been live, a later cancellation would move the
		// deadline after the set above, as it must.
		<-d.fired
		d.set(d.f, pastDeadline)
		d.current = pastDeadline
	}
}

// release ends the watch, if any, so that it can neither land on a later
// call nor stay registered with a long-lived context.
func (d *ioDeadline) release() {
	if d.stop == nil {
		return
	}
	if !d.stop() {
		// The watch ran or is running; let it finish, and remember that
		// it moved the deadline.
		<-d.fired
		d.current = pastDeadline
	}
	d.watched, d.stop, d.fired = nil, nil, nil
}

// Passing a Conn to another process.
//
// A Conn travels as its descriptor plus a few bytes: its kind and its
// message limit. In the receiving process the descriptor arrives as an
// inherited file (a Process argument) or as SCM_RIGHTS data (a Conn
// message), and GobDecode wraps it in a fresh Conn. The sender keeps its
// own Conn; as in Python, a parent should close its copy of an end it
// gave to a child, or the child will not see EOF when the other end
// closes.

const connGobVersion = 1

// GobEncode lets a Conn be an argument of a Process or part of a message
// sent with Send: Python's pickling of a Connection for a child. It fails
// outside such a message (ErrNotInMessage), when the Conn is closed, and
// when it holds received bytes not yet read, which the other process could
// not see.
func (c *Conn) GobEncode() ([]byte, error) {
	select {
	case c.rsem <- struct{}{}:
	default:
		return nil, errors.New("process: cannot pass a Conn while a receive is waiting on it")
	}
	pending := c.rpos < c.rend || c.frame.started || len(c.batches) > 0
	<-c.rsem
	if c.closed.Load() {
		return nil, net.ErrClosed
	}
	if pending {
		return nil, errors.New("process: cannot pass a Conn that holds received data not yet read")
	}
	i, err := exportFile(c.f)
	if err != nil {
		return nil, err
	}
	b := []byte{connGobVersion, byte(c.kind)}
	b = binary.AppendUvarint(b, uint64(i))
	return binary.AppendUvarint(b, uint64(c.max)), nil
}

// GobDecode makes c the Conn that GobEncode described, taking its
// descriptor from the message being decoded. c must be a zero Conn.
func (c *Conn) GobDecode(b []byte) error {
	if c.f != nil {
		return errors.New("process: GobDecode into a Conn in use")
	}
	if len(b) < 2 || b[0] != connGobVersion {
		return errors.New("process: malformed Conn encoding")
	}
	kind := connKind(b[1])
	if kind < kindUnix || kind > kindPipeWriter {
		return fmt.Errorf("process: malformed Conn encoding: kind %d", kind)
	}
	i, k := binary.Uvarint(b[2:])
	if k <= 0 || i > 1<<20 {
		return errors.New("process: malformed Conn encoding")
	}
	maxMessage, k2 := binary.Uvarint(b[2+k:])
	if k2 <= 0 || maxMessage > 1<<62 {
		return errors.New("process: malformed Conn encoding")
	}
	f, err := importFile(int(i))
	if err != nil {
		return err
	}
	pf, err := pollableFile(f, "conn")
	if err != nil {
		return err
	}
	return c.init(pf, kind, int64(maxMessage), nil)
}

// pollableFile returns a nonblocking, runtime-polled file for f's
// descriptor and closes f. An inherited descriptor is in blocking mode
// (os/exec puts it there), in which deadlines and cancellation cannot
// interrupt a read; a duplicate set nonblocking can be.
func pollableFile(f *os.File, name string) (*os.File, error) {
	defer f.Close()
	raw, err := f.SyscallConn()
	if err != nil {
		return nil, err
	}
	nfd := -1
	var derr error
	if err := raw.Control(func(fd uintptr) {
		nfd, derr = unix.FcntlInt(fd, unix.F_DUPFD_CLOEXEC, 0)
	}); err != nil {
		return nil, err
	}
	if derr != nil {
		return nil, os.NewSyscallError("fcntl", derr)
	}
	if err := unix.SetNonblock(nfd, true); err != nil {
		unix.Close(nfd)
		return nil, os.NewSyscallError("fcntl", err)
	}
	return os.NewFile(uintptr(nfd), name), nil
}
