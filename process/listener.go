package process

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"sync"
	"syscall"
	"time"
)

// WithHandshakeErrorHandler has a Listener call fn with the error of every
// connection it drops because its handshake failed: a wrong key is an
// error wrapping ErrAuthentication and naming the peer's address. fn runs
// on the connection's own goroutine and may be called concurrently.
// Python's Listener.accept raises AuthenticationError instead; concur's
// Accept skips the failed connection, so one bad client cannot stop a
// server's accept loop.
func WithHandshakeErrorHandler(fn func(error)) ConnOption {
	return func(c *connConfig) { c.onHandshakeError = fn }
}

// maxPendingHandshakes bounds the connections a Listener holds between
// the kernel's accept and the caller's Accept: handshakes in progress plus
// authenticated connections not yet taken. Past it the Listener stops
// accepting and the kernel's backlog applies back-pressure.
const maxPendingHandshakes = 64

// Listener accepts message connections: Python's
// multiprocessing.connection.Listener. Listen makes one.
//
// Connections are accepted and authenticated in the background, each on
// its own goroutine with its own deadline, so a client that stalls its
// handshake holds up nobody; Accept hands out only connections that have
// passed it.
type Listener struct {
	ln     net.Listener
	kind   connKind
	cfg    connConfig
	ready  chan *Conn
	done   chan struct{} // closed by Close
	failed chan struct{} // closed when accepting fails for good; err says why
	err    error

	closeOnce sync.Once
	closeErr  error
	wg        sync.WaitGroup
	slots     chan struct{}

	mu      sync.Mutex
	pending map[*os.File]struct{} // connections in their handshake
}

// Listen listens on network "unix" (address is a socket path, or an
// abstract name written with a leading '@', which Python writes with a
// leading NUL) or "tcp", "tcp4", "tcp6" (address is "host:port"; port 0
// picks a free one): Python's Listener(address, family, authkey=...).
// Addr reports the address. With WithAuthKey every connection must pass
// Python's HMAC challenge handshake, within WithHandshakeTimeout.
// Accepted Conns have WithMaxMessageSize's limit, by default
// DefaultMaxMessageSize. Python's backlog argument has no Go counterpart;
// the kernel's default applies. A unix socket path is removed by Close,
// as in Python.
func Listen(network, address string, opts ...ConnOption) (*Listener, error) {
	kind, err := networkKind(network)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen(network, address)
	if err != nil {
		return nil, err
	}
	l := &Listener{
		ln:      ln,
		kind:    kind,
		cfg:     newConnConfig(DefaultMaxMessageSize, opts),
		ready:   make(chan *Conn),
		done:    make(chan struct{}),
		failed:  make(chan struct{}),
		slots:   make(chan struct{}, maxPendingHandshakes),
		pending: make(map[*os.File]struct{}),
	}
	l.wg.Add(1)
	go l.acceptLoop()
	return l, nil
}

func networkKind(network string) (connKind, error) {
	switch network {
	case "unix":
		return kindUnix, nil
	case "tcp", "tcp4", "tcp6":
		return kindStream, nil
	}
	return 0, fmt.Errorf("process: network %q is not a stream socket; use \"unix\" or \"tcp\"", network)
}

// Addr returns the address the Listener listens on: Python's
// Listener.address.
func (l *Listener) Addr() net.Addr { return l.ln.Addr() }

// Accept waits for the next authenticated connection: Python's
// Listener.accept. It returns net.ErrClosed once the Listener is closed,
// ctx.Err() when ctx ends first, and the error that stopped the Listener
// if accepting failed for good. Connections whose handshake failed are
// not returned; see WithHandshakeErrorHandler.
func (l *Listener) Accept(ctx context.Context) (*Conn, error) {
	select {
	case c := <-l.ready:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	case <-l.failed:
		return nil, l.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// Close stops listening, drops connections in their handshake or not yet
// accepted, and waits for the Listener's goroutines to end: Python's
// Listener.close. Conns already returned by Accept stay open. Closing
// again does nothing.
func (l *Listener) Close() error {
	l.closeOnce.Do(func() {
		close(l.done)
		l.closeErr = l.ln.Close()
		l.mu.Lock()
		for f := range l.pending {
			f.Close()
		}
		l.pending = nil
		l.mu.Unlock()
		l.wg.Wait()
	})
	return l.closeErr
}

func (l *Listener) acceptLoop() {
	defer l.wg.Done()
	var backoff time.Duration
	for {
		select {
		case l.slots <- struct{}{}:
		case <-l.done:
			return
		}
		nc, err := l.ln.Accept()
		if err != nil {
			<-l.slots
			select {
			case <-l.done:
				return
			default:
			}
			if !retryableAccept(err) {
				l.err = fmt.Errorf("process: accept: %w", err)
				close(l.failed)
				return
			}
			// Out of descriptors or a similar passing shortage: wait
			// and retry, as net/http does.
			backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
			select {
			case <-time.After(backoff):
			case <-l.done:
				return
			}
			continue
		}
		backoff = 0
		l.wg.Add(1)
		go l.handshake(nc)
	}
}

func retryableAccept(err error) bool {
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return true
	}
	for _, e := range []syscall.Errno{syscall.EMFILE, syscall.ENFILE, syscall.ENOBUFS, syscall.ENOMEM, syscall.ECONNABORTED} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

// handshake authenticates one accepted connection and offers it to Accept.
func (l *Listener) handshake(nc net.Conn) {
	defer l.wg.Done()
	defer func() { <-l.slots }()
	raddr := nc.RemoteAddr()
	f, err := connFile(nc)
	if err != nil {
		l.report(fmt.Errorf("process: accept from %v: %w", raddr, err))
		return
	}
	l.mu.Lock()
	if l.pending == nil { // closed meanwhile
		l.mu.Unlock()
		f.Close()
		return
	}
	l.pending[f] = struct{}{}
	l.mu.Unlock()
	if l.cfg.authKey != nil {
		p := authPolicy{key: l.cfg.authKey, refuseMD5: l.cfg.refuseMD5}
		err = runHandshake(context.Background(), f, time.Now().Add(l.cfg.handshakeTimeout), p.serverHandshake)
	}
	l.mu.Lock()
	closed := l.pending == nil
	delete(l.pending, f)
	l.mu.Unlock()
	if closed {
		f.Close()
		return
	}
	if err != nil {
		f.Close()
		l.report(fmt.Errorf("process: connection from %v: %w", addrString(raddr), err))
		return
	}
	c, err := newConn(f, l.kind, l.cfg.maxMessage, raddr)
	if err != nil {
		l.report(err)
		return
	}
	select {
	case l.ready <- c:
	case <-l.done:
		c.Close()
	}
}

func (l *Listener) report(err error) {
	if l.cfg.onHandshakeError != nil {
		l.cfg.onHandshakeError(err)
	}
}

func addrString(a net.Addr) string {
	if a == nil || a.String() == "" || a.String() == "@" {
		return "an unnamed unix socket"
	}
	return a.String()
}

// Dial connects to a Listener — concur's or Python's — at address on
// network ("unix" or "tcp", as for Listen) and, with WithAuthKey, runs
// Python's handshake as the client: Python's
// multiprocessing.connection.Client(address, authkey=...). Like Python it
// connects once, without retrying. ctx bounds the connect and the
// handshake; WithHandshakeTimeout bounds the handshake too. A peer that
// rejects the key yields an error wrapping ErrAuthentication. The Conn has
// WithMaxMessageSize's limit, by default DefaultMaxMessageSize.
func Dial(ctx context.Context, network, address string, opts ...ConnOption) (*Conn, error) {
	kind, err := networkKind(network)
	if err != nil {
		return nil, err
	}
	cfg := newConnConfig(DefaultMaxMessageSize, opts)
	var d net.Dialer
	nc, err := d.DialContext(ctx, network, address)
	if err != nil {
		return nil, err
	}
	raddr := nc.RemoteAddr()
	f, err := connFile(nc)
	if err != nil {
		return nil, err
	}
	if cfg.authKey != nil {
		p := authPolicy{key: cfg.authKey, refuseMD5: cfg.refuseMD5}
		if err := runHandshake(ctx, f, time.Now().Add(cfg.handshakeTimeout), p.clientHandshake); err != nil {
			f.Close()
			return nil, fmt.Errorf("process: connect to %s: %w", address, err)
		}
	}
	return newConn(f, kind, cfg.maxMessage, raddr)
}

// connFile turns a net.Conn into the pollable file a Conn is built on.
func connFile(nc net.Conn) (*os.File, error) {
	defer nc.Close()
	fc, ok := nc.(interface{ File() (*os.File, error) })
	if !ok {
		return nil, fmt.Errorf("process: %T has no descriptor", nc)
	}
	return fc.File()
}
