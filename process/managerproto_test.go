package process

import (
	"context"
	"encoding/binary"
	"testing"

	"github.com/concurgo/concur/internal/shm"
)

// The decoders of the manager protocol read another process's bytes:
// the server's requests, the client's replies, the rings, a proxy's
// encoding. Each is fuzzed here.

// mgrFuzzServer is a server with no listener and one connection, whose
// client end is drained, holding one object of every kind.
type mgrFuzzServer struct {
	srv    *mgrServer
	c      *mgrServerConn
	client *Conn
	done   chan struct{}
}

func newMgrFuzzServer(t testing.TB) *mgrFuzzServer {
	a, b, err := Pipe(true)
	if err != nil {
		t.Fatal(err)
	}
	srv := &mgrServer{ids: map[uint64]*mgrObject{}, names: map[string]*mgrObject{}, conns: map[*mgrServerConn]struct{}{}, done: make(chan struct{})}
	f := &mgrFuzzServer{
		srv:    srv,
		c:      &mgrServerConn{srv: srv, conn: a, pid: 1, waiting: map[uint64]*mgrWaiter{}, held: map[*mgrObject]struct{}{}},
		client: b,
		done:   make(chan struct{}),
	}
	srv.conns[f.c] = struct{}{}
	go func() {
		defer close(f.done)
		for {
			if _, err := b.RecvBytes(context.Background()); err != nil {
				return
			}
		}
	}()
	for kind := mkDict; kind <= mkLast; kind++ {
		var params []byte
		if kind == mkQueue {
			params = []byte{2}
		}
		req := appendMgrRequest(nil, mopCreate, 1, 0)
		req = append(req, byte(kind))
		req = appendString(req, "sig")
		req = appendString(req, "")
		req = appendBytes(req, params)
		if reply := srv.handle(f.c, req, nil, false); reply[0] != mstOK {
			t.Fatalf("create %s: %q", kind, reply)
		}
	}
	return f
}

func (f *mgrFuzzServer) close() {
	f.c.cleanup()
	f.srv.wg.Wait()
	f.client.Close()
	<-f.done
}

// mgrSeedRequests are well-formed requests of every op for the objects
// of newMgrFuzzServer (ids 1 to 7, in kind order).
func mgrSeedRequests() [][]byte {
	key, val := appendBytes(nil, []byte{1, 'k'}), appendBytes(nil, []byte{2})
	req := func(op byte, object uint64, args ...[]byte) []byte {
		b := appendMgrRequest(nil, op, 9, object)
		for _, a := range args {
			b = append(b, a...)
		}
		return b
	}
	uv := func(n uint64) []byte { return binary.AppendUvarint(nil, n) }
	v := func(n int64) []byte { return binary.AppendVarint(nil, n) }
	dict, list, ns, q, value, lock, event := uint64(mkDict), uint64(mkList), uint64(mkNamespace), uint64(mkQueue), uint64(mkValue), uint64(mkLock), uint64(mkEvent)
	return [][]byte{
		req(mopSet, dict, key, val), req(mopGet, dict, key), req(mopDel, dict, key), req(mopPop, dict, key),
		req(mopSetDefault, dict, key, val), req(mopLen, dict), req(mopHas, ns, key), req(mopKeys, dict),
		req(mopItems, dict), req(mopClear, dict), req(mopUpdate, dict, uv(1), key, val),
		req(mopGetV, value, appendBytes(nil, nil)), req(mopCAS, dict, key, uv(0), val),
		req(mopLAppend, list, uv(2), val, val), req(mopLGet, list, v(0)), req(mopLSet, list, v(1), val),
		req(mopLInsert, list, v(0), val), req(mopLPop, list, v(-1)), req(mopLCopy, list), req(mopLGetV, list, v(0)),
		req(mopLCAS, list, v(0), uv(3), val), req(mopLGetAllV, list), req(mopLCASAll, list, uv(4), uv(1), val),
		req(mopQPut, q, val), req(mopQTryPut, q, val), req(mopQGet, q), req(mopQTryGet, q), req(mopQTaskDone, q), req(mopQJoin, q),
		req(mopAcquire, lock), req(mopTryAcquire, lock), req(mopRelease, lock), req(mopLocked, lock),
		req(mopESet, event), req(mopEClear, event), req(mopEIsSet, event), req(mopEWait, event),
		appendMgrRequest(nil, mopCancel, 9, 0),
		append(req(mopLookup, 0, []byte{byte(mkDict)}), appendString(appendString(nil, "sig"), "dict-1")...),
		append(req(mopDelete, 0), appendString(nil, "list-2")...),
	}
}

// FuzzManagerServer applies arbitrary requests to a server: whatever the
// bytes, it answers or parks them, and never panics.
func FuzzManagerServer(f *testing.F) {
	for _, r := range mgrSeedRequests() {
		f.Add(r)
	}
	f.Fuzz(func(t *testing.T, msg []byte) {
		s := newMgrFuzzServer(t)
		defer s.close()
		for _, r := range mgrSeedRequests()[:4] {
			s.srv.handle(s.c, r, nil, false)
		}
		if reply := s.srv.handle(s.c, msg, nil, false); reply != nil {
			if _, _, _, err := parseMgrReply(reply); err != nil {
				t.Fatalf("the server's reply %q does not parse: %v", reply, err)
			}
		}
		// And once more, now that objects hold state from the first.
		s.srv.handle(s.c, msg, nil, false)
	})
}

// FuzzManagerReply delivers arbitrary replies to every kind of client
// call: the call returns a result or an error, and never panics.
func FuzzManagerReply(f *testing.F) {
	f.Add([]byte{mstOK, 1, 0})
	f.Add([]byte{mstIndex, 3, 2})
	f.Add(append([]byte{mstConflict, 5}, appendBytes(nil, []byte{2, 'x'})...))
	f.Add([]byte{mstOwnerDead, 0x80, 0x01})
	f.Add(append([]byte{mstType}, appendString(nil, "ListProxy[int]")...))
	f.Add([]byte{mstOK, 2, 1, 'a', 1, 2})
	f.Fuzz(func(t *testing.T, reply []byte) {
		if len(reply) == 0 {
			return
		}
		a, b, err := Pipe(true)
		if err != nil {
			t.Fatal(err)
		}
		defer b.Close()
		ctx := context.Background()
		// The fake manager answers every request with the fuzzed
		// status and body, under the request's call id.
		go func() {
			for {
				msg, err := b.RecvBytes(ctx)
				if err != nil {
					return
				}
				r, err := parseMgrRequest(msg)
				if err != nil {
					continue
				}
				out := append(appendMgrReply(nil, reply[0], r.call), reply[1:]...)
				if b.SendBytes(ctx, out) != nil {
					return
				}
			}
		}()
		cl := &mgrClient{key: mgrClientKey{"unix", "@fuzz", ""}, pending: map[uint64]*mgrCall{}, conn: a, refs: 1}
		defer cl.fail(errMgrMalformed)
		dict := &DictProxy[string, []int]{mgrProxy: mgrProxy{cl: cl, id: 1, name: "fuzz"}}
		dict.kt, _ = mgrTypeOf[string](true)
		dict.vt, _ = mgrTypeOf[[]int](false)
		list := &ListProxy[string]{mgrProxy: mgrProxy{cl: cl, id: 1, name: "fuzz"}}
		list.t, _ = mgrTypeOf[string](false)
		q := &QueueProxy[int]{mgrProxy: mgrProxy{cl: cl, id: 1, name: "fuzz"}}
		q.t, _ = mgrTypeOf[int](false)
		ns := &NamespaceProxy{mgrProxy: mgrProxy{cl: cl, id: 1, name: "fuzz"}}
		lock := &LockProxy{mgrProxy: mgrProxy{cl: cl, id: 1, name: "fuzz"}}
		ev := &EventProxy{mgrProxy: mgrProxy{cl: cl, id: 1, name: "fuzz"}}
		val := &ValueProxy[int]{mgrProxy: mgrProxy{cl: cl, id: 1, name: "fuzz"}}
		val.t = q.t
		first := true
		once := func() bool { // Modify loops while the reply says conflict
			ok := first
			first = false
			return ok
		}
		calls := []func() error{
			func() error { _, _, err := dict.Get(ctx, "k"); return err },
			func() error { _, err := dict.Keys(ctx); return err },
			func() error { _, err := dict.Copy(ctx); return err },
			func() error { _, _, err := dict.SetDefault(ctx, "k", nil); return err },
			func() error { _, err := dict.Len(ctx); return err },
			func() error {
				first = true
				_, err := dict.Modify(ctx, "k", func(*[]int, bool) error {
					if !once() {
						return errMgrMalformed
					}
					return nil
				})
				return err
			},
			func() error { _, err := list.Copy(ctx); return err },
			func() error { _, err := list.Pop(ctx); return err },
			func() error { _, err := list.Append(ctx, "x"); return err },
			func() error {
				first = true
				_, err := list.ModifyAll(ctx, func(*[]string) error {
					if !once() {
						return errMgrMalformed
					}
					return nil
				})
				return err
			},
			func() error { _, err := q.Get(ctx); return err },
			func() error { return q.TaskDone(ctx) },
			func() error { var x int; _, err := ns.Get(ctx, "x", &x); return err },
			func() error { _, err := ns.Attrs(ctx); return err },
			func() error { _, err := lock.TryAcquire(ctx); return err },
			func() error { return lock.Acquire(ctx) },
			func() error { _, err := ev.IsSet(ctx); return err },
			func() error { _, err := val.Get(ctx); return err },
		}
		for _, call := range calls {
			if call() != nil && cl.failed() != nil {
				return // the reply broke the connection
			}
		}
	})
}

// FuzzManagerRing reads a ring whose positions and bytes are arbitrary:
// next returns messages or an error, and never panics or reads outside
// the ring.
func FuzzManagerRing(f *testing.F) {
	seg, err := shm.New(mgrSegSize)
	if err != nil {
		f.Fatal(err)
	}
	defer seg.Close()
	rings := mapMgrRings(seg)
	f.Add(uint64(0), uint64(9), []byte{5, 0, 0, 0, 'h', 'e', 'l', 'l', 'o'})
	f.Add(uint64(mgrRingSize-2), uint64(mgrRingSize+7), []byte{3, 0, 0, 0, 'a', 'b', 'c'})
	f.Add(uint64(0), uint64(4), []byte{0xff, 0xff, 0xff, 0xff})
	f.Add(uint64(10), uint64(5), []byte{})
	f.Fuzz(func(t *testing.T, head, tail uint64, data []byte) {
		r := &rings.req
		r.head.Store(head)
		r.tail.Store(head)
		r.copyIn(head, data)
		r.tail.Store(tail)
		var buf []byte
		for range 1000 {
			msg, err := r.next(buf)
			if err != nil || msg == nil {
				return
			}
			if len(msg) > mgrRingMaxMsg {
				t.Fatalf("a message of %d bytes", len(msg))
			}
			buf = msg
		}
	})
}

// FuzzManagerProxyDecode decodes arbitrary bytes as a proxy, as a child
// does with its argument: a proxy or an error, never a panic.
func FuzzManagerProxyDecode(f *testing.F) {
	p := &DictProxy[string, int]{mgrProxy: mgrProxy{cl: &mgrClient{key: mgrClientKey{"unix", "@m", "key"}}, kind: mkDict, id: 3, name: "d", sig: "DictProxy[string, int]"}}
	good, err := p.GobEncode()
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add(good[:len(good)-3])
	f.Add([]byte{1, byte(mkList)})
	f.Fuzz(func(t *testing.T, data []byte) {
		var d DictProxy[string, int]
		if d.GobDecode(data) == nil {
			d.Close()
		}
		var l LockProxy
		if l.GobDecode(data) == nil {
			l.Close()
		}
	})
}

func FuzzManagerHello(f *testing.F) {
	f.Add(appendMgrHello(nil, 42, 0))
	f.Add(appendMgrHello(nil, 42, mgrHelloRing))
	f.Add([]byte{mopHello, 2})
	f.Fuzz(func(t *testing.T, msg []byte) {
		parseMgrHello(msg)
		parseMgrReply(msg)
		parseMgrRequest(msg)
	})
}
