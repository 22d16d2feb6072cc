//go:build linux

package subprocess

import (
	"fmt"
	"io"
	"time"
)

// Redirect says where one of the child's standard streams goes: Python's
// PIPE, DEVNULL, STDOUT, None or a file object. The zero value is Inherit.
type Redirect struct {
	kind redirectKind
	r    io.Reader
	w    io.Writer
}

type redirectKind uint8

const (
	inheritKind redirectKind = iota
	pipeKind
	devNullKind
	toStdoutKind
	fromKind
	toKind
)

var (
	// Inherit gives the child the parent's own stream (os.Stdin, os.Stdout
	// or os.Stderr). It is the default, as in Python (stdin=None); os/exec
	// defaults to /dev/null instead.
	Inherit = Redirect{kind: inheritKind}

	// Pipe connects the stream to a pipe whose other end is the Popen's
	// Stdin, Stdout or Stderr field, and that Communicate feeds or drains:
	// Python's subprocess.PIPE.
	Pipe = Redirect{kind: pipeKind}

	// DevNull connects the stream to /dev/null: Python's subprocess.DEVNULL.
	DevNull = Redirect{kind: devNullKind}

	// ToStdout, for Stderr only, sends the child's stderr wherever its
	// stdout goes, interleaved in one stream: Python's stderr=STDOUT.
	ToStdout = Redirect{kind: toStdoutKind}
)

// From, for Stdin only, feeds the child's stdin from r. An *os.File is
// handed to the child as is; any other reader is copied in by a goroutine,
// as os/exec does. Python accepts a file object here.
func From(r io.Reader) Redirect {
	if r == nil {
		panic("subprocess: From(nil)")
	}
	return Redirect{kind: fromKind, r: r}
}

// To, for Stdout or Stderr, sends the stream to w. An *os.File is handed to
// the child as is; any other writer is fed by a goroutine, as os/exec does,
// and counts as a pipe for WaitDelay. Python accepts a file object here.
func To(w io.Writer) Redirect {
	if w == nil {
		panic("subprocess: To(nil)")
	}
	return Redirect{kind: toKind, w: w}
}

// An Option configures Run, Call, CheckCall, CheckOutput or Start: the
// keyword arguments of Python's Popen and run.
type Option func(*config)

// config is what the options build. It is frozen once the process starts.
type config struct {
	stdin, stdout, stderr Redirect
	stdinSet, stdoutSet   bool // for Input and CheckOutput, which own them

	dir       string
	env       []string
	shell     bool
	group     groupMode
	grace     time.Duration
	waitDelay time.Duration

	// Run only.
	input []byte
	check bool
}

type groupMode uint8

const (
	newGroup groupMode = iota
	newSession
	sameGroup
)

// DefaultWaitDelay is how long Wait and Communicate keep reading the child's
// pipes after it has exited, unless WaitDelay says otherwise. Python and
// os/exec wait as long as a descendant holds a pipe, possibly forever.
const DefaultWaitDelay = time.Second

func newConfig(opts []Option) *config {
	c := &config{waitDelay: DefaultWaitDelay}
	for _, o := range opts {
		o(c)
	}
	return c
}

// Stdin sets where the child's stdin comes from: Inherit (the default),
// Pipe, DevNull or From(r). Python's stdin=.
func Stdin(r Redirect) Option {
	switch r.kind {
	case toStdoutKind, toKind:
		panic("subprocess: Stdin takes Inherit, Pipe, DevNull or From(r)")
	}
	return func(c *config) { c.stdin, c.stdinSet = r, true }
}

// Stdout sets where the child's stdout goes: Inherit (the default), Pipe,
// DevNull or To(w). Python's stdout=.
func Stdout(r Redirect) Option {
	switch r.kind {
	case toStdoutKind, fromKind:
		panic("subprocess: Stdout takes Inherit, Pipe, DevNull or To(w)")
	}
	return func(c *config) { c.stdout, c.stdoutSet = r, true }
}

// Stderr sets where the child's stderr goes: Inherit (the default), Pipe,
// DevNull, ToStdout or To(w). Python's stderr=.
func Stderr(r Redirect) Option {
	if r.kind == fromKind {
		panic("subprocess: Stderr takes Inherit, Pipe, DevNull, ToStdout or To(w)")
	}
	return func(c *config) { c.stderr = r }
}

// CaptureOutput pipes both stdout and stderr, so that Run returns them in
// the CompletedProcess: Python's capture_output=True.
func CaptureOutput() Option {
	return func(c *config) {
		c.stdout, c.stdoutSet = Pipe, true
		c.stderr = Pipe
	}
}

// Dir runs the child in directory dir: Python's cwd=. A directory that does
// not exist makes the start fail with an error matching fs.ErrNotExist.
func Dir(dir string) Option { return func(c *config) { c.dir = dir } }

// Env sets the child's whole environment, each entry "key=value", as
// exec.Cmd.Env does: Python's env=. Without it the child inherits the
// parent's environment; to add to it, pass append(os.Environ(), "K=V").
func Env(env []string) Option { return func(c *config) { c.env = env } }

// Shell runs argv[0] as a command line of /bin/sh -c; any further elements
// of argv become the shell's $0, $1, ... exactly as in Python's shell=True
// on POSIX. Passing untrusted values as those positional parameters, and
// referring to them as "$1", is safe; pasting them into argv[0] is not.
func Shell() Option { return func(c *config) { c.shell = true } }

// NewSession starts the child in a new session (setsid), detached from
// the controlling terminal: Python's start_new_session=True. The child
// leads a new process group either way, so stopping it stops its tree.
func NewSession() Option { return func(c *config) { c.group = newSession } }

// SameProcessGroup keeps the child in the caller's process group, as
// Python does by default, instead of a new group of its own. A terminal's
// Ctrl-C then reaches the child too, and an interactive child can read the
// terminal; but stopping the child (a deadline, Terminate, Kill) stops only
// the child, not processes it started.
func SameProcessGroup() Option { return func(c *config) { c.group = sameGroup } }

// Grace makes a deadline or cancellation stop the child gently: SIGTERM to
// its process group, then SIGKILL to whatever is left of the group once the
// child has exited or d has passed, whichever comes first. The child is
// expected to stop its own children within d, as a well-behaved supervisor
// does. Without Grace (or with 0) the group gets SIGKILL at once: the
// signal Python's run sends on timeout, to the child alone. d < 0 panics.
func Grace(d time.Duration) Option {
	if d < 0 {
		panic(fmt.Sprintf("subprocess: negative Grace %v", d))
	}
	return func(c *config) { c.grace = d }
}

// WaitDelay bounds how long Wait and Communicate keep reading the child's
// pipes after it has exited. A descendant that still holds a pipe then —
// a daemon started in the background, or one that escaped the process
// group — is cut off: the pipes are closed and the call reports
// exec.ErrWaitDelay (unless it has a worse error to report). The default is
// DefaultWaitDelay; 0 waits for the pipes however long it takes, as Python
// and os/exec do. d < 0 panics.
func WaitDelay(d time.Duration) Option {
	if d < 0 {
		panic(fmt.Sprintf("subprocess: negative WaitDelay %v", d))
	}
	return func(c *config) { c.waitDelay = d }
}

// Input, for Run and the functions built on it, writes data to the child's
// stdin through a pipe and then closes it: Python's input=. Combining it
// with Stdin panics, as Python raises ValueError.
func Input(data []byte) Option {
	if data == nil {
		data = []byte{}
	}
	return func(c *config) { c.input = data }
}

// Check, for Run, turns a non-zero return code into a *CalledProcessError:
// Python's check=True.
func Check() Option { return func(c *config) { c.check = true } }
