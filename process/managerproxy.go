package process

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/concurgo/concur/queue"
)

// mgrProxy is what every proxy kind holds: the object's identity in its
// manager and this process's connection to that manager. The exported
// methods here are promoted to every proxy type.
type mgrProxy struct {
	cl      *mgrClient
	id      uint64
	name    string
	kind    mgrKind
	sig     string
	closed  atomic.Bool
	cleanup runtime.Cleanup
}

// Name returns the object's name in its manager: the one given with
// WithObjectName, or a generated one such as "dict-3". Other programs
// connected to the manager find the object by it (LookupDict and its
// siblings).
func (p *mgrProxy) Name() string { return p.name }

// Close releases the proxy: later calls on it return an error matching
// os.ErrClosed. The object itself lives on in the manager, for other
// proxies, until the manager shuts down or Manager.Delete removes it.
// Closing twice does nothing. A proxy dropped without Close is released
// by the garbage collector, as Python releases a proxy; the process's
// connection to the manager closes with its last proxy.
func (p *mgrProxy) Close() error {
	if p.cl == nil || !p.closed.CompareAndSwap(false, true) {
		return nil
	}
	p.cleanup.Stop()
	p.cl.release()
	return nil
}

// mgrAttach fills in a proxy for an object and ties the client reference
// it was given to the life of owner, the proxy value that embeds p.
func mgrAttach[P any](owner *P, p *mgrProxy, cl *mgrClient, kind mgrKind, sig string, id uint64, name string) {
	p.cl, p.kind, p.sig, p.id, p.name = cl, kind, sig, id, name
	p.cleanup = runtime.AddCleanup(owner, (*mgrClient).release, cl)
}

func (p *mgrProxy) closedError() error {
	kind := p.kind
	if kind == 0 {
		return fmt.Errorf("process: a proxy used after Close, or not made by a Manager function: %w", os.ErrClosed)
	}
	return fmt.Errorf("process: %s %q used after Close: %w", kind, p.name, os.ErrClosed)
}

// begin starts a request on the object.
func (p *mgrProxy) begin(op byte) (*mgrCall, error) {
	if p.cl == nil || p.closed.Load() {
		return nil, p.closedError()
	}
	return p.cl.newCall(op, p.id), nil
}

// do sends the request and waits for its reply. It returns the reply's
// status and a decoder of its results; the statuses every request may
// get — the object is gone, the request was refused — are errors.
func (p *mgrProxy) do(ctx context.Context, call *mgrCall) (byte, mgrDecoder, error) {
	if err := p.cl.do(ctx, call); err != nil {
		return 0, mgrDecoder{}, err
	}
	d := mgrDecoder{b: call.body}
	switch call.status {
	case mstNoObject:
		return 0, d, fmt.Errorf("process: %s %q: %w: %s", p.kind, p.name, ErrObjectNotFound, mgrMessage(call.body))
	case mstBad:
		return 0, d, fmt.Errorf("process: the manager refused a request of %s %q: %s", p.kind, p.name, mgrMessage(call.body))
	}
	return call.status, d, nil
}

// request runs one request whose reply is mstOK or an error, and returns
// a decoder of its results. args appends the arguments.
func (p *mgrProxy) request(ctx context.Context, op byte, args func([]byte) ([]byte, error)) (mgrDecoder, error) {
	call, err := p.begin(op)
	if err != nil {
		return mgrDecoder{}, err
	}
	defer p.cl.freeCall(call)
	if args != nil {
		if call.req, err = args(call.req); err != nil {
			return mgrDecoder{}, err
		}
	}
	status, d, err := p.do(ctx, call)
	if err != nil {
		return d, err
	}
	if status != mstOK {
		return d, p.statusError(status, d)
	}
	return d, nil
}

// statusError is the error of a reply status other than mstOK, for the
// statuses that mean the same to every request that can get them.
func (p *mgrProxy) statusError(status byte, d mgrDecoder) error {
	switch status {
	case mstIndex:
		i, n := d.varint(), d.int()
		return fmt.Errorf("process: %s %q: index %d out of range with length %d: %w", p.kind, p.name, i, n, ErrIndexOutOfRange)
	case mstEmpty:
		return queue.ErrEmpty
	case mstFull:
		return queue.ErrFull
	case mstNotHeld:
		return fmt.Errorf("process: %s %q: release of an unlocked lock: %w", p.kind, p.name, ErrNotHeld)
	case mstTaskDone:
		return queue.ErrTooManyTaskDone
	}
	return fmt.Errorf("process: %s %q: %w: unexpected reply status %d", p.kind, p.name, errMgrMalformed, status)
}

// result checks that a reply's results were read exactly.
func (p *mgrProxy) result(d *mgrDecoder) error {
	if err := d.done(); err != nil {
		return fmt.Errorf("process: %s %q: reply: %w", p.kind, p.name, err)
	}
	return nil
}

var mgrScratch = sync.Pool{New: func() any { return new([]byte) }}

// appendField appends the encoding of *v as a length-prefixed field.
func (mt *mgrType[T]) appendField(b []byte, v *T) ([]byte, error) {
	sp := mgrScratch.Get().(*[]byte)
	enc, err := mt.append((*sp)[:0], v)
	if err == nil {
		b = appendBytes(b, enc)
	}
	if cap(enc) <= 64<<10 {
		*sp = enc[:0]
		mgrScratch.Put(sp)
	}
	return b, err
}

// readField decodes a length-prefixed value from d.
func (mt *mgrType[T]) readField(d *mgrDecoder) (T, error) {
	p := d.bytes()
	if d.err != nil {
		var zero T
		return zero, d.err
	}
	return mt.decode(p)
}

// mgrSig describes a proxy type, e.g. "DictProxy[string, int]". Objects
// and proxies are matched by it, so its parts are the structural
// signatures of the codecs, which other programs compute alike.
func mgrSig(kind mgrKind, params ...*mgrCodec) string {
	if len(params) == 0 {
		return kind.String()
	}
	var b bytes.Buffer
	b.WriteString(kind.String())
	b.WriteByte('[')
	for i, c := range params {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(c.sig)
	}
	b.WriteByte(']')
	return b.String()
}

// ObjectOption configures an object that a Manager function creates.
type ObjectOption func(*mgrObjectConfig)

type mgrObjectConfig struct {
	name string
}

// WithObjectName names the object, so that other programs connected to
// the manager can find it with LookupDict (or the lookup of its kind): the
// Go form of Python's BaseManager.register(typeid, callable=lambda: obj)
// on the server and m.typeid() on its clients. Creating an object under a
// name that is taken fails with ErrObjectExists. Without it, the object
// gets a generated name such as "dict-3".
func WithObjectName(name string) ObjectOption {
	return func(c *mgrObjectConfig) { c.name = name }
}

// mgrCreate creates an object in m's manager and fills in proxy p for it.
func mgrCreate[P any](ctx context.Context, m *Manager, owner *P, p *mgrProxy, kind mgrKind, sig string, params []byte, opts []ObjectOption) error {
	var cfg mgrObjectConfig
	for _, o := range opts {
		o(&cfg)
	}
	cl, err := m.client()
	if err != nil {
		return err
	}
	call := cl.newCall(mopCreate, 0)
	defer cl.freeCall(call)
	call.req = append(call.req, byte(kind))
	call.req = appendString(call.req, sig)
	call.req = appendString(call.req, cfg.name)
	call.req = appendBytes(call.req, params)
	id, name, err := mgrObjectReply(ctx, cl, call, kind, sig, cfg.name)
	if err != nil {
		cl.release()
		return err
	}
	mgrAttach(owner, p, cl, kind, sig, id, name)
	return nil
}

// mgrLookup finds the object named name in m's manager and fills in
// proxy p for it.
func mgrLookup[P any](ctx context.Context, m *Manager, owner *P, p *mgrProxy, kind mgrKind, sig, name string) error {
	cl, err := m.client()
	if err != nil {
		return err
	}
	call := cl.newCall(mopLookup, 0)
	defer cl.freeCall(call)
	call.req = append(call.req, byte(kind))
	call.req = appendString(call.req, sig)
	call.req = appendString(call.req, name)
	id, name, err := mgrObjectReply(ctx, cl, call, kind, sig, name)
	if err != nil {
		cl.release()
		return err
	}
	mgrAttach(owner, p, cl, kind, sig, id, name)
	return nil
}

// mgrObjectReply runs a create or lookup and reads its reply.
func mgrObjectReply(ctx context.Context, cl *mgrClient, call *mgrCall, kind mgrKind, sig, name string) (uint64, string, error) {
	if err := cl.do(ctx, call); err != nil {
		return 0, "", err
	}
	d := mgrDecoder{b: call.body}
	switch call.status {
	case mstOK:
		id := d.uvarint()
		name := d.string()
		if err := d.done(); err != nil {
			return 0, "", err
		}
		return id, name, nil
	case mstNoObject:
		return 0, "", fmt.Errorf("process: no object named %q in the manager: %w", name, ErrObjectNotFound)
	case mstExists:
		return 0, "", fmt.Errorf("process: an object named %q exists in the manager: %w", name, ErrObjectExists)
	case mstType:
		return 0, "", fmt.Errorf("process: manager object %q: %w", name, &SharedTypeError{Want: sig, Got: mgrMessage(call.body)})
	case mstBad:
		return 0, "", fmt.Errorf("process: the manager refused to make a %s: %s", kind, mgrMessage(call.body))
	}
	return 0, "", fmt.Errorf("process: %w: unexpected reply status %d", errMgrMalformed, call.status)
}

// Passing a proxy to another process.
//
// A proxy travels as the manager's address and the object's identity,
// and the receiving process connects to the manager itself, on its first
// call: Python's pickling of a BaseProxy. The authentication key travels
// only when it is not the program's own (Process.AuthKey), which every
// child inherits, as Python sends it only to a child it spawns; a proxy
// of a manager with a key of its own carries that key, so send such a
// proxy only to processes that may have it.

const mgrProxyGobVersion = 1

// GobEncode lets a proxy be an argument of a Process, part of a Conn
// message, or a value inside another manager object (a dict of lists, as
// Python nests proxies). A closed proxy cannot be encoded.
func (p *mgrProxy) GobEncode() ([]byte, error) {
	if p.cl == nil || p.closed.Load() {
		return nil, p.closedError()
	}
	b := []byte{mgrProxyGobVersion, byte(p.kind)}
	b = binary.AppendUvarint(b, p.id)
	b = appendString(b, p.name)
	b = appendString(b, p.sig)
	b = appendString(b, p.cl.key.network)
	b = appendString(b, p.cl.key.address)
	if key := p.cl.key.authKey; key == string(Current().AuthKey()) {
		b = append(b, 0)
	} else {
		b = appendString(append(b, 1), key)
	}
	return b, nil
}

// mgrDecodeProxy is the GobDecode of every proxy kind: it checks that the
// bytes describe an object of the receiving proxy's kind and type, and
// attaches p, embedded in owner, to this process's client of its manager.
func mgrDecodeProxy[P any](owner *P, p *mgrProxy, data []byte, kind mgrKind, sig string) error {
	if p.cl != nil {
		return errors.New("process: GobDecode into a proxy in use")
	}
	d := mgrDecoder{b: data}
	if v := d.byte(); d.err == nil && v != mgrProxyGobVersion {
		return fmt.Errorf("process: proxy encoding version %d, want %d", v, mgrProxyGobVersion)
	}
	gotKind := mgrKind(d.byte())
	id := d.uvarint()
	name := d.string()
	gotSig := d.string()
	network := d.string()
	address := d.string()
	key := Current().AuthKey()
	switch d.byte() {
	case 0:
	case 1:
		key = []byte(d.string())
	default:
		d.fail("key flag")
	}
	if err := d.done(); err != nil {
		return fmt.Errorf("process: malformed proxy: %w", err)
	}
	if gotKind != kind || gotSig != sig {
		return &SharedTypeError{Want: sig, Got: gotSig}
	}
	if _, err := networkKind(network); err != nil {
		return fmt.Errorf("process: malformed proxy: %w", err)
	}
	mgrAttach(owner, p, mgrClientFor(network, address, key), kind, sig, id, name)
	return nil
}

// String describes the proxy as Python's repr does, e.g.
// <DictProxy[string, int] "dict-1" at unix:@concur-manager-4242-1>.
func (p *mgrProxy) String() string {
	if p.cl == nil {
		return "<proxy, not made by a Manager function>"
	}
	state := ""
	if p.closed.Load() {
		state = " closed"
	}
	return "<" + p.sig + " " + strconv.Quote(p.name) + " at " + p.cl.key.network + ":" + p.cl.key.address + state + ">"
}
