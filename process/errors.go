package process

import (
	"errors"
	"fmt"
	"syscall"
)

// ErrMainNotCalled reports a program that starts a process without having
// called process.Main first in main (or in TestMain). It is the Go twin of
// the missing `if __name__ == '__main__':` guard, which in Python makes
// every child start children of its own until the machine gives up; here
// it is an error in bounded time instead:
//
//   - a program that never called Main gets it from Start at once;
//   - a child that does not reach Main — Main is called late, or only on
//     some path — is killed, and Join reports it, as soon as the child
//     tries to start a process of its own (it is refused, so nothing
//     multiplies) or when the start timeout passes (WithStartTimeout).
var ErrMainNotCalled = errors.New("process: process.Main was not called: call it first in main (and in TestMain), " +
	"so that a child can run the function it was started for")

// ErrNoResult is returned by Child.Result when the child exited with
// status 0 without returning from its function: it called os.Exit(0).
// Join reports such a process as a success, as Python reports exitcode 0.
var ErrNoResult = errors.New("process: the child exited with status 0 without returning a result")

// ErrRunning is returned by Close while the process is still running,
// like Python's ValueError from Process.close: Join, Terminate or Kill it
// first.
var ErrRunning = errors.New("process: cannot close a process that is still running")

var errResultHandles = errors.New("a result cannot carry OS handles (files, Conns, shared memory): " +
	"pass them to the child as arguments, or send them over a Conn")

// RemoteError is the error or panic of a registered function that ran in
// another process, as its caller receives it: the child's message, the Go
// type of its error or panic value, and for a panic the child's stack.
// Python's multiprocessing.pool.RemoteError plays this part for pools; a
// Python Process only prints the traceback to stderr.
//
// The error value itself does not cross the process boundary (it may not
// be encodable, and decoding must not build arbitrary types), so
// errors.Is and errors.As do not see the child's error chain: compare Type
// and Message instead.
type RemoteError struct {
	Func    string // the registered function's name
	Name    string // the name of the process it ran in
	Pid     int    // and its pid
	Type    string // the Go type of the error or panic value, e.g. "*fs.PathError"
	Message string // the error's message, or the panic value printed with %v
	Panic   bool   // the function panicked (or called runtime.Goexit) rather than returning an error
	Stack   string // for a panic, the panicking goroutine's stack in the child
}

func (e *RemoteError) Error() string {
	verb := "failed"
	if e.Panic {
		verb = "panicked"
	}
	return fmt.Sprintf("process: %s in %s (pid %d) %s: %s", e.Func, e.Name, e.Pid, verb, e.Message)
}

// ExitError reports a child that ended without delivering its function's
// outcome: it exited with a nonzero status, or a signal killed it. Pools
// use it for a dead worker.
type ExitError struct {
	Name     string         // the process's name
	Pid      int            // its pid
	ExitCode int            // as Process.ExitCode: the exit status, or the negated signal number
	Signal   syscall.Signal // the signal that killed it, or 0
}

func (e *ExitError) Error() string {
	if e.Signal != 0 {
		return fmt.Sprintf("process: %s (pid %d) killed by signal %d (%s)", e.Name, e.Pid, int(e.Signal), signalName(e.Signal))
	}
	return fmt.Sprintf("process: %s (pid %d) exited with status %d", e.Name, e.Pid, e.ExitCode)
}
