package process

import (
	"context"
	"fmt"
	"os"
	"sync"

	"github.com/concurgo/concur"
)

// Func is a function registered by name so that a child process can run
// it: Go cannot send a closure to another process, so the parent sends
// the name and the encoded argument, and the child — the same binary —
// looks the name up in its own registry. It is Python's picklable
// module-level target function, made explicit.
//
// A Func is created by Register, RegisterFunc or RegisterTarget at package
// level, so that every process of the binary registers the same names
// before process.Main runs.
type Func[A, R any] struct {
	name string
	fn   func(context.Context, A) (R, error)
}

// Register registers fn under name and returns the Func to start processes
// with. Call it in a package-level variable declaration:
//
//	var Square = process.Register("square", func(ctx context.Context, x int) (int, error) {
//		return x * x, nil
//	})
//
// The argument and the result travel between processes with the codec
// (encoding/gob; see the package documentation): use a struct for several
// arguments. The ctx is cancelled when the child is asked to stop (see
// WithGracePeriod).
//
// Register panics if name is empty or already registered, if fn is nil,
// or if process.Main has already run: a child dispatches inside Main, so a
// later registration would exist in the parent only.
func Register[A, R any](name string, fn func(ctx context.Context, arg A) (R, error)) *Func[A, R] {
	if fn == nil {
		panic("process: Register(" + name + ") with a nil function")
	}
	f := &Func[A, R]{name: name, fn: fn}
	registry.add(name, f)
	return f
}

// RegisterFunc registers a plain function of one argument, the shape of
// the functions Python passes to Pool.map:
//
//	var Square = process.RegisterFunc("square", func(x int) int { return x * x })
//
// It panics as Register does.
func RegisterFunc[A, R any](name string, fn func(arg A) R) *Func[A, R] {
	if fn == nil {
		panic("process: RegisterFunc(" + name + ") with a nil function")
	}
	return Register(name, func(_ context.Context, a A) (R, error) { return fn(a), nil })
}

// RegisterTarget registers a function with no result, the shape of
// Python's Process(target=...): what it does is its effect, and its error
// (or panic) is what Join reports. Use struct{} as A for a function of no
// argument. It panics as Register does.
func RegisterTarget[A any](name string, fn func(ctx context.Context, arg A) error) *Func[A, struct{}] {
	if fn == nil {
		panic("process: RegisterTarget(" + name + ") with a nil function")
	}
	return Register(name, func(ctx context.Context, a A) (struct{}, error) { return struct{}{}, fn(ctx, a) })
}

// Name returns the name f was registered under.
func (f *Func[A, R]) Name() string { return f.name }

// String returns the registered name, as Python prints a target function.
func (f *Func[A, R]) String() string { return f.name }

// encodeArg encodes an argument for f in the caller, so that an
// unencodable value is reported synchronously.
func (f *Func[A, R]) encodeArg(a A) ([]byte, []*os.File, error) {
	return encodeMessage(a)
}

// decodeResult decodes a result that a child's invoke encoded.
func (f *Func[A, R]) decodeResult(data []byte) (R, error) {
	var r R
	err := decodeMessage(data, nil, &r)
	return r, err
}

// invoke is the child side of a call: decode the argument, run the
// function with the project's panic policy (a panic or runtime.Goexit
// becomes an error carrying the stack), encode the result.
func (f *Func[A, R]) invoke(ctx context.Context, arg []byte, files []*os.File) ([]byte, error) {
	var a A
	if err := decodeMessage(arg, files, &a); err != nil {
		return nil, err
	}
	var r R
	// The function runs on its own goroutine so that runtime.Goexit ends
	// only that goroutine (Guard reports it) rather than the child's main
	// goroutine, which would crash the child with a deadlock.
	outcome := make(chan error, 1)
	go concur.Guard(func() (err error) {
		r, err = f.fn(ctx, a)
		return err
	}, func(err error) { outcome <- err })
	if err := <-outcome; err != nil {
		return nil, err
	}
	data, files, err := encodeMessage(r)
	if err != nil {
		return nil, err
	}
	if len(files) > 0 {
		// A result travels over the established control connection,
		// where inherited files cannot follow.
		for _, file := range files {
			file.Close()
		}
		return nil, &EncodeError{Type: fmt.Sprintf("%T", r), Err: errResultHandles}
	}
	return data, nil
}

// invoker is what the child needs of a registered function, whatever its
// argument and result types.
type invoker interface {
	invoke(ctx context.Context, arg []byte, files []*os.File) ([]byte, error)
}

// registry maps names to functions. Registration happens during package
// initialization and lookups afterwards; the lock only guards against a
// registration from a goroutine started by an init function.
var registry = funcRegistry{funcs: map[string]invoker{}}

type funcRegistry struct {
	mu    sync.RWMutex
	funcs map[string]invoker
}

func (r *funcRegistry) add(name string, fn invoker) {
	if name == "" {
		panic("process: Register with an empty name")
	}
	if mainCalled.Load() {
		panic(fmt.Sprintf("process: Register(%q) after process.Main: register functions in package-level variables, "+
			"so that a child, which runs them from inside Main, has registered them too", name))
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, dup := r.funcs[name]; dup {
		panic(fmt.Sprintf("process: function %q registered twice", name))
	}
	r.funcs[name] = fn
}

func (r *funcRegistry) lookup(name string) (invoker, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	fn, ok := r.funcs[name]
	return fn, ok
}
