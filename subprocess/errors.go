//go:build linux

package subprocess

import (
	"context"
	"fmt"
	"syscall"
)

// CalledProcessError reports a child that ended with a non-zero return
// code when a check asked for zero (Check, CheckCall, CheckOutput,
// CompletedProcess.CheckReturnCode): Python's subprocess.CalledProcessError.
type CalledProcessError struct {
	Args       []string // argv as given: Python's cmd
	ReturnCode int      // the exit status, or -N for signal N: Python's returncode
	Stdout     []byte   // captured stdout, or nil if it was not piped: Python's output and stdout
	Stderr     []byte   // captured stderr, or nil if it was not piped: Python's stderr
}

func (e *CalledProcessError) Error() string {
	if e.ReturnCode < 0 {
		sig := syscall.Signal(-e.ReturnCode)
		return fmt.Sprintf("subprocess: command %q died with signal %d (%v)", e.Args, -e.ReturnCode, sig)
	}
	return fmt.Sprintf("subprocess: command %q returned non-zero exit status %d", e.Args, e.ReturnCode)
}

// TimeoutExpired reports that the context of Run, Call, CheckCall,
// CheckOutput, Communicate or Wait ended before the child did, and that the
// child's process group was therefore stopped: Python's
// subprocess.TimeoutExpired. It also reports a cancellation, which Python
// has no form of, so errors.Is tells the two apart: errors.Is(err,
// context.DeadlineExceeded) for a timeout, errors.Is(err, context.Canceled)
// for a cancellation; errors.Is also matches a cause given to the context.
type TimeoutExpired struct {
	Args   []string // argv as given: Python's cmd
	Stdout []byte   // stdout captured before the child was stopped: Python's output and stdout
	Stderr []byte   // stderr captured before the child was stopped: Python's stderr

	err, cause error // the context's Err and Cause
}

func newTimeoutExpired(ctx context.Context, args []string) *TimeoutExpired {
	return &TimeoutExpired{Args: args, err: ctx.Err(), cause: context.Cause(ctx)}
}

func (e *TimeoutExpired) Error() string {
	return fmt.Sprintf("subprocess: command %q stopped: %v", e.Args, e.cause)
}

// Unwrap returns the context's Err and, if it differs, its Cause.
func (e *TimeoutExpired) Unwrap() []error {
	if e.cause == e.err {
		return []error{e.err}
	}
	return []error{e.err, e.cause}
}
