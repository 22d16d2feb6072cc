package thread

import (
	"context"
	"fmt"
	"reflect"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"weak"

	"github.com/concurgo/concur"
	"github.com/petermattis/goid"
)

// Runner is a type whose Run method is a thread's body: the Go form of
// Python's pattern of subclassing threading.Thread and overriding run().
// See NewRunner.
type Runner interface {
	Run() error
}

// Option configures a Thread at creation.
type Option func(*Thread)

// WithName sets the thread's name. Python: Thread(name=...). Without it a
// thread is named "Thread-N (fn)" after its target function, or "Thread-N"
// when made by NewRunner, N counting unnamed threads from 1 as Python does.
// A closure target is named as stack traces name it ("main.func1"), not
// after the function it calls: Python's target and args are one closure
// here.
func WithName(name string) Option {
	return func(t *Thread) { t.name, t.named = name, true }
}

// WithDaemon sets the daemon flag. Python: Thread(daemon=...). Without it
// the flag is inherited from the creating thread as in Python: false when
// created by the main goroutine or a non-daemon Thread, true when created by
// a daemon Thread or by a goroutine this package did not start (Python's
// dummy threads are daemons). See WaitNonDaemon for what the flag does.
func WithDaemon(daemon bool) Option {
	return func(t *Thread) { t.daemon = daemon }
}

type kind uint8

const (
	kindThread kind = iota // made by New, NewRunner or NewTimer
	kindMain               // the main goroutine, Main()
	kindDummy              // a goroutine this package did not start
)

const (
	stateNew int32 = iota
	stateStarted
	stateStopped
)

// Thread is a goroutine with Python's threading.Thread around it: a name,
// an ident, a daemon flag, Start and Join, and an outcome. Make one with
// New or NewRunner; Current, Main and Enumerate return existing ones.
//
// The outcome of a thread is what its target returned: nil, an error, a
// *concur.PanicError if it panicked (the panic never crashes the program),
// or concur.ErrGoexit if it called runtime.Goexit. Join and Err return it,
// and an outcome other than nil also goes to the except hook (see
// SetExceptHook), which by default prints it as Python prints an uncaught
// exception in a thread.
//
// Python's Thread(target=f, args=(a, b)) is New(func() error { return f(a, b) }):
// arguments travel by closure.
type Thread struct {
	target   func() error // dropped once run, as Python drops _target
	targetPC uintptr      // names the thread after the target: "Thread-N (fn)"
	runner   bool         // made by NewRunner (or NewTimer): the default name has no "(fn)"
	kind     kind         // never changes
	num      int64        // creation order, which Enumerate lists in

	mu      sync.Mutex // guards the fields down to locals
	name    string
	named   bool  // name is final; false until a default name is first needed
	nameNum int64 // N of the default name
	daemon  bool  // frozen once started
	locals  []weak.Pointer[localCore]

	state    atomic.Int32
	ident    atomic.Int64
	starting sync.Mutex    // held from Start until the goroutine has published ident
	done     chan struct{} // closed when the thread has stopped; nil for main and dummies
	err      error         // the outcome, written before done is closed
}

var (
	threadNum atomic.Int64 // numbers all Threads in creation order
	nameNum   atomic.Int64 // Python's _counter: numbers default names
)

// New returns a thread that will run target once started. It panics if
// target is nil. Python: Thread(target=target, name=..., daemon=...).
func New(target func() error, opts ...Option) *Thread {
	if target == nil {
		panic("thread: New with nil target")
	}
	return newThread(target, false, opts)
}

// NewRunner returns a thread that will run r.Run once started: the Go form
// of subclassing Python's Thread and overriding run(). Embed *Thread in
// the type and set it from NewRunner, so the type has the Thread's methods
// and its own fields (results, say) that Run fills in:
//
//	type MyThread struct {
//		*thread.Thread
//		number, result int
//	}
//
//	func (t *MyThread) Run() error { t.result = t.number * 2; return nil }
//
//	t := &MyThread{number: 21}
//	t.Thread = thread.NewRunner(t)
//
// Fields Run writes may be read once Join has returned. It panics if r is
// nil.
func NewRunner(r Runner, opts ...Option) *Thread {
	if r == nil {
		panic("thread: NewRunner with nil Runner")
	}
	return newThread(r.Run, true, opts)
}

func newThread(target func() error, runner bool, opts []Option) *Thread {
	t := &Thread{
		target:   target,
		targetPC: reflect.ValueOf(target).Pointer(),
		runner:   runner,
		num:      threadNum.Add(1),
		daemon:   creatorIsDaemon(),
		done:     make(chan struct{}),
	}
	for _, opt := range opts {
		opt(t)
	}
	if !t.named {
		t.nameNum = nameNum.Add(1)
	}
	return t
}

// Start runs the thread's target in a new goroutine. A thread can be
// started once: a second Start returns ErrAlreadyStarted, as does starting
// Main() or a dummy thread. Python: start(), which raises RuntimeError.
//
// Unlike Python's start, Start does not wait for the new goroutine to be
// scheduled; Ident and everything else behave as if it had.
func (t *Thread) Start() error {
	t.mu.Lock()
	if t.state.Load() != stateNew {
		t.mu.Unlock()
		return ErrAlreadyStarted
	}
	if t.target == nil {
		t.mu.Unlock()
		panic("thread: Start of a Thread not made by New, NewRunner or NewTimer")
	}
	// Lock starting before the state says "started", so that Ident, seeing
	// that state and no ident yet, always finds starting locked.
	t.starting.Lock()
	t.state.Store(stateStarted)
	t.mu.Unlock()
	reg.start(t)
	go t.bootstrap()
	return nil
}

func (t *Thread) bootstrap() {
	id := goid.Get()
	t.ident.Store(id)
	reg.enter(t, id)
	t.starting.Unlock()
	defer t.finish(id)
	concur.Guard(t.target, func(err error) { t.err = err })
}

// finish runs as the goroutine ends, also when the target called
// runtime.Goexit. As in Python the except hook runs in the ending thread,
// before the thread counts as stopped, so Join returns only after the hook.
func (t *Thread) finish(id int64) {
	defer t.stop(id) // even if the hook itself calls runtime.Goexit
	if t.err != nil {
		runExceptHook(t)
	}
}

func (t *Thread) stop(id int64) {
	// A stopped thread may be kept (in a list of results, say); what the
	// target captured need not be. Start reads target only while the state
	// is new, so this write races with nothing.
	t.target = nil
	t.dropLocals()
	reg.exit(t, id)
	t.state.Store(stateStopped)
	close(t.done)
}

// Join waits until the thread has stopped and returns its outcome: nil, the
// error its target returned, a *concur.PanicError, or concur.ErrGoexit —
// as exec.Cmd.Wait returns the command's failure. If ctx ends first, Join
// returns ctx.Err() and the thread runs on; Join may be called again, from
// any number of goroutines. Python: join(timeout), after which the caller
// must ask is_alive() whether the timeout struck; here the error says so.
// (A target may itself return context.DeadlineExceeded; IsAlive tells the
// two apart.)
//
// Join returns ErrNotStarted for a thread never started, ErrJoinCurrent
// when a thread joins itself and ErrDummyThread for a dummy thread. Joining
// Main() waits for ctx, since the main goroutine ends only with the
// program.
func (t *Thread) Join(ctx context.Context) error {
	if t.kind == kindDummy {
		return ErrDummyThread
	}
	if t.state.Load() == stateNew {
		return ErrNotStarted
	}
	if t.ident.Load() == goid.Get() {
		return ErrJoinCurrent
	}
	select {
	case <-t.done:
		return t.err
	default:
	}
	select {
	case <-t.done:
		return t.err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Done returns a channel closed when the thread has stopped, for use in a
// select; Err then returns the outcome. The channel of Main() and of a dummy
// thread is nil: it never becomes ready. Python has no counterpart.
func (t *Thread) Done() <-chan struct{} { return t.done }

// Err returns the thread's outcome (see Join) once it has stopped, and nil
// before.
func (t *Thread) Err() error {
	select {
	case <-t.done:
		return t.err
	default:
		return nil
	}
}

// IsAlive reports whether the thread has started and not yet stopped. A
// thread is alive from the moment Start returns. Main() is always alive;
// a dummy thread is alive while its goroutine runs. Python: is_alive().
func (t *Thread) IsAlive() bool {
	switch {
	case t.state.Load() != stateStarted:
		return false
	case t.kind == kindDummy:
		return goroutineAlive(t.ident.Load())
	}
	return true
}

// Name returns the thread's name, which is for display only: several
// threads may share one. Python: name.
func (t *Thread) Name() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	if !t.named {
		t.name, t.named = t.defaultName(), true
	}
	return t.name
}

// defaultName is computed on first use: naming a thread after its target
// costs a symbol-table lookup that Start should not pay.
func (t *Thread) defaultName() string {
	n := strconv.FormatInt(t.nameNum, 10)
	switch {
	case t.kind == kindDummy:
		return "Dummy-" + n
	case t.runner:
		return "Thread-" + n
	}
	return "Thread-" + n + " (" + funcName(t.targetPC) + ")"
}

// funcName is the Go counterpart of Python's target.__name__: the
// function's name within its package, such as "printNumbers",
// "main.func1" for a closure or "(*Worker).Run" for a method value.
func funcName(pc uintptr) string {
	f := runtime.FuncForPC(pc)
	if f == nil {
		return "?"
	}
	name := f.Name()
	name = name[strings.LastIndexByte(name, '/')+1:]
	name = name[strings.IndexByte(name, '.')+1:]
	return strings.TrimSuffix(name, "-fm")
}

// SetName renames the thread, at any time. Python: name = ....
func (t *Thread) SetName(name string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.name, t.named = name, true
}

// Ident returns the thread's identifier: the id of its goroutine, unique in
// the process for its lifetime and kept after the thread stops; 0 before
// Start. It is the value the package function Ident returns inside the
// thread. Python: ident (get_ident()). Python's native_id, the OS thread
// id, has no counterpart: a goroutine moves between OS threads.
func (t *Thread) Ident() int64 {
	if id := t.ident.Load(); id != 0 || t.state.Load() == stateNew {
		return id
	}
	// Started but not yet scheduled: Python's start() would have waited for
	// this moment, so wait for it here.
	t.starting.Lock()
	t.starting.Unlock()
	return t.ident.Load()
}

// Daemon reports the daemon flag. Python: daemon.
func (t *Thread) Daemon() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.daemon
}

// SetDaemon sets the daemon flag before Start; afterwards it returns
// ErrAlreadyStarted. Python: daemon = ..., which raises RuntimeError on an
// active thread.
func (t *Thread) SetDaemon(daemon bool) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.state.Load() != stateNew {
		return ErrAlreadyStarted
	}
	t.daemon = daemon
	return nil
}

// String describes the thread as Python's repr does, for example
// "<Thread(Worker-1, started daemon 42)>".
func (t *Thread) String() string {
	status := "initial"
	switch t.state.Load() {
	case stateStarted:
		status = "started"
	case stateStopped:
		status = "stopped"
	}
	if t.Daemon() {
		status += " daemon"
	}
	if id := t.ident.Load(); id != 0 {
		status += " " + strconv.FormatInt(id, 10)
	}
	return fmt.Sprintf("<Thread(%s, %s)>", t.Name(), status)
}
