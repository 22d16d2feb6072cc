package process

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Fault tests of the manager with real processes and real signals.

type mgrTally struct {
	Total int
	Per   [4]int
}

type mgrLogEntry struct{ Writer, Seq int }

type mgrHammerArg struct {
	Tally   *ValueProxy[mgrTally]
	Big     *DictProxy[int, []byte]
	Log     *ListProxy[mgrLogEntry]
	Stop    *EventProxy
	Started *QueueProxy[int]
	Index   int
}

// mgrBigSize makes the big values go over the socket in several writes,
// so that a kill is likely to land in the middle of one.
const mgrBigSize = 256 << 10

func mgrPattern(writer, seq int) []byte {
	return bytes.Repeat([]byte{byte(writer), byte(seq)}, mgrBigSize/2)
}

// mgrHammer updates the manager's objects in a loop until Stop is set:
// an atomic Modify of a tally, a large value, an append to a log.
var mgrHammer = RegisterTarget("manager.test.hammer", func(ctx context.Context, a mgrHammerArg) error {
	if err := a.Started.Put(ctx, a.Index); err != nil {
		return err
	}
	return mgrHammerLoop(ctx, a)
})

func mgrHammerLoop(ctx context.Context, a mgrHammerArg) error {
	for seq := 0; ; seq++ {
		if seq%8 == 0 {
			if stop, err := a.Stop.IsSet(ctx); stop || err != nil {
				return err
			}
		}
		if _, err := a.Tally.Modify(ctx, func(t *mgrTally) error {
			t.Total++
			t.Per[a.Index]++
			return nil
		}); err != nil {
			return err
		}
		if err := a.Big.Set(ctx, a.Index*100+seq%4, mgrPattern(a.Index, seq)); err != nil {
			return err
		}
		if _, err := a.Log.Append(ctx, mgrLogEntry{a.Index, seq}); err != nil {
			return err
		}
	}
}

// TestManagerClientKilledMidCall kills a child that is hammering the
// manager's objects: the manager and the other clients — two more
// children and a goroutine of the test — carry on, and the killed
// child's half-done call leaves nothing half-done behind.
func TestManagerClientKilledMidCall(t *testing.T) {
	m := mgrStart(t, WithOwnProcess())
	ctx := mgrTestCtx(t)
	arg := mgrHammerArg{
		Tally:   mgrMust[*ValueProxy[mgrTally]](t)(ManagerValue(ctx, m, mgrTally{})),
		Big:     mgrMust[*DictProxy[int, []byte]](t)(ManagerDict[int, []byte](ctx, m)),
		Log:     mgrMust[*ListProxy[mgrLogEntry]](t)(ManagerList[mgrLogEntry](ctx, m)),
		Stop:    mgrMust[*EventProxy](t)(ManagerEvent(ctx, m)),
		Started: mgrMust[*QueueProxy[int]](t)(ManagerQueue[int](ctx, m, 0)),
	}
	var children []*Child[struct{}]
	for i := range 3 {
		arg.Index = i
		c := New(mgrHammer, arg)
		mgrCheck(t, c.Start())
		children = append(children, c)
	}
	for range 3 {
		mgrMust[int](t)(arg.Started.Get(ctx))
	}
	var wg sync.WaitGroup
	wg.Go(func() {
		a := arg
		a.Index = 3
		if err := mgrHammerLoop(ctx, a); err != nil {
			t.Errorf("the test's own client: %v", err)
		}
	})
	time.Sleep(100 * time.Millisecond)
	mgrCheck(t, children[0].Kill())
	err := children[0].Join(ctx)
	var ee *ExitError
	if !errors.As(err, &ee) || ee.Signal != syscall.SIGKILL {
		t.Fatalf("the killed child: %v", err)
	}
	time.Sleep(100 * time.Millisecond) // the others go on
	mgrCheck(t, arg.Stop.Set(ctx))
	wg.Wait()
	for _, c := range children[1:] {
		mgrCheck(t, c.Join(ctx))
	}

	tally := mgrMust[mgrTally](t)(arg.Tally.Get(ctx))
	sum := 0
	for _, n := range tally.Per {
		sum += n
	}
	if tally.Total != sum {
		t.Errorf("tally %+v: total %d, per-writer sum %d", tally, tally.Total, sum)
	}
	for i, n := range tally.Per {
		if n == 0 {
			t.Errorf("writer %d made no progress", i)
		}
	}
	big := mgrMust[map[int][]byte](t)(arg.Big.Copy(ctx))
	for k, v := range big {
		if len(v) != mgrBigSize || !bytes.Equal(v, mgrPattern(k/100, int(v[1]))) || int(v[0]) != k/100 {
			t.Errorf("big value %d: %d bytes, not one writer's whole value", k, len(v))
		}
	}
	next := map[int]int{}
	for _, e := range mgrMust[[]mgrLogEntry](t)(arg.Log.Copy(ctx)) {
		if e.Seq != next[e.Writer] {
			t.Fatalf("log: writer %d's entry %d after %d", e.Writer, e.Seq, next[e.Writer]-1)
		}
		next[e.Writer]++
	}
	// The manager still serves new objects.
	d := mgrMust[*DictProxy[string, int]](t)(ManagerDict[string, int](ctx, m))
	defer d.Close()
	mgrCheck(t, d.Set(ctx, "after", 1))
}

// TestManagerProcessKilled kills the manager's own process while calls
// wait in it: the test's and a child's calls fail at once with
// ErrManagerUnreachable, and so does every later call; nothing hangs.
func TestManagerProcessKilled(t *testing.T) {
	ctx := mgrTestCtx(t)
	m, err := StartManager(ctx, WithOwnProcess())
	mgrCheck(t, err)
	q := mgrMust[*QueueProxy[int]](t)(ManagerQueue[int](ctx, m, 0))
	defer q.Close()
	child := New(mgrWaitsOnQueue, q)
	mgrCheck(t, child.Start())
	waiting := make(chan error)
	go func() { _, err := q.Get(ctx); waiting <- err }()
	time.Sleep(50 * time.Millisecond) // both Gets are parked in the manager
	mgrCheck(t, m.child.Kill())

	if err := <-waiting; !errors.Is(err, ErrManagerUnreachable) {
		t.Fatalf("a Get waiting when the manager died: %v", err)
	}
	if got := mgrMust[string](t)(child.Result(ctx)); got != "false true" {
		t.Fatalf("the child's Get: ErrManagerShutDown, ErrManagerUnreachable = %s", got)
	}
	if err := q.Put(ctx, 1); !errors.Is(err, ErrManagerUnreachable) {
		t.Fatalf("Put after the manager died: %v", err)
	}
	if _, err := ManagerDict[string, int](ctx, m); !errors.Is(err, ErrManagerUnreachable) {
		t.Fatalf("a new dict after the manager died: %v", err)
	}
	<-m.Done()
	var ee *ExitError
	if err := m.Shutdown(ctx); !errors.As(err, &ee) || ee.Signal != syscall.SIGKILL {
		t.Fatalf("Shutdown of a killed manager: %v", err)
	}
}

// mgrHolder takes the lock, says so, and waits to be killed.
var mgrHolder = RegisterTarget("manager.test.holder", func(ctx context.Context, a mgrHolderArg) error {
	if err := a.Lock.Acquire(ctx); err != nil {
		return err
	}
	if err := a.Held.Set(ctx); err != nil {
		return err
	}
	time.Sleep(time.Hour)
	return nil
})

type mgrHolderArg struct {
	Lock *LockProxy
	Held *EventProxy
}

// TestManagerLockHolderKilled kills a child holding a LockProxy: a waiter
// gets the lock and is told the holder died; so is a TryAcquire after a
// holder died with nobody waiting.
func TestManagerLockHolderKilled(t *testing.T) {
	m := mgrStart(t)
	ctx := mgrTestCtx(t)
	for _, waiting := range []bool{true, false} {
		t.Run(fmt.Sprint("waiting=", waiting), func(t *testing.T) {
			arg := mgrHolderArg{
				Lock: mgrMust[*LockProxy](t)(ManagerLock(ctx, m)),
				Held: mgrMust[*EventProxy](t)(ManagerEvent(ctx, m)),
			}
			defer arg.Lock.Close()
			defer arg.Held.Close()
			holder := New(mgrHolder, arg)
			mgrCheck(t, holder.Start())
			mgrCheck(t, arg.Held.Wait(ctx))
			acquired := make(chan error, 1)
			if waiting {
				go func() { acquired <- arg.Lock.Acquire(ctx) }()
				mgrWaitParked(t, m, arg.Lock.Name(), 1)
			}
			mgrCheck(t, holder.Kill())
			holder.Join(ctx)
			if !waiting {
				for {
					ok, err := arg.Lock.TryAcquire(ctx)
					if ok {
						acquired <- err
						break
					}
					mgrCheck(t, err)
					time.Sleep(time.Millisecond) // the manager has yet to see the death
				}
			}
			err := <-acquired
			var od *OwnerDeadError
			if !errors.As(err, &od) || !errors.Is(err, ErrOwnerDead) || od.Pid != holder.Pid() {
				t.Fatalf("Acquire after the holder died: %v", err)
			}
			if locked := mgrMust[bool](t)(arg.Lock.Locked(ctx)); !locked {
				t.Fatal("the lock is not held after an OwnerDeadError")
			}
			mgrCheck(t, arg.Lock.Release(ctx))
			mgrCheck(t, arg.Lock.Acquire(ctx)) // and is a plain lock again
			mgrCheck(t, arg.Lock.Release(ctx))
		})
	}
}

// TestManagerHung stops the manager's process: a call whose ctx ends
// returns — one that waits in the manager after the grace period for its
// withdrawal, which drops the connection — instead of hanging.
func TestManagerHung(t *testing.T) {
	old := mgrCancelGrace
	mgrCancelGrace = 200 * time.Millisecond
	defer func() { mgrCancelGrace = old }()
	m := mgrStart(t, WithOwnProcess())
	ctx := mgrTestCtx(t)
	d := mgrMust[*DictProxy[string, int]](t)(ManagerDict[string, int](ctx, m))
	defer d.Close()
	q := mgrMust[*QueueProxy[int]](t)(ManagerQueue[int](ctx, m, 0))
	defer q.Close()
	mgrCheck(t, m.child.SendSignal(syscall.SIGSTOP))
	defer m.child.SendSignal(syscall.SIGCONT)
	mgrWaitStopped(t, m.child.Pid())

	short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	if _, _, err := d.Get(short, "k"); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Get from a stopped manager: %v", err)
	}
	short, cancel = context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	if _, err := q.Get(short); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("a waiting Get from a stopped manager: %v", err)
	}
	if err := d.Set(ctx, "k", 1); !errors.Is(err, ErrManagerUnreachable) {
		t.Fatalf("a call after the connection was dropped: %v", err)
	}
	mgrCheck(t, m.child.SendSignal(syscall.SIGCONT))
	// A new proxy makes a new connection.
	d2 := mgrMust[*DictProxy[string, int]](t)(LookupDict[string, int](ctx, mgrStartedHandle(t, m), d.Name()))
	defer d2.Close()
	mgrCheck(t, d2.Set(ctx, "k", 2))
}

// mgrWaitStopped waits until the process is stopped by a signal.
func mgrWaitStopped(t *testing.T, pid int) {
	ctx := mgrTestCtx(t)
	for {
		stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		mgrCheck(t, err)
		// pid (comm) state ...; comm may hold spaces, not ')'.
		if i := bytes.LastIndexByte(stat, ')'); i > 0 && i+2 < len(stat) && stat[i+2] == 'T' {
			return
		}
		if ctx.Err() != nil {
			t.Fatal("the manager's process did not stop")
		}
		time.Sleep(time.Millisecond)
	}
}

// mgrStartedHandle returns a new handle on m's manager, with a client of
// its own: m's own client has failed.
func mgrStartedHandle(t *testing.T, m *Manager) *Manager {
	h := mgrMust[*Manager](t)(ConnectManager(mgrTestCtx(t), m.addr.network, m.addr.address, WithManagerAuthKey(m.key)))
	t.Cleanup(func() { h.Close() })
	return h
}

// TestManagerTruncatedRequest sends half a request and hangs up, as a
// client killed in the middle of a send does: the manager drops the
// connection and nothing of the request.
func TestManagerTruncatedRequest(t *testing.T) {
	m := mgrStart(t)
	ctx := mgrTestCtx(t)
	d := mgrMust[*DictProxy[string, int]](t)(ManagerDict[string, int](ctx, m))
	defer d.Close()
	c, err := Dial(ctx, "unix", m.Addr().String(), WithAuthKey(m.key))
	mgrCheck(t, err)
	mgrCheck(t, c.SendBytes(ctx, appendMgrHello(nil, 1, 0)))
	req := appendMgrRequest(nil, mopSet, 1, d.id)
	req = appendBytes(req, mgrMust[[]byte](t)(d.kt.append(nil, mgrPtr("k"))))
	req = appendBytes(req, mgrMust[[]byte](t)(d.vt.append(nil, mgrPtr(1))))
	frame := append([]byte{0, 0, 0, byte(len(req))}, req...)
	if _, err := c.f.Write(frame[:len(frame)-2]); err != nil {
		t.Fatal(err)
	}
	mgrCheck(t, c.Close())
	mgrWaitConns(t, m, 1) // d's own
	if _, ok, err := d.Get(ctx, "k"); ok || err != nil {
		t.Fatalf("the half request was applied: %v, %v", ok, err)
	}
}

// mgrWaitConns waits until the manager has n connections.
func mgrWaitConns(t *testing.T, m *Manager, n int) {
	t.Helper()
	ctx := mgrTestCtx(t)
	for {
		m.srv.mu.RLock()
		got := len(m.srv.conns)
		m.srv.mu.RUnlock()
		if got == n {
			return
		}
		if ctx.Err() != nil {
			t.Fatalf("the manager has %d connections, want %d", got, n)
		}
		time.Sleep(time.Millisecond)
	}
}

// TestManagerCorruptRing has a client write what no conforming client
// writes in its request ring: the manager drops that connection and
// serves the others.
func TestManagerCorruptRing(t *testing.T) {
	m := mgrStart(t)
	ctx := mgrTestCtx(t)
	d := mgrMust[*DictProxy[string, int]](t)(ManagerDict[string, int](ctx, m))
	defer d.Close()
	for _, corrupt := range []func(r *mgrRing){
		func(r *mgrRing) { r.tail.Store(r.head.Load() + mgrRingSize + 1) },
		func(r *mgrRing) {
			r.copyIn(r.tail.Load(), []byte{0xff, 0xff, 0, 0, 1})
			r.tail.Add(5)
		},
	} {
		cl := &mgrClient{key: m.cl.key, pending: map[uint64]*mgrCall{}}
		conn, err := cl.connect(ctx)
		mgrCheck(t, err)
		corrupt(&cl.rings.req)
		mgrCheck(t, conn.SendBytes(ctx, mgrDoorbellRequest))
		for { // the manager hangs up: EOF, or a reset if our doorbell was unread
			if _, err := conn.RecvBytes(ctx); err != nil {
				if mgrIsCtxErr(err) {
					t.Fatal("the manager kept the corrupt client's connection")
				}
				break
			}
		}
		cl.fail(errors.New("done"))
	}
	mgrCheck(t, d.Set(ctx, "k", 1))
	mgrWaitConns(t, m, 1)
}
