package process

import (
	"context"
	"errors"
	"fmt"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// mgrClient is this process's connection to one manager, shared by every
// proxy and Manager handle of the process that names the same address
// and key: one connection per manager, not per proxy, so a child handed
// a dozen proxies makes one connection, and a lock held through one proxy
// is held by the same connection as the rest.
//
// Calls are pipelined: any number of goroutines send requests at once,
// and the replies, tagged with call ids, may come back in any order. No
// goroutine is dedicated to reading. A caller that waits for its reply
// reads the connection itself if nobody else is reading, and hands every
// reply that is not its own to its caller; when its own arrives it passes
// the reading role to another waiting caller. So a lone caller's round
// trip is a write and a read with no goroutine switch, and an idle client
// costs a descriptor and no goroutine.
type mgrClient struct {
	key    mgrClientKey
	refs   int // under mgrClients.mu
	lastID atomic.Uint64

	dialMu sync.Mutex // serialises connecting

	// The fast path, on a unix socket (see managerring.go). ringMu
	// serialises the request ring's producers; its consumer is whoever
	// holds the reading role. The segment is never unmapped explicitly —
	// a caller may still be spinning on it when the client fails — but by
	// the garbage collector, with the client.
	rings  *mgrRings
	ringMu sync.Mutex
	spin   mgrSpinner // the reply ring consumer's, so the reading role's

	mu      sync.Mutex
	conn    *Conn // nil until connected
	pending map[uint64]*mgrCall
	reading bool  // a caller holds the reading role
	err     error // once set, the connection is over and every call fails with it
}

// mgrClientKey identifies a manager: its address and key.
type mgrClientKey struct {
	network, address, authKey string
}

var mgrClients = struct {
	sync.Mutex
	m map[mgrClientKey]*mgrClient
}{m: map[mgrClientKey]*mgrClient{}}

// mgrClientFor returns this process's client for the manager, with a
// reference the caller must release. A client whose connection has
// failed is replaced, so a manager started again at the same address is
// reached by new proxies.
func mgrClientFor(network, address string, key []byte) *mgrClient {
	k := mgrClientKey{network, address, string(key)}
	mgrClients.Lock()
	defer mgrClients.Unlock()
	c := mgrClients.m[k]
	if c == nil || c.failed() != nil {
		c = &mgrClient{key: k, pending: map[uint64]*mgrCall{}}
		mgrClients.m[k] = c
	}
	c.refs++
	return c
}

func (c *mgrClient) retain() {
	mgrClients.Lock()
	c.refs++
	mgrClients.Unlock()
}

// release drops a reference; the last one closes the connection.
func (c *mgrClient) release() {
	mgrClients.Lock()
	c.refs--
	last := c.refs == 0
	if last && mgrClients.m[c.key] == c {
		delete(mgrClients.m, c.key)
	}
	mgrClients.Unlock()
	if last {
		c.fail(fmt.Errorf("process: the connection to the manager at %s was closed: %w", c.key.address, os.ErrClosed))
	}
}

// mgrFailClients fails this process's clients of a manager that has shut
// down, so that they report it even if they never read its goodbye.
func mgrFailClients(network, address string, err error) {
	mgrClients.Lock()
	var cs []*mgrClient
	for k, c := range mgrClients.m {
		if k.network == network && k.address == address {
			cs = append(cs, c)
		}
	}
	mgrClients.Unlock()
	for _, c := range cs {
		c.fail(err)
	}
}

func (c *mgrClient) failed() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

func (c *mgrClient) unreachable(err error) error {
	return fmt.Errorf("process: manager at %s: %w: %w", c.key.address, ErrManagerUnreachable, err)
}

func (c *mgrClient) lost(err error) error {
	return fmt.Errorf("process: the connection to the manager at %s broke (a call in flight may or may not have taken effect): %w: %w",
		c.key.address, ErrManagerUnreachable, err)
}

func (c *mgrClient) shutDown() error {
	return fmt.Errorf("process: manager at %s: %w", c.key.address, ErrManagerShutDown)
}

// connect returns the connection, dialling it on first use. A failed
// dial is not remembered: the next call tries again.
func (c *mgrClient) connect(ctx context.Context) (*Conn, error) {
	c.mu.Lock()
	conn, err := c.conn, c.err
	c.mu.Unlock()
	if err != nil || conn != nil {
		return conn, err
	}
	c.dialMu.Lock()
	defer c.dialMu.Unlock()
	c.mu.Lock()
	conn, err = c.conn, c.err
	c.mu.Unlock()
	if err != nil || conn != nil {
		return conn, err
	}
	conn, err = Dial(ctx, c.key.network, c.key.address, WithAuthKey([]byte(c.key.authKey)), WithoutMD5())
	if err != nil {
		return nil, c.unreachable(err)
	}
	rings, err := c.hello(ctx, conn)
	if err != nil {
		conn.Close()
		return nil, c.unreachable(err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.err != nil { // closed meanwhile
		conn.Close()
		return nil, c.err
	}
	c.conn, c.rings = conn, rings
	return conn, nil
}

// hello introduces the client, and on a unix socket gives the manager
// the ring segment. A segment that cannot be made leaves the client on
// the socket alone.
func (c *mgrClient) hello(ctx context.Context, conn *Conn) (*mgrRings, error) {
	var rings *mgrRings
	if c.key.network == "unix" {
		rings, _ = newMgrRings()
	}
	if rings == nil {
		return nil, conn.SendBytes(ctx, appendMgrHello(nil, pidOfSelf, 0))
	}
	if err := conn.SendBytes(ctx, appendMgrHello(nil, pidOfSelf, mgrHelloRing)); err != nil {
		return nil, err
	}
	return rings, conn.SendFile(ctx, rings.seg.File())
}

// fail ends the connection: every pending call and every later one
// fails with err (the first error given, if fail is called again).
func (c *mgrClient) fail(err error) {
	c.mu.Lock()
	if c.err == nil {
		c.err = err
	}
	for id, p := range c.pending {
		delete(c.pending, id)
		p.done, p.err = true, c.err
		p.signal()
	}
	conn := c.conn
	c.mu.Unlock()
	if conn != nil {
		conn.Close()
	}
}

// mgrCall is one request in flight.
type mgrCall struct {
	id     uint64
	req    []byte
	ring   bool          // the request went on the ring (and so must its cancel)
	wake   chan struct{} // a reply arrived, or the reading role was passed on
	done   bool          // under the client's mu
	status byte
	body   []byte
	err    error
}

func (p *mgrCall) signal() {
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

var mgrCallPool = sync.Pool{New: func() any { return &mgrCall{wake: make(chan struct{}, 1)} }}

// newCall starts a request for op on object; the caller appends the
// arguments to its req and passes it to do.
func (c *mgrClient) newCall(op byte, object uint64) *mgrCall {
	p := mgrCallPool.Get().(*mgrCall)
	p.id = c.lastID.Add(1)
	p.req = appendMgrRequest(p.req[:0], op, p.id, object)
	return p
}

func (c *mgrClient) freeCall(p *mgrCall) {
	select {
	case <-p.wake:
	default:
	}
	p.done, p.ring, p.status, p.body, p.err = false, false, 0, nil, nil
	if cap(p.req) <= 4<<10 {
		mgrCallPool.Put(p)
	}
}

// mgrCancelGrace bounds the wait for the manager's answer to a withdrawn
// request. A manager that does not answer in that time is taken to be
// hung, and the connection is dropped (which makes the manager release
// what this connection held).
var mgrCancelGrace = 5 * time.Second

// do sends the request and waits for its reply. The reply's status and
// body are p's; err is a failure of the connection or ctx's error.
//
// If ctx ends first, a request that waits in the manager (mopWaits) is
// withdrawn with a cancel, and do returns ctx.Err() once the manager has
// confirmed it — or the request's own result, if it completed first, so
// that an item taken or a lock granted is never lost. Any other request
// returns ctx.Err() at once, and may or may not have been carried out.
func (c *mgrClient) do(ctx context.Context, p *mgrCall) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	conn, err := c.connect(ctx)
	if err != nil {
		return err
	}
	c.mu.Lock()
	if c.err != nil {
		c.mu.Unlock()
		return c.err
	}
	c.pending[p.id] = p
	c.mu.Unlock()
	if p.ring, err = c.send(ctx, conn, p.req, false); err != nil {
		c.mu.Lock()
		delete(c.pending, p.id)
		c.mu.Unlock()
		if mgrIsCtxErr(err) { // nothing was written
			return err
		}
		return c.sendFailed(conn, err)
	}
	return c.wait(ctx, conn, p)
}

// send sends a request, on the ring if it fits (or, with mustRing, as
// soon as it fits) and on the socket otherwise, and reports whether it
// went on the ring.
func (c *mgrClient) send(ctx context.Context, conn *Conn, req []byte, mustRing bool) (bool, error) {
	if c.rings != nil {
		for {
			c.ringMu.Lock()
			ok := c.rings.req.put(req)
			wake := ok && c.rings.req.wake()
			c.ringMu.Unlock()
			if wake {
				// The doorbell must arrive, or the request waits forever.
				if err := conn.SendBytes(context.Background(), mgrDoorbellRequest); err != nil {
					return true, err
				}
			}
			if ok || !mustRing {
				if ok {
					return true, nil
				}
				break
			}
			if err := ctx.Err(); err != nil {
				return false, err
			}
			runtime.Gosched() // the manager is draining the ring
		}
	}
	return false, conn.SendBytes(ctx, req)
}

func mgrIsCtxErr(err error) bool {
	return errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}

// wait waits for p's reply, reading the connection itself whenever
// nobody else does; see do for what happens when ctx ends.
func (c *mgrClient) wait(ctx context.Context, conn *Conn, p *mgrCall) error {
	var err error
	rctx := ctx
	withdrawn := false
	for {
		c.mu.Lock()
		if p.done {
			c.passOnLocked()
			c.mu.Unlock()
			break
		}
		lead := !c.reading
		c.reading = true
		c.mu.Unlock()
		if lead {
			c.read(rctx, conn, p)
		} else {
			select {
			case <-p.wake:
			case <-rctx.Done():
			}
		}
		if !mgrEnded(rctx) {
			continue
		}
		switch {
		case withdrawn:
			c.fail(c.lost(fmt.Errorf("no answer to a withdrawn request within %v", mgrCancelGrace)))
		case mopWaits(p.req[0]):
			withdrawn = true
			grace, cancel := context.WithTimeout(context.Background(), mgrCancelGrace)
			defer cancel()
			rctx = grace
			cancelReq := appendMgrRequest(nil, mopCancel, p.id, 0)
			if p.ring {
				_, err = c.send(grace, conn, cancelReq, true)
			} else {
				err = conn.SendBytes(grace, cancelReq)
			}
			if err != nil {
				c.fail(c.lost(err))
			}
		default:
			c.mu.Lock()
			done := p.done
			delete(c.pending, p.id)
			c.passOnLocked()
			c.mu.Unlock()
			if !done {
				return ctxErr(ctx)
			}
		}
	}
	switch {
	case p.err != nil && withdrawn:
		return ctxErr(ctx)
	case p.err != nil:
		return p.err
	case p.status == mstCancelled:
		return ctxErr(ctx)
	}
	return nil
}

// mgrEnded reports whether ctx has ended, counting a deadline that has
// passed before ctx's own timer fired.
func mgrEnded(ctx context.Context) bool {
	if ctx.Err() != nil {
		return true
	}
	d, ok := ctx.Deadline()
	return ok && !time.Now().Before(d)
}

// passOnLocked hands the reading role to a waiting caller if nobody
// holds it. Every caller that leaves calls it, so the role is never lost
// with a caller that left without taking it up.
func (c *mgrClient) passOnLocked() {
	if c.reading {
		return
	}
	for _, q := range c.pending {
		q.signal()
		return
	}
}

// read holds the reading role until p's reply arrives, ctx ends or the
// connection fails, then gives the role up.
func (c *mgrClient) read(ctx context.Context, conn *Conn, p *mgrCall) {
	defer func() {
		c.mu.Lock()
		c.reading = false
		for _, q := range c.pending {
			if q != p {
				q.signal()
				break
			}
		}
		c.mu.Unlock()
	}()
	for {
		if c.rings != nil {
			// Replies on the ring first; spin for one before sleeping.
			msg, err := c.rings.rep.next(nil)
			switch {
			case err != nil:
				c.fail(c.lost(err))
				return
			case msg != nil:
				if q := c.dispatch(msg); q == p || q == nil {
					return
				}
				continue
			case c.spin.wait(&c.rings.rep) || c.rings.rep.nap(ctx):
				continue
			}
		}
		// The socket: a doorbell, a reply that did not go on the ring,
		// or the end of the connection.
		msg, err := conn.RecvBytes(ctx)
		if err != nil {
			if !mgrIsCtxErr(err) {
				c.fail(c.lost(err))
			}
			return
		}
		if q := c.dispatch(msg); q == p || q == nil {
			return // p's reply, or the end of the connection
		}
	}
}

// dispatch hands a reply to its caller and returns that caller's call;
// it returns nil if the reply ended the connection.
func (c *mgrClient) dispatch(msg []byte) *mgrCall {
	status, id, body, err := parseMgrReply(msg)
	switch {
	case err != nil:
		c.fail(c.lost(err))
		return nil
	case id == 0 && status == mstDoorbell:
		return mgrNotACall
	case id == 0 && status == mstShutDown:
		c.fail(c.shutDown())
		return nil
	case id == 0:
		c.fail(c.unreachable(fmt.Errorf("the manager refused the connection: %s", mgrMessage(body))))
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	q := c.pending[id]
	if q == nil {
		return mgrNotACall // the reply to a call that gave up
	}
	delete(c.pending, id)
	q.done, q.status, q.body = true, status, body
	q.signal()
	return q
}

// mgrNotACall is what dispatch returns for a message that is no caller's
// reply.
var mgrNotACall = &mgrCall{}

// sendFailed reports a request that could not be sent. The manager may
// have said goodbye before it closed the connection: if nobody else is
// reading, the replies that arrived are read first, so that a shutdown
// is reported as one.
func (c *mgrClient) sendFailed(conn *Conn, err error) error {
	c.mu.Lock()
	lead := !c.reading
	c.reading = true
	c.mu.Unlock()
	if !lead {
		return c.lost(err) // the reader will find out what happened
	}
	for conn.TryPoll() {
		msg, rerr := conn.RecvBytes(context.Background())
		if rerr != nil || c.dispatch(msg) == nil {
			break
		}
	}
	c.mu.Lock()
	c.reading = false
	c.mu.Unlock()
	c.fail(c.lost(err))
	return c.failed()
}

// mgrMessage reads the message of an error reply.
func mgrMessage(body []byte) string {
	d := mgrDecoder{b: body}
	s := d.string()
	if d.err != nil {
		return "(no message)"
	}
	return s
}
