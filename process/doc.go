// Package process is Python's multiprocessing for Go: real operating
// system processes that run registered functions, and the means for them
// to cooperate.
//
// Go runs goroutines in parallel, so the reason Python needs processes —
// the GIL — does not apply. What a goroutine cannot give is isolation:
// work that can be killed hard, a crash or a memory leak that stays in its
// own address space, cgo code that is not thread-safe. That is what this
// package is for.
//
// # The model: spawn by re-exec
//
// A child is this same binary executed again (/proc/self/exe), Python's
// "spawn" start method. Go cannot fork a running multi-threaded program
// safely, so "fork" and "forkserver" have no Go form, and spawn keeps
// parent and child free of each other's state. Starting a child costs
// about a millisecond, against ~58 ms for a Python spawn.
//
// process.Main, called first in main (and in TestMain), is the Go form of
// `if __name__ == '__main__':`. In the program the user started it returns
// at once; in a child it runs the function the child was started for and
// exits. A program that forgets it gets ErrMainNotCalled in bounded time —
// never a hang, never a fork bomb:
//
//	var Square = process.Register("square", func(ctx context.Context, x int) (int, error) {
//		return x * x, nil
//	})
//
//	func main() {
//		process.Main()
//		p := process.New(Square, 7)
//		if err := p.Start(); err != nil {
//			log.Fatal(err)
//		}
//		v, err := p.Result(context.Background()) // 49
//		...
//	}
//
// # Registration
//
// Go cannot send a closure to another process, so a child runs a function
// registered by name: Register (the general form, with a context and an
// error), RegisterFunc (a plain func(A) R) and RegisterTarget (no result,
// Python's Process target). Registration happens in package-level variable
// declarations, during package initialization, which every process of the
// binary runs before Main; so parent and child always agree on the names.
// Registering a name twice, or after Main, panics.
//
// # What travels between processes
//
// Arguments, results and typed Conn messages are encoded with
// encoding/gob. Unlike pickle, decoding never runs code chosen by the
// bytes: it only fills in values of the types the receiver asked for.
// Exported fields travel, unexported ones do not, and funcs and channels
// cannot: such a value is reported by the call that was given it (Start,
// Send, Put or Apply returns an *EncodeError), never later in the
// background. Use a struct for several arguments, and struct{} for none.
//
// Values that hold an OS resource travel with their descriptor beside
// them: a File (an open file, pipe or socket), and the package's Conn,
// shared Values, Arrays and SharedMemory, locks and queues. They can be a
// child's argument, which the child inherits, or part of a message over
// a unix-socket Conn; either way the receiver gets the same object, not a
// copy (a shared object or queue received as another type is a
// *SharedTypeError). Anywhere else they are refused with an *EncodeError:
// in a result, in the argument of a Pool task (give them to the workers
// with WithInitializer), as a queue's item, or in a Manager's object.
//
// A queue's items (Queue, JoinableQueue, SimpleQueue) are copied into the
// queue's shared memory by Put, in the caller, and decoded by Get:
// numbers, strings, byte slices and structs of only those as their bytes,
// other types through gob. No feeder thread holds them in between.
//
// A Manager keeps its objects itself, as bytes in a structural encoding of
// their exported fields, so a manager and its clients need no Go types in
// common. What travels is a proxy — as a process argument, inside a Conn
// message, or stored in another manager object — carrying the manager's
// address and the object's identity (and the key, if it is not the
// program's own); the receiving process connects to the manager itself.
// What a proxy's Get returns is a copy: change the object through the
// proxy (Modify for a read-modify-write).
//
// # Lifecycle, errors, signals
//
// Process follows Python's: Start, Join, IsAlive, ExitCode (negative for a
// signal), Terminate, Kill, Close; Current, Parent and ActiveChildren.
// Join reports the outcome as exec.Cmd.Wait does: nil, a *RemoteError
// carrying the child's error message or its panic and stack, or an
// *ExitError naming the pid, exit status and signal of a child that died
// without reporting. A child's standard output and error are the
// parent's unless WithStdout or WithStderr say otherwise.
//
// Terminate sends SIGTERM, which ends a child at once, as in Python. With
// WithGracePeriod, SIGTERM and SIGINT instead cancel the function's
// context (the cause is a *SignalError) and the child has that long to
// clean up and return.
//
// # Children never outlive their parent
//
// Every child watches its connection to its parent and exits the moment
// it ends — which is when the parent dies, however it dies, SIGKILL
// included — and the kernel backs this up with a parent-death signal
// (Pdeathsig), set from a dedicated locked OS thread since Linux ties it
// to the forking thread (golang/go#27505). CPython leaves such children
// orphaned (gh-80180).
//
// Go has no atexit hook, so Python's exit-time behaviour — terminate the
// daemon children, wait for the others — is the explicit Exit. A child
// does it itself when its function returns.
package process
