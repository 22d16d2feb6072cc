package process

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
)

// ErrManagerShutDown is matched by the error of every call made through a
// proxy or Manager after the manager said it was shutting down, including
// calls that were waiting in it (Python raises EOFError or a
// ConnectionError there).
var ErrManagerShutDown = errors.New("process: the manager has shut down")

// ErrManagerUnreachable is matched by the error of a call that could not
// reach its manager: the connection could not be made (nothing listens at
// the address, or the key is wrong — the error matches ErrAuthentication
// too), or it broke — the manager's process died, or the network failed.
// A call in flight when the connection broke may or may not have taken
// effect. A broken connection stays broken: every proxy of this process
// that used it fails with the same error; a proxy made afterwards makes a
// new connection.
var ErrManagerUnreachable = errors.New("process: the manager cannot be reached")

// ErrObjectNotFound is matched by the error of a lookup of a name that no
// object has in the manager, and of a call on an object that
// Manager.Delete removed (Python's KeyError from the manager's server).
var ErrObjectNotFound = errors.New("process: no such object in the manager")

// ErrObjectExists is matched by the error of creating an object under a
// name another object has (WithObjectName).
var ErrObjectExists = errors.New("process: an object of that name exists in the manager")

// ErrIndexOutOfRange is matched by the error of a ListProxy call with an
// index outside the list, and of Pop on an empty list: Python's
// IndexError.
var ErrIndexOutOfRange = errors.New("process: list index out of range")

// ManagerOption configures StartManager and ConnectManager.
type ManagerOption func(*managerConfig)

type managerConfig struct {
	network, address string
	key              []byte
	ownProcess       bool
}

// WithManagerAddress sets where the manager listens: network "unix" (a
// socket path, or an abstract name with a leading '@') or "tcp" (a
// "host:port"; port 0 picks a free one), as for Listen. The default is a
// fresh abstract unix socket, reachable from this machine only. Python's
// address= argument.
func WithManagerAddress(network, address string) ManagerOption {
	return func(c *managerConfig) { c.network, c.address = network, address }
}

// WithManagerAuthKey sets the key every connection to the manager must
// prove it holds (Python's authkey=). The default is the program's own
// key, Current().AuthKey(), which every child inherits; programs that are
// not children of the starting one need the key given explicitly, on both
// sides.
func WithManagerAuthKey(key []byte) ManagerOption {
	return func(c *managerConfig) { c.key = append([]byte{}, key...) }
}

// WithOwnProcess runs the manager's server in a child process of its own,
// as Python's Manager() always does, instead of as goroutines of the
// program that starts it. The server then outlives a crash of the
// program's other goroutines but not the program itself (a child exits
// with its parent), and costs a process; calls from the starting program
// travel between processes. It needs process.Main, as every child does.
// StartManager only.
func WithOwnProcess() ManagerOption {
	return func(c *managerConfig) { c.ownProcess = true }
}

// Manager is a handle on a manager: a server that holds shared objects —
// dicts, lists, namespaces, queues, values, locks, events — for processes
// that reach them through proxies. It is Python's
// multiprocessing.managers.SyncManager. StartManager starts a manager
// (Python's Manager()); ConnectManager connects to one that another
// program started (BaseManager.connect).
//
// Objects are created and found with the functions of their kind:
// ManagerDict and LookupDict, ManagerList and LookupList, and so on for
// Namespace, Queue, Value, Lock and Event. A proxy passed to a child
// process as an argument (or inside a Conn message, or stored in another
// manager object) reconnects in the receiving process, which needs no
// Manager of its own.
//
// A proxy call is one round trip to the manager over this process's one
// authenticated connection to it, which every proxy of the process
// shares, pipelining concurrent calls; each call is atomic in the
// manager. Values are copies: what a Get returns is the caller's, and
// changing it changes nothing in the manager. Python's proxies share this
// rule but hide it — `d["k"].append(x)` appends to a copy and is silently
// lost — so every kind with values offers Modify, a read-modify-write
// that is atomic however many processes race on the same entry (see
// DictProxy.Modify).
//
// A Manager's methods are safe for concurrent use.
type Manager struct {
	addr  mgrAddr
	key   []byte
	cl    *mgrClient
	srv   *mgrServer       // when this handle started the server as goroutines
	child *Child[struct{}] // when it started the server as a process
	ctl   *Conn            // to the server process
	done  <-chan struct{}

	closed   atomic.Bool
	stopOnce sync.Once
	stopErr  error
}

// mgrAddr is a manager's address.
type mgrAddr struct{ network, address string }

func (a mgrAddr) Network() string { return a.network }
func (a mgrAddr) String() string  { return a.address }

var mgrAddrSeq atomic.Uint64

// mgrServeArg is what a manager's own process is started with.
type mgrServeArg struct {
	Network, Address string
	Key              []byte
	Ctl              *Conn // sends the address, then waits for the stop
}

// mgrReady is the server process's first message: where it listens, or
// why it could not.
type mgrReady struct {
	Address string
	Err     string
}

// mgrServe is the function a manager's own process runs: it serves until
// its parent asks it to stop, or closes its end, or dies.
var mgrServe = RegisterTarget("concur.process.manager", func(ctx context.Context, a mgrServeArg) error {
	defer a.Ctl.Close()
	ln, err := mgrListen(a.Network, a.Address, a.Key)
	if err != nil {
		a.Ctl.Send(ctx, mgrReady{Err: err.Error()})
		return err
	}
	srv := newMgrServer(ln)
	defer srv.shutdown()
	if err := a.Ctl.Send(ctx, mgrReady{Address: ln.Addr().String()}); err != nil {
		return err
	}
	var stop struct{}
	a.Ctl.Recv(ctx, &stop) // a stop, or the end of the parent
	return nil
})

func mgrListen(network, address string, key []byte) (*Listener, error) {
	return Listen(network, address, WithAuthKey(key), WithoutMD5())
}

// StartManager starts a manager and returns a handle on it: Python's
// Manager(), or SyncManager(address, authkey).start(). By default the
// server runs as goroutines of this program, listens on a fresh abstract
// unix socket and accepts the program's own key (see the options).
// Shutdown (or Close) stops it; a manager also ends with the program.
//
// ctx bounds the start: the server process's start-up with
// WithOwnProcess.
func StartManager(ctx context.Context, opts ...ManagerOption) (*Manager, error) {
	cfg := managerConfig{
		network: "unix",
		address: "@concur-manager-" + strconv.Itoa(pidOfSelf) + "-" + strconv.FormatUint(mgrAddrSeq.Add(1), 10),
		key:     Current().AuthKey(),
	}
	for _, o := range opts {
		o(&cfg)
	}
	m := &Manager{key: cfg.key}
	if !cfg.ownProcess {
		ln, err := mgrListen(cfg.network, cfg.address, cfg.key)
		if err != nil {
			return nil, fmt.Errorf("process: start manager: %w", err)
		}
		m.srv = newMgrServer(ln)
		m.done = m.srv.done
		m.addr = mgrAddr{cfg.network, ln.Addr().String()}
	} else if err := m.startProcess(ctx, cfg); err != nil {
		return nil, err
	}
	m.cl = mgrClientFor(m.addr.network, m.addr.address, m.key)
	return m, nil
}

var mgrProcessSeq atomic.Int64

func (m *Manager) startProcess(ctx context.Context, cfg managerConfig) error {
	ours, theirs, err := Pipe(true)
	if err != nil {
		return err
	}
	name := "SyncManager-" + strconv.FormatInt(mgrProcessSeq.Add(1), 10)
	child := New(mgrServe, mgrServeArg{Network: cfg.network, Address: cfg.address, Key: cfg.key, Ctl: theirs},
		WithName(name), WithDaemon(true))
	err = child.Start()
	theirs.Close()
	if err != nil {
		ours.Close()
		return fmt.Errorf("process: start manager: %w", err)
	}
	var ready mgrReady
	if err := ours.Recv(ctx, &ready); err != nil || ready.Err != "" {
		ours.Close()
		child.Kill()
		jerr := child.Join(context.Background())
		switch {
		case ready.Err != "":
			return fmt.Errorf("process: start manager: %s", ready.Err)
		case mgrIsCtxErr(err):
			return err
		case jerr != nil:
			return fmt.Errorf("process: start manager: %w", jerr)
		}
		return fmt.Errorf("process: start manager: %w", err)
	}
	m.child, m.ctl, m.done = child, ours, child.Done()
	m.addr = mgrAddr{cfg.network, ready.Address}
	return nil
}

// ConnectManager connects to a manager that another program started at
// network and address: Python's BaseManager(address, authkey).connect().
// Only WithManagerAuthKey applies; without it the program's own key is
// used, which only a child of the manager's starter shares. The error of
// a manager that is not there, or that refuses the key, matches
// ErrManagerUnreachable (and ErrAuthentication for the key).
func ConnectManager(ctx context.Context, network, address string, opts ...ManagerOption) (*Manager, error) {
	cfg := managerConfig{key: Current().AuthKey()}
	for _, o := range opts {
		o(&cfg)
	}
	if _, err := networkKind(network); err != nil {
		return nil, err
	}
	m := &Manager{addr: mgrAddr{network, address}, key: cfg.key}
	m.cl = mgrClientFor(network, address, cfg.key)
	if _, err := m.cl.connect(ctx); err != nil {
		m.cl.release()
		return nil, err
	}
	return m, nil
}

// Addr returns the address the manager listens on, for ConnectManager in
// other programs: Python's Manager.address.
func (m *Manager) Addr() net.Addr { return m.addr }

// Done returns a channel that is closed when the manager this handle
// started has stopped: after Shutdown, or when its own process
// (WithOwnProcess) exited. It is nil, never ready, for a handle made by
// ConnectManager.
func (m *Manager) Done() <-chan struct{} { return m.done }

// client returns the handle's client with a reference for a new proxy.
func (m *Manager) client() (*mgrClient, error) {
	if m.closed.Load() {
		if m.srv != nil || m.child != nil {
			return nil, fmt.Errorf("process: Manager used after Shutdown: %w", ErrManagerShutDown)
		}
		return nil, fmt.Errorf("process: Manager used after Close: %w", os.ErrClosed)
	}
	m.cl.retain()
	return m.cl, nil
}

// Delete removes the object named name from the manager. Calls on its
// proxies then fail with ErrObjectNotFound, calls waiting on it among
// them. Python frees an object when its last proxy goes; concur's objects
// live until Delete or the manager's shutdown, since a proxy held by a
// process that was killed would never say it is gone.
func (m *Manager) Delete(ctx context.Context, name string) error {
	cl, err := m.client()
	if err != nil {
		return err
	}
	defer cl.release()
	call := cl.newCall(mopDelete, 0)
	defer cl.freeCall(call)
	call.req = appendString(call.req, name)
	if err := cl.do(ctx, call); err != nil {
		return err
	}
	switch call.status {
	case mstOK:
		return nil
	case mstNoObject:
		return fmt.Errorf("process: no object named %q in the manager: %w", name, ErrObjectNotFound)
	}
	return fmt.Errorf("process: delete %q: %w: unexpected reply status %d", name, errMgrMalformed, call.status)
}

// Shutdown stops the manager this handle started: Python's
// Manager.shutdown(). Every connected client is told, and every call —
// waiting ones included, in any process — fails with ErrManagerShutDown.
// With WithOwnProcess it waits for the manager's process to exit, and
// kills it if ctx ends first, returning ctx's error. Calling it again
// returns the first call's result.
//
// Shutdown panics on a handle made by ConnectManager: only the program
// that started a manager may stop it (Python's connected managers have no
// shutdown); Close that handle instead.
func (m *Manager) Shutdown(ctx context.Context) error {
	if m.srv == nil && m.child == nil {
		panic("process: Shutdown of a Manager made by ConnectManager; only the program that started it can stop it (use Close)")
	}
	m.stopOnce.Do(func() {
		m.closed.Store(true)
		if m.srv != nil {
			m.srv.shutdown()
		} else {
			m.ctl.Send(ctx, struct{}{})
			err := m.child.Join(ctx)
			if mgrIsCtxErr(err) {
				m.child.Kill()
				<-m.child.Done()
			}
			m.ctl.Close()
			m.stopErr = err
		}
		mgrFailClients(m.addr.network, m.addr.address, m.cl.shutDown())
		m.cl.release()
	})
	return m.stopErr
}

// Close releases the handle. For a handle made by StartManager it is
// Shutdown with no deadline. For one made by ConnectManager it drops the
// handle's share of the connection: proxies made through the handle keep
// working until they are closed themselves, as Python's proxies outlive
// their manager object. Closing twice does nothing.
func (m *Manager) Close() error {
	if m.srv != nil || m.child != nil {
		return m.Shutdown(context.Background())
	}
	if m.closed.CompareAndSwap(false, true) {
		m.cl.release()
	}
	return nil
}
