package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"sync"

	"github.com/concurgo/concur"
	"github.com/concurgo/concur/process"
)

// ErrSkipRetry, wrapped into the error a job function returns, makes the
// failure final: no retry is attempted whatever the job's retry budget. Use
// it for errors that a retry cannot fix (bad input discovered late).
var ErrSkipRetry = errors.New("server: do not retry")

// function is a registered function with JSON on both sides, so that a
// thread worker, a process worker and the HTTP layer handle every function
// alike.
type function struct {
	name string
	// check decodes args the way call would, without calling: submission
	// refuses arguments the function could never accept.
	check func(args json.RawMessage) error
	call  func(ctx context.Context, args json.RawMessage) (json.RawMessage, error)
	// proc is the same function registered with package process, for
	// process-mode jobs.
	proc *process.Func[[]byte, processOutcome]
}

var registry struct {
	sync.RWMutex
	funcs map[string]*function
}

// Register makes fn callable by jobs under name, in thread and process mode.
// The job's JSON args decode into A (unknown object fields are refused, so
// a typo is an error rather than a silent zero) and the R it returns is the
// job's JSON result.
//
// Register functions in an init function (or a package-level var): a
// process-mode job runs in this binary re-executed, and the child looks the
// function up before main has run. Register panics if name is empty or
// taken, or fn is nil — programmer errors, as with http.HandleFunc.
//
// A panic in fn fails the attempt with error kind "panic" and its stack; it
// never crashes the worker. fn should honour ctx: it is cancelled when the
// job is cancelled, times out or the node shuts down.
func Register[A, R any](name string, fn func(ctx context.Context, args A) (R, error)) {
	if name == "" {
		panic("server: Register with an empty name")
	}
	if fn == nil {
		panic("server: Register of " + name + " with a nil function")
	}
	f := &function{
		name: name,
		check: func(args json.RawMessage) error {
			_, err := decodeArgs[A](args)
			return err
		},
		call: func(ctx context.Context, args json.RawMessage) (json.RawMessage, error) {
			a, err := decodeArgs[A](args)
			if err != nil {
				return nil, &JobError{Kind: "bad_args", Message: err.Error()}
			}
			var r R
			// fn runs on a goroutine of its own so that runtime.Goexit in
			// it (t.FailNow, say) ends only that goroutine, and Guard
			// reports it as a failed attempt.
			outcome := make(chan error, 1)
			go concur.Guard(func() (err error) {
				r, err = fn(ctx, a)
				return err
			}, func(err error) { outcome <- err })
			if err := <-outcome; err != nil {
				return nil, err
			}
			out, err := json.Marshal(r)
			if err != nil {
				return nil, fmt.Errorf("%w: result of %s is not JSON: %v", ErrSkipRetry, name, err)
			}
			return out, nil
		},
	}
	registry.Lock()
	defer registry.Unlock()
	if registry.funcs == nil {
		registry.funcs = make(map[string]*function)
	}
	if _, dup := registry.funcs[name]; dup {
		panic("server: function " + name + " registered twice")
	}
	f.proc = registerProcess(f)
	registry.funcs[name] = f
}

// lookup returns the function registered under name, or nil.
func lookup(name string) *function {
	registry.RLock()
	defer registry.RUnlock()
	return registry.funcs[name]
}

// Functions returns the names of the registered functions, sorted.
func Functions() []string {
	registry.RLock()
	defer registry.RUnlock()
	names := make([]string, 0, len(registry.funcs))
	for n := range registry.funcs {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// decodeArgs decodes a job's JSON args into A. Missing args decode as JSON
// null, so A's zero value, which suits functions that take nothing.
func decodeArgs[A any](args json.RawMessage) (A, error) {
	var a A
	if len(args) == 0 {
		return a, nil
	}
	dec := json.NewDecoder(bytes.NewReader(args))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&a); err != nil {
		return a, fmt.Errorf("args do not fit %T: %v", a, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return a, fmt.Errorf("args have data after the JSON value")
	}
	return a, nil
}
