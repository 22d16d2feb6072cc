//go:build linux

package subprocess

import (
	"context"
)

// CompletedProcess is the result of Run: Python's
// subprocess.CompletedProcess.
type CompletedProcess struct {
	Args       []string // argv as given
	ReturnCode int      // the exit status, or -N for signal N
	Stdout     []byte   // captured stdout, or nil if it was not piped
	Stderr     []byte   // captured stderr, or nil if it was not piped
}

// CheckReturnCode returns a *CalledProcessError carrying the output if the
// return code is not zero, and nil otherwise: Python's check_returncode().
func (c *CompletedProcess) CheckReturnCode() error {
	if c.ReturnCode == 0 {
		return nil
	}
	return &CalledProcessError{Args: c.Args, ReturnCode: c.ReturnCode, Stdout: c.Stdout, Stderr: c.Stderr}
}

// Run runs argv to completion and returns what happened: Python's
// subprocess.run(). Output is captured only where asked, with
// CaptureOutput, Stdout(Pipe) or Stderr(Pipe); Input feeds stdin.
//
// ctx's deadline is Python's timeout=: when ctx ends first, the child's
// process group is stopped (see Grace) and the error is a *TimeoutExpired
// carrying the output captured so far. With Check, a non-zero return code
// is a *CalledProcessError carrying the output. A missing program is an
// error from the start (see Start).
//
// The *CompletedProcess is non-nil whenever the child was started, even
// with an error: for a timeout it holds the partial output and the
// return code of the stopped child. It is nil only if the child could not
// be started, or ctx had ended before Run began (then nothing is started
// and the error is a *TimeoutExpired).
func Run(ctx context.Context, argv []string, opts ...Option) (*CompletedProcess, error) {
	c := newConfig(opts)
	if c.input != nil {
		if c.stdinSet {
			panic("subprocess: Input and Stdin may not both be given")
		}
		c.stdin = Pipe
	}
	if ctx.Err() != nil {
		return nil, newTimeoutExpired(ctx, argv)
	}
	p, err := c.start(argv)
	if err != nil {
		return nil, err
	}
	stdout, stderr, err := p.Communicate(ctx, c.input)
	cp := &CompletedProcess{Args: argv, ReturnCode: p.ReturnCode(), Stdout: stdout, Stderr: stderr}
	if err == nil && c.check {
		err = cp.CheckReturnCode()
	}
	return cp, err
}

// Call runs argv to completion and returns its return code: Python's
// subprocess.call(). Errors are Run's. Call captures nothing unless asked;
// by default the child shares the caller's stdin, stdout and stderr.
func Call(ctx context.Context, argv []string, opts ...Option) (int, error) {
	cp, err := Run(ctx, argv, opts...)
	if cp == nil {
		return 0, err
	}
	return cp.ReturnCode, err
}

// CheckCall runs argv to completion and returns a *CalledProcessError if
// its return code is not zero: Python's subprocess.check_call(). Other
// errors are Run's.
func CheckCall(ctx context.Context, argv []string, opts ...Option) error {
	_, err := Run(ctx, argv, append(opts[:len(opts):len(opts)], Check())...)
	return err
}

// CheckOutput runs argv to completion and returns its stdout: Python's
// subprocess.check_output(). A non-zero return code is a
// *CalledProcessError carrying the output. Stdout is CheckOutput's own, so
// giving it panics, as Python raises ValueError; Stderr(ToStdout) merges
// stderr into the result, as in Python.
func CheckOutput(ctx context.Context, argv []string, opts ...Option) ([]byte, error) {
	if newConfig(opts).stdoutSet {
		panic("subprocess: CheckOutput captures stdout itself; do not give Stdout or CaptureOutput")
	}
	cp, err := Run(ctx, argv, append(opts[:len(opts):len(opts)], Stdout(Pipe), Check())...)
	if cp == nil {
		return nil, err
	}
	return cp.Stdout, err
}
