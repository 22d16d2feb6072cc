//go:build linux

package subprocess

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"time"
)

// Popen is a running (or finished) child process: Python's subprocess.Popen.
// Start creates it. Its methods are safe for concurrent use.
//
// A Popen must be waited for — by Wait or Communicate, once or more — to
// release the child's process-table entry, as with exec.Cmd.
type Popen struct {
	// Args is argv as given to Start: Python's Popen.args.
	Args []string

	// Stdin, Stdout and Stderr are the parent's ends of the pipes asked for
	// with Pipe, and nil for every other Redirect: Python's Popen.stdin,
	// .stdout and .stderr. Communicate writes, reads and closes them;
	// whoever uses them directly closes them when done. Reading a pipe
	// directly, beware that Wait does not read it: a child blocked on a full
	// pipe never exits. Communicate avoids that.
	Stdin, Stdout, Stderr *os.File

	cmd       *exec.Cmd
	target    int // what kill(2) signals: -pid for the child's own group, else pid
	grace     time.Duration
	waitDelay time.Duration

	exited  chan struct{} // closed when the child has exited; it stays unreaped until reap
	code    int           // the return code; written before exited is closed
	waitErr error         // waitid's failure, if any; written before exited is closed

	// mu orders signals before reaping: while the child is unreaped its pid,
	// and so its process group's id, cannot be recycled, so a signal sent
	// under mu before reaped is set always reaches the child's own group.
	mu       sync.Mutex
	reaped   bool
	reapOnce sync.Once
	reapErr  error // what exec.Cmd.Wait reported besides the exit status

	commMu sync.Mutex
	comm   *communicated // the first Communicate's result, returned again to later calls
}

// Start starts argv[0] with arguments argv[1:] and returns at once:
// Python's subprocess.Popen(args, ...). It does not wait for the child;
// Wait or Communicate does. The Input and Check options belong to Run and
// panic here.
//
// A program that cannot be found or run is an error matching
// fs.ErrNotExist (Python's FileNotFoundError) or fs.ErrPermission, from
// Start itself, never a return code. An empty argv is an error.
func Start(argv []string, opts ...Option) (*Popen, error) {
	c := newConfig(opts)
	if c.input != nil {
		panic("subprocess: Input is an option of Run; give Start Stdin(Pipe) and pass the input to Communicate")
	}
	if c.check {
		panic("subprocess: Check is an option of Run; Start does not wait for the return code")
	}
	return c.start(argv)
}

func (c *config) start(argv []string) (*Popen, error) {
	if len(argv) == 0 {
		return nil, errors.New("subprocess: empty argv")
	}
	name, args := argv[0], argv[1:]
	if c.shell {
		name, args = "/bin/sh", append([]string{"-c"}, argv...)
	}
	cmd := exec.Command(name, args...)
	cmd.Dir, cmd.Env = c.dir, c.env
	cmd.WaitDelay = c.waitDelay
	switch c.group {
	case newGroup:
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	case newSession:
		cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	}
	p := &Popen{
		Args:      argv,
		cmd:       cmd,
		grace:     c.grace,
		waitDelay: c.waitDelay,
		exited:    make(chan struct{}),
	}

	// Every pipe end made here is closed if the start fails; the child's
	// ends are closed in the parent as soon as the child has them, so that
	// the parent sees EOF when the child (and whatever inherited them) exits.
	var created, childEnds []*os.File
	closeAll := func(files []*os.File) {
		for _, f := range files {
			f.Close()
		}
	}
	pipe := func() (r, w *os.File, err error) {
		if r, w, err = os.Pipe(); err == nil {
			created = append(created, r, w)
		}
		return r, w, err
	}
	fail := func(err error) (*Popen, error) {
		closeAll(created)
		return nil, err
	}

	switch c.stdin.kind {
	case inheritKind:
		cmd.Stdin = os.Stdin
	case pipeKind:
		r, w, err := pipe()
		if err != nil {
			return fail(err)
		}
		cmd.Stdin, p.Stdin = r, w
		childEnds = append(childEnds, r)
	case fromKind:
		cmd.Stdin = c.stdin.r
	}
	output := func(r Redirect, std *os.File, field **os.File) (io.Writer, error) {
		switch r.kind {
		case inheritKind:
			return std, nil
		case pipeKind:
			pr, pw, err := pipe()
			if err != nil {
				return nil, err
			}
			*field = pr
			childEnds = append(childEnds, pw)
			return pw, nil
		case toKind:
			return r.w, nil
		}
		return nil, nil // DevNull: os/exec opens /dev/null for a nil writer
	}
	var err error
	if cmd.Stdout, err = output(c.stdout, os.Stdout, &p.Stdout); err != nil {
		return fail(err)
	}
	if c.stderr.kind == toStdoutKind {
		// os/exec hands one descriptor to both when they are the same writer.
		cmd.Stderr = cmd.Stdout
	} else if cmd.Stderr, err = output(c.stderr, os.Stderr, &p.Stderr); err != nil {
		return fail(err)
	}

	if err := cmd.Start(); err != nil {
		return fail(startError(err))
	}
	closeAll(childEnds)
	p.target = cmd.Process.Pid
	if c.group != sameGroup {
		p.target = -p.target
	}
	go p.watch()
	return p, nil
}

// startError makes a program not found on $PATH match fs.ErrNotExist, as
// a missing path already does: both are Python's FileNotFoundError.
func startError(err error) error {
	if errors.Is(err, exec.ErrNotFound) {
		return notFoundError{err}
	}
	return err
}

type notFoundError struct{ error }

func (e notFoundError) Unwrap() error        { return e.error }
func (e notFoundError) Is(target error) bool { return target == os.ErrNotExist }

// watch waits for the child to exit without reaping it, records its return
// code and closes exited.
func (p *Popen) watch() {
	p.code, p.waitErr = waitExited(p.cmd.Process.Pid)
	close(p.exited)
}

// reap releases the exited child, at most once: after this no signal is
// sent to its pid or group, which may be recycled from now on.
func (p *Popen) reap() {
	<-p.exited
	p.reapOnce.Do(func() {
		p.mu.Lock()
		p.reaped = true
		p.mu.Unlock()
		var exitErr *exec.ExitError
		if err := p.cmd.Wait(); !errors.As(err, &exitErr) {
			p.reapErr = err // exec.ErrWaitDelay or a failed copy to or from a From/To stream
		}
	})
}

// Pid is the child's process ID: Python's Popen.pid. Unless
// SameProcessGroup was given it is also the ID of the child's process group.
func (p *Popen) Pid() int { return p.cmd.Process.Pid }

// Done returns a channel that is closed when the child has exited, for use
// in a select. Python has no counterpart; Python's wait(timeout) without
// killing is a select on Done and a timer.
func (p *Popen) Done() <-chan struct{} { return p.exited }

// Poll reports whether the child has exited and, if so, its return code,
// without blocking: Python's Popen.poll(), which returns None while the
// child runs.
func (p *Popen) Poll() (returnCode int, exited bool) {
	select {
	case <-p.exited:
		return p.code, true
	default:
		return 0, false
	}
}

// ReturnCode is the child's return code once it has exited: its exit
// status, or -N if signal N ended it — Python's Popen.returncode. Calling
// it while the child still runs (Python's None) panics; Poll is the
// question "has it exited?", and Wait, Communicate or a closed Done make
// the answer yes.
func (p *Popen) ReturnCode() int {
	code, ok := p.Poll()
	if !ok {
		panic("subprocess: ReturnCode called while the process is running; use Poll or Wait")
	}
	return code
}

// Wait waits for the child to exit, reaps it and returns its return code:
// Python's Popen.wait(). When ctx ends first, Wait stops the child's process
// group (see Grace), waits for the child to die and returns its return code
// with a *TimeoutExpired; Python's wait(timeout) leaves the child running
// instead, which here is a select on Done. Wait does not read the child's
// pipes; Communicate does. Wait may be called more than once.
//
// A non-nil error with no deadline involved is exec.ErrWaitDelay (a
// From/To stream was cut off after WaitDelay) or a failure of such a copy.
func (p *Popen) Wait(ctx context.Context) (int, error) {
	var err error
	select {
	case <-p.exited:
	case <-ctx.Done():
		if _, exited := p.Poll(); !exited {
			err = newTimeoutExpired(ctx, p.Args)
			p.stop()
		}
	}
	p.reap()
	if err == nil {
		err = firstErr(p.waitErr, p.reapErr)
	}
	return p.code, err
}

// SendSignal sends sig to the child's process group, or to the child alone
// with SameProcessGroup: Python's Popen.send_signal(). Like a terminal's
// Ctrl-C, which reaches a whole foreground job, it reaches the processes
// the child started too. Once the child has been reaped it does nothing,
// as in Python. sig must be a syscall.Signal; anything else panics.
func (p *Popen) SendSignal(sig os.Signal) error {
	s, ok := sig.(syscall.Signal)
	if !ok {
		panic(fmt.Sprintf("subprocess: SendSignal(%v): not a syscall.Signal", sig))
	}
	return p.signal(s)
}

// Terminate sends SIGTERM as SendSignal does: Python's Popen.terminate().
func (p *Popen) Terminate() error { return p.signal(syscall.SIGTERM) }

// Kill sends SIGKILL as SendSignal does: Python's Popen.kill(). With its
// own process group (the default) the child's whole tree dies.
func (p *Popen) Kill() error { return p.signal(syscall.SIGKILL) }

func (p *Popen) signal(sig syscall.Signal) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.reaped {
		return nil
	}
	if err := syscall.Kill(p.target, sig); err != nil && err != syscall.ESRCH {
		return os.NewSyscallError("kill", err)
	}
	return nil
}

// stop ends the child's process group after a deadline: SIGTERM and up to
// Grace for the child to exit, then SIGKILL for whatever is left. The
// signals cannot fail for a child of ours that is not yet reaped.
func (p *Popen) stop() {
	if p.grace > 0 {
		p.signal(syscall.SIGTERM)
		t := time.NewTimer(p.grace)
		select {
		case <-p.exited:
		case <-t.C:
		}
		t.Stop()
	}
	p.signal(syscall.SIGKILL)
	<-p.exited
}

// firstErr returns the first non-nil error.
func firstErr(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
