package process

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/concurgo/concur/internal/shm"
)

// mgrServer is a manager's server: Python's multiprocessing.managers.Server.
// It runs as goroutines of whichever process hosts it — the program that
// called StartManager, or the child StartManager started for it — and
// keeps every shared object as bytes (see managercodec.go), so it needs
// no knowledge of its clients' Go types.
//
// Each connection has one goroutine that reads its requests and applies
// them in order, each under its object's mutex, so a request is atomic
// and requests on different objects run in parallel on different
// connections. A request that has to wait — for a lock, a queue item, an
// event — is parked on its object instead of blocking the reader, and is
// answered by the request that satisfies it, or withdrawn by a cancel or
// the end of its connection.
type mgrServer struct {
	ln  *Listener
	wg  sync.WaitGroup
	mu  sync.RWMutex
	ids map[uint64]*mgrObject
	// names of the objects; every object has one
	names   map[string]*mgrObject
	lastID  uint64
	conns   map[*mgrServerConn]struct{}
	closing bool
	done    chan struct{} // closed when shutdown has finished
}

// mgrObject is one shared object in the server.
type mgrObject struct {
	id   uint64
	name string
	kind mgrKind
	sig  string // the proxy type's description, e.g. "DictProxy[string, int]"

	mu      sync.Mutex
	deleted bool
	state   mgrState
}

// mgrState is the kind-specific state of an object. Its methods run with
// the object's mutex held.
type mgrState interface {
	// handle applies op.r and returns its reply, or nil when op parked
	// the request to answer it later.
	handle(op *mgrOp) []byte
	// unpark removes a parked request that is being withdrawn.
	unpark(w *mgrWaiter)
	// parked returns every parked request, for Delete to answer.
	parked() []*mgrWaiter
}

// mgrNoWaits is embedded by states whose requests never wait.
type mgrNoWaits struct{}

func (mgrNoWaits) unpark(*mgrWaiter)    {}
func (mgrNoWaits) parked() []*mgrWaiter { return nil }

// mgrWaiter is a parked request.
type mgrWaiter struct {
	c      *mgrServerConn
	call   uint64
	obj    *mgrObject
	val    []byte // a queue Put's item
	ring   bool   // the request came on the ring, and is answered there
	queued bool   // still parked; under obj.mu
}

// mgrWaitQueue is a FIFO of parked requests.
type mgrWaitQueue []*mgrWaiter

func (q *mgrWaitQueue) push(w *mgrWaiter) { *q = append(*q, w) }

func (q *mgrWaitQueue) pop() *mgrWaiter {
	if len(*q) == 0 {
		return nil
	}
	w := (*q)[0]
	(*q)[0] = nil
	*q = (*q)[1:]
	return w
}

func (q *mgrWaitQueue) remove(w *mgrWaiter) {
	for i, x := range *q {
		if x == w {
			*q = append((*q)[:i], (*q)[i+1:]...)
			return
		}
	}
}

// mgrDelivery is a reply to a parked request, sent once the object's
// mutex is released.
type mgrDelivery struct {
	c     *mgrServerConn
	call  uint64
	ring  bool
	frame []byte
}

// mgrOp is one request being applied.
type mgrOp struct {
	c    *mgrServerConn
	o    *mgrObject
	r    *mgrRequest
	ring bool   // the request came on the ring
	out  []byte // the reply buffer, empty
	wake []mgrDelivery
}

func (op *mgrOp) reply(status byte) []byte { return appendMgrReply(op.out, status, op.r.call) }

func (op *mgrOp) ok() []byte { return op.reply(mstOK) }

// args checks that the request's arguments were read exactly; if not,
// it returns the reply that says so.
func (op *mgrOp) args() []byte {
	if err := op.r.d.done(); err != nil {
		return appendString(op.reply(mstBad), err.Error())
	}
	return nil
}

// badOp is the reply to an op the object's state does not handle, which
// mgrOpAllowed has already refused; it guards against a mismatch of the
// two.
func (op *mgrOp) badOp() []byte {
	return appendString(op.reply(mstBad), fmt.Sprintf("op %d does not apply to a %s", op.r.op, op.o.kind))
}

// park parks the request and returns nil, the handler's "no reply yet".
func (op *mgrOp) park(q *mgrWaitQueue, val []byte) []byte {
	w := &mgrWaiter{c: op.c, call: op.r.call, obj: op.o, val: val, ring: op.ring, queued: true}
	if !op.c.track(w) {
		return nil // the connection is gone; nobody waits for the reply
	}
	q.push(w)
	return nil
}

// answer completes a parked request with a reply built by fill.
func (op *mgrOp) answer(w *mgrWaiter, status byte, fill func([]byte) []byte) {
	w.queued = false
	frame := appendMgrReply(nil, status, w.call)
	if fill != nil {
		frame = fill(frame)
	}
	op.wake = append(op.wake, mgrDelivery{w.c, w.call, w.ring, frame})
}

func newMgrServer(ln *Listener) *mgrServer {
	s := &mgrServer{
		ln:    ln,
		ids:   map[uint64]*mgrObject{},
		names: map[string]*mgrObject{},
		conns: map[*mgrServerConn]struct{}{},
		done:  make(chan struct{}),
	}
	s.wg.Add(1)
	go s.acceptLoop()
	return s
}

func (s *mgrServer) acceptLoop() {
	defer s.wg.Done()
	for {
		conn, err := s.ln.Accept(context.Background())
		if err != nil {
			return // closed by shutdown, or accepting failed for good
		}
		c := &mgrServerConn{srv: s, conn: conn, waiting: map[uint64]*mgrWaiter{}, held: map[*mgrObject]struct{}{}}
		s.mu.Lock()
		if s.closing {
			s.mu.Unlock()
			conn.Close()
			return
		}
		s.conns[c] = struct{}{}
		s.wg.Add(1)
		s.mu.Unlock()
		go c.serve()
	}
}

// shutdown stops the server: it tells every client, closes every
// connection and waits for the server's goroutines. Parked requests are
// dropped with their connections.
func (s *mgrServer) shutdown() {
	s.mu.Lock()
	if s.closing {
		s.mu.Unlock()
		<-s.done
		return
	}
	s.closing = true
	conns := make([]*mgrServerConn, 0, len(s.conns))
	for c := range s.conns {
		conns = append(conns, c)
	}
	s.mu.Unlock()
	s.ln.Close()
	bye := appendMgrReply(nil, mstShutDown, 0)
	for _, c := range conns {
		c.goodbye(bye)
	}
	s.wg.Wait()
	close(s.done)
}

// mgrServerConn is the server's side of one client connection.
type mgrServerConn struct {
	srv  *mgrServer
	conn *Conn
	pid  int // as the client's hello reported it

	rings *mgrRings // the fast path, if the client gave one

	mu      sync.Mutex
	dead    bool
	out     [][]byte // replies waiting for the writer
	writing bool     // a goroutine is writing replies
	waiting map[uint64]*mgrWaiter
	held    map[*mgrObject]struct{} // locks this connection acquired
}

func (c *mgrServerConn) serve() {
	defer c.srv.wg.Done()
	defer c.cleanup()
	ctx := context.Background()
	msg, err := c.conn.RecvBytes(ctx)
	if err != nil {
		return
	}
	var flags uint64
	if c.pid, flags, err = parseMgrHello(msg); err == nil && flags&mgrHelloRing != 0 {
		err = c.openRings()
	}
	if err != nil {
		c.conn.SendBytes(ctx, appendString(appendMgrReply(nil, mstBad, 0), err.Error()))
		return
	}
	var buf, out []byte
	var spin mgrSpinner
	for {
		ring := c.rings != nil
		if ring {
			// The ring first; spin on it for a while before sleeping on
			// the socket, where the client rings the doorbell.
			msg, err := c.rings.req.next(buf)
			switch {
			case err != nil:
				return // a corrupt ring: end the connection
			case msg != nil:
				buf = msg
				if reply := c.srv.handle(c, msg, out[:0], true); reply != nil {
					c.send(reply, true, true)
					out = reply
				}
				continue
			case spin.wait(&c.rings.req) || c.rings.req.nap(ctx):
				continue
			}
		}
		msg, err := c.conn.RecvBytesInto(ctx, buf)
		if err != nil {
			return // the client left, or died (a partial request is dropped with the stream)
		}
		buf = msg
		if len(msg) == 1 && msg[0] == mopDoorbell {
			continue
		}
		if reply := c.srv.handle(c, msg, out[:0], false); reply != nil {
			c.send(reply, true, false)
			out = reply
		}
	}
}

// openRings maps the segment the client sent after its hello.
func (c *mgrServerConn) openRings() error {
	f, err := c.conn.RecvFile(context.Background())
	if err != nil {
		return err
	}
	seg, err := shm.FromFile(f)
	if err != nil {
		return err
	}
	c.rings, err = openMgrRings(seg)
	return err
}

// handle applies one request and returns its reply, or nil if it waits.
// Replies to other requests that it completes are sent before it
// returns.
func (s *mgrServer) handle(c *mgrServerConn, msg, out []byte, ring bool) []byte {
	r, err := parseMgrRequest(msg)
	if err != nil {
		return appendString(appendMgrReply(out, mstBad, r.call), err.Error())
	}
	op := mgrOp{c: c, r: &r, ring: ring, out: out}
	switch r.op {
	case mopCancel:
		c.withdraw(r.call)
		return nil
	case mopCreate:
		return s.create(&op)
	case mopLookup:
		return s.lookup(&op)
	case mopDelete:
		return s.delete(&op)
	}
	s.mu.RLock()
	o := s.ids[r.object]
	s.mu.RUnlock()
	if o == nil {
		return appendString(op.reply(mstNoObject), "no object with id "+strconv.FormatUint(r.object, 10))
	}
	if !mgrOpAllowed(o.kind, r.op) {
		return appendString(op.reply(mstBad), fmt.Sprintf("op %d does not apply to a %s", r.op, o.kind))
	}
	op.o = o
	o.mu.Lock()
	var reply []byte
	if o.deleted {
		reply = appendString(op.reply(mstNoObject), "object "+strconv.Quote(o.name)+" was deleted")
	} else {
		reply = o.state.handle(&op)
	}
	o.mu.Unlock()
	mgrDeliver(op.wake)
	return reply
}

// mgrDeliver sends replies to parked requests that an op completed.
func mgrDeliver(wake []mgrDelivery) {
	for _, d := range wake {
		d.c.forget(d.call)
		d.c.send(d.frame, false, d.ring)
	}
}

// mgrOpAllowed says which ops apply to which kind, so that a confused or
// hostile client cannot reach a state through the wrong handler.
func mgrOpAllowed(k mgrKind, op byte) bool {
	switch k {
	case mkDict, mkNamespace:
		return op >= mopGet && op <= mopCAS
	case mkValue:
		return op == mopGet || op == mopSet || op == mopGetV || op == mopCAS
	case mkList:
		return op == mopLen || op == mopClear || (op >= mopLGet && op <= mopLCASAll)
	case mkQueue:
		return op == mopLen || (op >= mopQPut && op <= mopQJoin)
	case mkLock:
		return op >= mopAcquire && op <= mopLocked
	case mkEvent:
		return op >= mopESet && op <= mopEWait
	}
	return false
}

var mgrKindPrefixes = [...]string{"", "dict", "list", "namespace", "queue", "value", "lock", "event"}

func (s *mgrServer) create(op *mgrOp) []byte {
	d := &op.r.d
	kind := mgrKind(d.byte())
	sig := d.string()
	name := d.string()
	params := d.bytes()
	if d.err == nil && (kind == 0 || kind > mkLast) {
		d.fail("object kind")
	}
	if bad := op.args(); bad != nil {
		return bad
	}
	state, err := newMgrState(kind, params)
	if err != nil {
		return appendString(op.reply(mstBad), err.Error())
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if name != "" {
		if _, taken := s.names[name]; taken {
			return appendString(op.reply(mstExists), name)
		}
	}
	s.lastID++
	id := s.lastID
	if name == "" {
		// Python's typeid and a number; a name a user chose may be it.
		name = mgrKindPrefixes[kind] + "-" + strconv.FormatUint(id, 10)
		for n := 2; s.names[name] != nil; n++ {
			name = fmt.Sprintf("%s-%d.%d", mgrKindPrefixes[kind], id, n)
		}
	}
	o := &mgrObject{id: id, name: name, kind: kind, sig: sig, state: state}
	s.ids[id] = o
	s.names[name] = o
	b := binary.AppendUvarint(op.ok(), id)
	return appendString(b, name)
}

func newMgrState(kind mgrKind, params []byte) (mgrState, error) {
	switch kind {
	case mkDict, mkNamespace:
		if len(params) != 0 {
			break
		}
		return &mgrMapState{entries: map[string]mgrEntry{}}, nil
	case mkValue:
		return &mgrMapState{entries: map[string]mgrEntry{"": {val: bytes.Clone(params), ver: 1}}, ver: 1}, nil
	case mkList:
		if len(params) != 0 {
			break
		}
		return &mgrListState{}, nil
	case mkQueue:
		d := mgrDecoder{b: params}
		maxsize := d.int()
		if err := d.done(); err != nil {
			return nil, err
		}
		return &mgrQueueState{maxsize: maxsize}, nil
	case mkLock:
		return &mgrLockState{}, nil
	case mkEvent:
		return &mgrEventState{}, nil
	}
	return nil, fmt.Errorf("%w: parameters of a %s", errMgrMalformed, kind)
}

func (s *mgrServer) lookup(op *mgrOp) []byte {
	d := &op.r.d
	kind := mgrKind(d.byte())
	sig := d.string()
	name := d.string()
	if bad := op.args(); bad != nil {
		return bad
	}
	s.mu.RLock()
	o := s.names[name]
	s.mu.RUnlock()
	switch {
	case o == nil:
		return appendString(op.reply(mstNoObject), "no object named "+strconv.Quote(name))
	case o.kind != kind || o.sig != sig:
		return appendString(op.reply(mstType), o.sig)
	}
	b := binary.AppendUvarint(op.ok(), o.id)
	return appendString(b, o.name)
}

// delete removes an object; requests parked on it are answered
// mstNoObject, and so is every later request.
func (s *mgrServer) delete(op *mgrOp) []byte {
	name := op.r.d.string()
	if bad := op.args(); bad != nil {
		return bad
	}
	s.mu.Lock()
	o := s.names[name]
	if o != nil {
		delete(s.names, name)
		delete(s.ids, o.id)
	}
	s.mu.Unlock()
	if o == nil {
		return appendString(op.reply(mstNoObject), "no object named "+strconv.Quote(name))
	}
	o.mu.Lock()
	o.deleted = true
	for _, w := range o.state.parked() {
		op.answer(w, mstNoObject, func(b []byte) []byte { return appendString(b, "object "+strconv.Quote(name)+" was deleted") })
	}
	if l, ok := o.state.(*mgrLockState); ok && l.holder != nil {
		l.holder.unhold(o)
	}
	o.mu.Unlock()
	mgrDeliver(op.wake)
	return op.ok()
}

// track records a parked request of this connection, for cancels and
// for the cleanup when the connection ends. It reports false if the
// connection has already ended.
func (c *mgrServerConn) track(w *mgrWaiter) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.dead {
		return false
	}
	c.waiting[w.call] = w
	return true
}

func (c *mgrServerConn) forget(call uint64) {
	c.mu.Lock()
	delete(c.waiting, call)
	c.mu.Unlock()
}

// hold records a lock this connection acquired, to be recovered if the
// connection ends holding it. It reports false if the connection has
// already ended, and must not be given the lock.
func (c *mgrServerConn) hold(o *mgrObject) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.dead {
		return false
	}
	c.held[o] = struct{}{}
	return true
}

func (c *mgrServerConn) unhold(o *mgrObject) {
	c.mu.Lock()
	delete(c.held, o)
	c.mu.Unlock()
}

// withdraw answers a cancel: a request still parked is removed and
// answered mstCancelled; one already answered is left alone.
func (c *mgrServerConn) withdraw(call uint64) {
	c.mu.Lock()
	w := c.waiting[call]
	c.mu.Unlock()
	if w == nil {
		return
	}
	o := w.obj
	o.mu.Lock()
	parked := w.queued
	if parked {
		o.state.unpark(w)
		w.queued = false
	}
	o.mu.Unlock()
	if parked {
		c.forget(call)
		c.send(appendMgrReply(nil, mstCancelled, call), false, w.ring)
	}
}

// cleanup runs when the connection ends, however it ends: its parked
// requests are withdrawn and the locks it held are recovered, their next
// holder told that the previous one died.
func (c *mgrServerConn) cleanup() {
	c.conn.Close()
	c.mu.Lock()
	c.dead = true
	waiting, held := c.waiting, c.held
	c.waiting, c.held, c.out = nil, nil, nil
	c.mu.Unlock()
	for _, w := range waiting {
		o := w.obj
		o.mu.Lock()
		if w.queued {
			o.state.unpark(w)
			w.queued = false
		}
		o.mu.Unlock()
	}
	for o := range held {
		op := mgrOp{o: o}
		o.mu.Lock()
		if l, ok := o.state.(*mgrLockState); ok && !o.deleted {
			l.abandon(&op, c)
		}
		o.mu.Unlock()
		mgrDeliver(op.wake)
	}
	if c.rings != nil {
		c.rings.seg.Close() // nothing touches it now: senders check dead
	}
	c.srv.mu.Lock()
	delete(c.srv.conns, c)
	c.srv.mu.Unlock()
}

// send sends a reply: on the ring if the request came on it and the
// reply fits, else on the socket. own says the caller is one of this
// connection's goroutines, whose buffer frame is, and which may write the
// socket itself when no other reply is being written, sparing a goroutine
// switch; replies to parked requests, sent by other connections'
// goroutines, go through a queue drained by a goroutine of its own, so a
// client that does not read its replies stalls only itself.
func (c *mgrServerConn) send(frame []byte, own, ring bool) {
	c.mu.Lock()
	if c.dead {
		c.mu.Unlock()
		return
	}
	if ring && c.rings.rep.put(frame) {
		wake := c.rings.rep.wake()
		c.mu.Unlock()
		if wake {
			c.send(mgrDoorbellReply, own, false)
		}
		return
	}
	if c.writing || !own {
		if own {
			frame = bytes.Clone(frame)
		}
		c.out = append(c.out, frame)
		start := !c.writing
		c.writing = true
		c.mu.Unlock()
		if start {
			// Whoever sends holds a count of the server's WaitGroup (a
			// connection's goroutine, or a cleanup inside one), so
			// shutdown waits for the drain too.
			c.srv.wg.Add(1)
			go func() {
				defer c.srv.wg.Done()
				c.drain()
			}()
		}
		return
	}
	c.writing = true
	c.mu.Unlock()
	c.write(frame)
	c.drain()
}

func (c *mgrServerConn) drain() {
	for {
		c.mu.Lock()
		batch := c.out
		c.out = nil
		if len(batch) == 0 {
			c.writing = false
			c.mu.Unlock()
			return
		}
		c.mu.Unlock()
		for _, f := range batch {
			c.write(f)
		}
	}
}

func (c *mgrServerConn) write(frame []byte) {
	if err := c.conn.SendBytes(context.Background(), frame); err != nil {
		// The client is gone; closing ends the reader, which cleans up.
		c.conn.Close()
	}
}

// mgrGoodbyeTimeout bounds the wait to tell a client that does not read
// that the server is shutting down.
const mgrGoodbyeTimeout = time.Second

// goodbye tells the client the server is shutting down, then closes the
// connection. It is best effort: a client that is not told learns it
// from the closed connection.
func (c *mgrServerConn) goodbye(frame []byte) {
	ctx, cancel := context.WithTimeout(context.Background(), mgrGoodbyeTimeout)
	defer cancel()
	c.conn.SendBytes(ctx, frame)
	c.conn.Close()
}
