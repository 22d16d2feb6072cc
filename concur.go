// Package concur is Python's concurrency toolkit rebuilt for Go.
//
// The subpackages mirror Python's modules, one package per module:
//
//	thread      threading: Thread, Lock, RLock, Condition, Semaphore, Event, Timer, Barrier, Local
//	queue       queue: FIFO, LIFO, priority and simple queues with TaskDone/Join and Shutdown
//	process     multiprocessing: processes, pipes, queues, shared memory, locks, Manager, Pool
//	futures     concurrent.futures: executors, futures, AsCompleted, Wait
//	aio         asyncio idioms: Gather, WaitFor, TaskGroup, Sleep
//	subprocess  subprocess: Run, Popen, Communicate, CalledProcessError
//	shutdown    signal: graceful shutdown on SIGINT/SIGTERM
//	server      the HTTP job service behind `concur serve`
//
// This root package holds only what every subpackage shares: the error a
// recovered panic becomes.
//
// # Conventions
//
// Blocking calls take a context first; Python's timeout= is the context's
// deadline and a timeout is reported as context.DeadlineExceeded. Python's
// blocking=False is a TryX method. Each Python exception kind is a sentinel
// error or an error type, checked with errors.Is and errors.As.
//
// # Panic policy
//
// A panic inside user code that concur runs on the user's behalf (a thread
// target, a task, a future's function, a registered process function) is
// recovered and becomes a *PanicError carrying the value and the stack, so
// that it reaches whoever waits for the result — Python's
// Future.exception() — instead of crashing the program. Where nobody waits
// for the result (a Thread nobody joins), the error goes to the package's
// except hook, which prints it: a panic is never swallowed silently.
// Programmer errors in the use of concur itself (a negative semaphore
// value, a nil function) panic, as in the standard library.
package concur

import (
	"errors"
	"fmt"
	"runtime/debug"
)

// PanicError is a panic recovered from user code, with the stack of the
// goroutine that panicked. Its Unwrap returns the panic value when that
// value is an error, so errors.Is and errors.As see through it.
type PanicError struct {
	Value any    // the value passed to panic
	Stack []byte // the stack of the panicking goroutine, as debug.Stack prints it
}

// NewPanicError wraps a value recovered from a panic. Call it inside the
// deferred function that called recover, so the stack is the panicking one.
func NewPanicError(v any) *PanicError {
	return &PanicError{Value: v, Stack: debug.Stack()}
}

func (e *PanicError) Error() string { return fmt.Sprintf("panic: %v", e.Value) }

// Unwrap returns the panic value if it is an error, else nil.
func (e *PanicError) Unwrap() error {
	if err, ok := e.Value.(error); ok {
		return err
	}
	return nil
}

// Catch calls fn and returns its error, or a *PanicError if fn panicked.
// If fn calls runtime.Goexit, the goroutine ends as Goexit demands and
// Catch does not return; code that must report that case uses Guard.
func Catch(fn func() error) (err error) {
	Guard(fn, func(e error) { err = e })
	return err
}

// Guard calls fn and hands its outcome to done exactly once: fn's error, a
// *PanicError if fn panicked, or ErrGoexit if fn called runtime.Goexit (for
// example t.FailNow from a goroutine). In the Goexit case done runs while
// the goroutine unwinds, so a pool can fail the task and replace the worker
// instead of waiting forever for a result that will never come.
func Guard(fn func() error, done func(error)) {
	normal, recovered := false, false
	defer func() {
		if !normal && !recovered {
			done(ErrGoexit)
		}
	}()
	func() {
		defer func() {
			if r := recover(); r != nil {
				recovered = true
				done(NewPanicError(r))
			}
		}()
		err := fn()
		normal = true
		done(err)
	}()
}

// ErrGoexit reports that user code called runtime.Goexit instead of
// returning.
var ErrGoexit = errors.New("concur: runtime.Goexit called in user code")
