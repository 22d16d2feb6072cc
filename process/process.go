package process

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// defaultStartTimeout bounds the time a child may take to reach Main. A
// Go binary gets there in about a millisecond; the margin is for loaded
// machines and heavy package initialization.
const defaultStartTimeout = 10 * time.Second

// Process is an operating-system process of this program: a child that
// this process creates with New and runs with Start and Join, or the
// current process and its parent as Current and Parent describe them. It
// is Python's multiprocessing.Process with the spawn start method (see
// the package documentation for why spawn is the only one).
//
// A Process is started at most once. Its methods are safe for concurrent
// use.
type Process struct {
	name    string
	pid     int // of a child: set when it starts, under mu
	daemon  bool
	ident   []int
	authKey []byte

	plan  *spawnPlan    // what to run; nil for Current and Parent
	ready chan struct{} // closed when the child has taken its setup
	done  chan struct{} // closed when the child has been reaped, or its Start failed

	mu       sync.Mutex
	state    procState
	link     *childLink // while the child runs
	err      error      // the outcome, once done is closed
	result   []byte     // the encoded result, if one arrived
	exitCode int        // once exited
}

type procState uint8

const (
	stateInitial procState = iota
	stateStarting
	stateRunning
	stateExited
	stateFailed // Start failed; the process never ran
)

// spawnPlan is what a child handle will run.
type spawnPlan struct {
	fn     string
	encode func() ([]byte, []*os.File, error)
	cfg    config
}

// An Option configures a process created by New. Configuration is fixed
// once the process starts.
type Option func(*config)

type config struct {
	name         string
	daemon       bool
	stdout       io.Writer
	stderr       io.Writer
	startTimeout time.Duration
	grace        time.Duration
}

// WithName sets the process's name, Python's name= argument. The default
// is Python's: "Process-N", with N counting the processes this process
// created, preceded by its own numbers in a child ("Process-2:1").
func WithName(name string) Option { return func(c *config) { c.name = name } }

// WithDaemon marks the process as a daemon, Python's daemon= argument:
// Exit, and a child's exit after its function returns, terminate daemon
// children instead of waiting for them. Unlike Python, a daemon process
// may start children of its own: they end with it, as every child ends
// with its parent.
func WithDaemon(daemon bool) Option { return func(c *config) { c.daemon = daemon } }

// WithStdout sends the child's standard output to w instead of this
// process's standard output. An *os.File is inherited directly; any other
// writer is fed by a goroutine, as in os/exec, and Join returns after the
// copy is done; nil discards the output. The default is the parent's
// os.Stdout at the time of New.
func WithStdout(w io.Writer) Option { return func(c *config) { c.stdout = w } }

// WithStderr sends the child's standard error to w; see WithStdout.
func WithStderr(w io.Writer) Option { return func(c *config) { c.stderr = w } }

// WithStartTimeout bounds the time the child may take to reach
// process.Main (10 s by default); a child that does not is killed and
// Join reports ErrMainNotCalled. It panics if d is not positive.
func WithStartTimeout(d time.Duration) Option {
	if d <= 0 {
		panic("process: WithStartTimeout with a non-positive duration")
	}
	return func(c *config) { c.startTimeout = d }
}

// Child is a Process created by New to run a Func whose result is an R.
// It adds Result to the Process methods.
type Child[R any] struct {
	*Process
	decode func([]byte) (R, error)
}

// New creates a process that will run fn(arg) in a child: Python's
// Process(target=fn, args=(arg,)). Nothing happens until Start. The
// argument is encoded by Start, in the caller (see the package
// documentation for what can travel); a value carrying an OS handle, such
// as a File, must stay open until Start returns.
//
// New panics if fn is nil.
func New[A, R any](fn *Func[A, R], arg A, opts ...Option) *Child[R] {
	if fn == nil {
		panic("process: New with a nil Func")
	}
	cfg := config{stdout: os.Stdout, stderr: os.Stderr, startTimeout: defaultStartTimeout}
	for _, opt := range opts {
		opt(&cfg)
	}
	ident := nextIdentity()
	name := cfg.name
	if name == "" {
		parts := make([]string, len(ident))
		for i, n := range ident {
			parts[i] = strconv.Itoa(n)
		}
		name = "Process-" + strings.Join(parts, ":")
	}
	p := &Process{
		name:    name,
		daemon:  cfg.daemon,
		ident:   ident,
		authKey: Current().AuthKey(),
		plan: &spawnPlan{
			fn:     fn.name,
			encode: func() ([]byte, []*os.File, error) { return fn.encodeArg(arg) },
			cfg:    cfg,
		},
		ready: make(chan struct{}),
		done:  make(chan struct{}),
	}
	return &Child[R]{Process: p, decode: fn.decodeResult}
}

// Run runs fn(arg) in a new child process and returns its result: New,
// Start and Result in one call, for work that should be isolated or
// killable. If ctx is done first, the child is stopped — terminated with
// its grace period if WithGracePeriod gave one, killed otherwise — and
// Run returns context.Cause(ctx) once it has exited.
func Run[A, R any](ctx context.Context, fn *Func[A, R], arg A, opts ...Option) (R, error) {
	var zero R
	if ctx.Err() != nil {
		return zero, context.Cause(ctx)
	}
	c := New(fn, arg, opts...)
	if err := c.Start(); err != nil {
		return zero, err
	}
	select {
	case <-c.done:
		return c.Result(ctx)
	case <-ctx.Done():
		c.stop()
		return zero, context.Cause(ctx)
	}
}

// stop ends a running child: SIGTERM and its grace period when it has
// one, SIGKILL otherwise or after it, then waits for it to be reaped.
func (p *Process) stop() {
	if grace := p.plan.cfg.grace; grace > 0 {
		p.Terminate()
		t := time.NewTimer(grace + time.Second) // the child's own timer ends it after grace
		defer t.Stop()
		select {
		case <-p.done:
			return
		case <-t.C:
		}
	}
	p.Kill()
	<-p.done
}

// Name returns the process's name: Python's Process.name.
func (p *Process) Name() string { return p.name }

// Daemon reports whether the process is a daemon: Python's Process.daemon.
func (p *Process) Daemon() bool { return p.daemon }

// Pid returns the process id, or 0 for a child that has not started:
// Python's Process.pid, which is None then.
func (p *Process) Pid() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.pid
}

// AuthKey returns a copy of the process's authentication key: Python's
// Process.authkey. The main process makes a random 32-byte key; every
// child inherits its parent's, so a Listener and Client of one family of
// processes can use it as their shared secret.
func (p *Process) AuthKey() []byte {
	if p == mainProcess {
		return slices.Clone(mainAuthKey())
	}
	return slices.Clone(p.authKey)
}

// mustBeChild panics unless p is a child handle created by New.
func (p *Process) mustBeChild(method string) {
	if p.plan == nil {
		panic("process: " + method + " on " + p.name + ", which is not a child this process created")
	}
}

// Start starts the child: it encodes the argument, re-executes this binary
// and hands the child its call. It returns once the child process exists;
// with a large argument, once the child has read it; with
// WithGracePeriod, once the child's signal handler is in place. It is
// Python's Process.start.
//
// Start returns an *EncodeError for an argument the codec cannot encode,
// ErrMainNotCalled if this program never called Main, or the error of
// the exec; a Process whose Start failed is finished, and Join returns the
// same error. What becomes of the child after it starts — including a
// binary whose child never reaches Main — Join reports.
//
// Start panics if called twice, or on Current or Parent.
func (p *Process) Start() error {
	p.mustBeChild("Start")
	p.mu.Lock()
	if p.state != stateInitial {
		p.mu.Unlock()
		panic("process: Start called twice on " + p.name)
	}
	p.state = stateStarting
	p.mu.Unlock()

	link, msgs, err := p.spawn()
	if err != nil {
		p.mu.Lock()
		p.state, p.err = stateFailed, err
		p.mu.Unlock()
		close(p.done)
		return err
	}
	if _, err := link.conn.Write(msgs); err != nil {
		// The child died, or was killed by the handshake, before reading
		// its call; supervise reports why.
		link.cmd.Process.Kill()
	}
	if p.plan.cfg.grace > 0 {
		// A Terminate right after Start must find the handler in place.
		select {
		case <-p.ready:
		case <-p.done:
		}
	}
	return nil
}

// spawn starts the child and its supervisor, and returns the messages to
// send it.
func (p *Process) spawn() (*childLink, []byte, error) {
	plan := p.plan
	arg, files, err := plan.encode()
	if err != nil {
		return nil, nil, err
	}
	setup := setupMsg{
		Name:       p.name,
		Identity:   p.ident,
		Daemon:     p.daemon,
		AuthKey:    p.authKey,
		ParentName: Current().name,
		ParentPid:  pidOfSelf,
		Grace:      plan.cfg.grace,
		MaxCalls:   1,
		Files:      fileNames(files),
	}
	call := callMsg{ID: 1, Func: plan.fn, Arg: arg}
	msgs, err := encodeControl(setup.append, call.append)
	if err != nil {
		return nil, nil, &EncodeError{Type: "argument of " + plan.fn, Err: err}
	}
	link, err := spawnChild(files, plan.cfg.stdout, plan.cfg.stderr)
	if err != nil {
		return nil, nil, err
	}
	p.mu.Lock()
	p.link, p.pid, p.state = link, link.cmd.Process.Pid, stateRunning
	p.mu.Unlock()
	addActive(p)
	go p.supervise(link)
	return link, msgs, nil
}

// supervise follows the child from the handshake to its reaping and
// records the outcome.
func (p *Process) supervise(l *childLink) {
	err := l.handshake(p.plan.cfg.startTimeout)
	var res resultMsg
	got := false
	if err == nil {
		close(p.ready)
		var msg []byte
		if msg, err = l.receive(); err == nil {
			res, err = decodeResult(msg)
			got = err == nil
		}
		if errors.Is(err, errMalformedControl) {
			l.cmd.Process.Kill()
		}
	}
	// Any other error means the connection broke: the child exited, or
	// is about to; its exit status says how.
	code, sig := l.wait()

	var outcome error
	switch {
	case errors.Is(err, ErrMainNotCalled), errors.Is(err, errMalformedControl):
		outcome = err
	case got && res.Status != statusOK:
		outcome = res.remoteError(p.plan.fn, p.name, l.cmd.Process.Pid)
	case code != 0:
		outcome = &ExitError{Name: p.name, Pid: l.cmd.Process.Pid, ExitCode: code, Signal: sig}
	}
	p.mu.Lock()
	p.state, p.link, p.err, p.exitCode = stateExited, nil, outcome, code
	if got && res.Status == statusOK {
		p.result = res.Value
	}
	p.mu.Unlock()
	removeActive(p)
	close(p.done)
}

// Join waits for the child to exit and returns its outcome, as
// exec.Cmd.Wait does: nil when the function returned normally and the
// child exited with status 0; a *RemoteError when the function returned
// an error or panicked; an *ExitError when the child exited with a nonzero
// status or was killed by a signal before reporting; ErrMainNotCalled
// when it never reached Main. It is Python's Process.join, which returns
// nothing: there, the outcome is only in exitcode.
//
// If ctx is done first, Join returns context.Cause(ctx) — with a deadline,
// context.DeadlineExceeded, Python's join(timeout) — and the child runs
// on. Join may be called any number of times, from any goroutine.
//
// Join panics if the process was never started, or on Current or Parent
// (Python: "can only join a child process").
func (p *Process) Join(ctx context.Context) error {
	p.mustBeChild("Join")
	p.mu.Lock()
	st := p.state
	p.mu.Unlock()
	if st == stateInitial {
		panic("process: Join before Start on " + p.name)
	}
	select {
	case <-p.done:
		return p.err
	default:
	}
	select {
	case <-p.done:
		return p.err
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}

// Done returns a channel closed when the child has exited (or its Start
// failed), for use in select: Python's Process.sentinel. It is nil, a
// channel that never becomes ready, for Current and Parent.
func (p *Process) Done() <-chan struct{} { return p.done }

// Result waits for the child as Join does and returns the value its
// function returned. It returns Join's error if there is one, and
// ErrNoResult if the child exited with status 0 without returning (it
// called os.Exit(0)). Python's Process has no result; its Pool's
// AsyncResult.get is the model.
func (c *Child[R]) Result(ctx context.Context) (R, error) {
	var zero R
	if err := c.Join(ctx); err != nil {
		return zero, err
	}
	c.mu.Lock()
	data := c.result
	c.mu.Unlock()
	if data == nil {
		return zero, ErrNoResult
	}
	return c.decode(data)
}

// IsAlive reports whether the child has started and not yet exited:
// Python's Process.is_alive. Current is always alive, and so is Parent
// while this process runs, since a child exits with its parent.
func (p *Process) IsAlive() bool {
	if p.plan == nil {
		return true
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.state == stateRunning
}

// ExitCode returns the child's exit code and true once it has exited:
// its exit status, or the negated number of the signal that killed it
// (-9 for SIGKILL), as Python's Process.exitcode. Before that, and for
// Current and Parent, it returns 0 and false (Python: None). A function
// that returned an error or panicked leaves exit code 1, as an uncaught
// exception does in Python.
func (p *Process) ExitCode() (int, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.exitCode, p.state == stateExited
}

// SendSignal sends sig to the process. For a child that has exited it
// returns os.ErrProcessDone; children are signalled through a pidfd, so a
// reused pid is never hit. Current and Parent can be signalled too — a
// child telling its parent something, as in the seeds' signal examples.
//
// SendSignal panics on a child that was never started.
func (p *Process) SendSignal(sig os.Signal) error {
	if p.plan == nil {
		proc, err := os.FindProcess(p.pid)
		if err != nil {
			return err
		}
		defer proc.Release()
		return proc.Signal(sig)
	}
	p.mu.Lock()
	link, st := p.link, p.state
	p.mu.Unlock()
	if st == stateInitial {
		panic("process: signal sent before Start to " + p.name)
	}
	if link == nil {
		return os.ErrProcessDone
	}
	return link.cmd.Process.Signal(sig)
}

// Terminate sends SIGTERM: Python's Process.terminate. A child ends at
// once unless WithGracePeriod gave it time to clean up. It does nothing
// if the process has already exited.
func (p *Process) Terminate() error { return ignoreDone(p.SendSignal(syscall.SIGTERM)) }

// Kill sends SIGKILL, which the child cannot catch: Python's
// Process.kill. It does nothing if the process has already exited.
func (p *Process) Kill() error { return ignoreDone(p.SendSignal(syscall.SIGKILL)) }

func ignoreDone(err error) error {
	if errors.Is(err, os.ErrProcessDone) {
		return nil
	}
	return err
}

// Close returns ErrRunning if the child is still running, and nil
// otherwise: Python's Process.close. There is nothing else to release —
// concur closes a child's connection and reaps it as soon as it exits —
// so a Process that is never closed leaks nothing.
func (p *Process) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.plan != nil && p.state == stateRunning {
		return ErrRunning
	}
	return nil
}

// String describes the process as Python's repr does, for example
// <Process name='Process-1' pid=4242 parent=4241 stopped exitcode=-SIGTERM daemon>.
func (p *Process) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "<Process name=%q", p.name)
	p.mu.Lock()
	pid, st, code := p.pid, p.state, p.exitCode
	p.mu.Unlock()
	if pid != 0 {
		fmt.Fprintf(&b, " pid=%d", pid)
	}
	switch {
	case p.plan == nil:
		if p == Current() {
			b.WriteString(" started")
		}
	case st == stateInitial || st == stateStarting:
		b.WriteString(" initial")
	case st == stateRunning:
		fmt.Fprintf(&b, " parent=%d started", pidOfSelf)
	case st == stateFailed:
		b.WriteString(" failed")
	case code < 0:
		fmt.Fprintf(&b, " parent=%d stopped exitcode=-%s", pidOfSelf, signalName(syscall.Signal(-code)))
	default:
		fmt.Fprintf(&b, " parent=%d stopped exitcode=%d", pidOfSelf, code)
	}
	if p.daemon {
		b.WriteString(" daemon")
	}
	b.WriteString(">")
	return b.String()
}
