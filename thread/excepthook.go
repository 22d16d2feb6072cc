package thread

import (
	"bytes"
	"fmt"
	"os"
	"reflect"
	"sync/atomic"

	"github.com/concurgo/concur"
)

// ExceptHookArgs describes a thread whose target ended with an error, a
// panic or runtime.Goexit. Type, Value, Stack and Thread are Python's four
// excepthook arguments; Err is the same failure as Join returns it.
type ExceptHookArgs struct {
	// Err is the thread's outcome, as Join returns it: the target's error, a
	// *concur.PanicError, or concur.ErrGoexit.
	Err error
	// Type is the dynamic type of Value. Python: exc_type.
	Type reflect.Type
	// Value is the value the target panicked with, or else Err. Python:
	// exc_value.
	Value any
	// Stack is the stack of the goroutine where the panic happened; nil when
	// the target returned an error, since a returned error carries no stack.
	// Python: exc_traceback.
	Stack []byte
	// Thread is the thread that failed. Python: thread.
	Thread *Thread
}

var exceptHook atomic.Pointer[func(ExceptHookArgs)]

// SetExceptHook installs hook to be called for every thread whose target
// ends with an outcome other than nil, and returns the hook it replaces;
// nil restores DefaultExceptHook. The hook runs in the failing thread
// after its target returns and before Join returns, so output it prints
// comes before whatever the joiner does next. A hook that panics has its
// panic printed to stderr. Python: threading.excepthook = hook.
func SetExceptHook(hook func(ExceptHookArgs)) (previous func(ExceptHookArgs)) {
	var p *func(ExceptHookArgs)
	if hook != nil {
		p = &hook
	}
	if old := exceptHook.Swap(p); old != nil {
		return *old
	}
	return DefaultExceptHook
}

// DefaultExceptHook prints the failure to stderr as Python does,
// "Exception in thread NAME:" followed by the error, or by the panic value
// and its stack. It ignores concur.ErrGoexit, as Python ignores SystemExit.
// Python: threading.__excepthook__.
func DefaultExceptHook(args ExceptHookArgs) {
	if args.Err == concur.ErrGoexit {
		return
	}
	var b bytes.Buffer
	writeException(&b, args)
	os.Stderr.Write(b.Bytes()) // one write, so concurrent reports do not interleave
}

func writeException(b *bytes.Buffer, args ExceptHookArgs) {
	name := "<unknown>"
	if args.Thread != nil {
		name = args.Thread.Name()
	}
	fmt.Fprintf(b, "Exception in thread %s:\n%v\n", name, args.Err)
	if len(args.Stack) > 0 {
		fmt.Fprintf(b, "\n%s", args.Stack)
	}
}

func newExceptHookArgs(t *Thread) ExceptHookArgs {
	args := ExceptHookArgs{Err: t.err, Value: t.err, Thread: t}
	if pe, ok := t.err.(*concur.PanicError); ok {
		args.Value, args.Stack = pe.Value, pe.Stack
	}
	args.Type = reflect.TypeOf(args.Value)
	return args
}

func runExceptHook(t *Thread) {
	hook := DefaultExceptHook
	if p := exceptHook.Load(); p != nil {
		hook = *p
	}
	args := newExceptHookArgs(t)
	err := concur.Catch(func() error { hook(args); return nil })
	if pe, ok := err.(*concur.PanicError); ok {
		// Python prints the hook's own exception and carries on.
		var b bytes.Buffer
		fmt.Fprintf(&b, "Exception in thread.ExceptHook:\n%v\n\n%s", pe, pe.Stack)
		os.Stderr.Write(b.Bytes())
	}
}
