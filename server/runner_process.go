package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/concurgo/concur/process"
)

// Process mode runs each attempt in a fresh child process: this binary
// re-executed by package process, which looks the function up by name.
// That is real isolation — a crash, a leak or a wedged cgo call takes only
// the child — and cancel or timeout kill the child for real. It is not
// warm: a child costs about a millisecond to start. A pool of warm workers
// plugs in here as another runner.

// processOutcome is what the child sends back. Every outcome of the
// function travels as data, because an error value cannot cross the
// process boundary with its type: the parent must still know a bad-args
// failure or ErrSkipRetry from a retryable one.
type processOutcome struct {
	Result    []byte
	Err       *JobError
	Retryable bool
}

// registerProcess registers f's process-mode twin. process.Register panics
// when called after process.Main: Register must run during package
// initialization, in every process of the binary.
func registerProcess(f *function) *process.Func[[]byte, processOutcome] {
	return process.Register("concur/server."+f.name, func(ctx context.Context, args []byte) (processOutcome, error) {
		res, err := f.call(ctx, args)
		if err != nil {
			jerr, retryable := classify(err, nil, 0)
			return processOutcome{Err: jerr, Retryable: retryable}, nil
		}
		return processOutcome{Result: res}, nil
	})
}

// settledError carries an outcome already classified elsewhere (in a
// child process) through to classify.
type settledError struct {
	jerr      *JobError
	retryable bool
}

func (e *settledError) Error() string { return e.jerr.Error() }

type processRunner struct{}

func (processRunner) run(ctx context.Context, r *record) (json.RawMessage, error) {
	f := lookup(r.Function)
	if f == nil {
		return nil, &JobError{Kind: "unknown", Message: fmt.Sprintf("function %q is not registered on this node", r.Function)}
	}
	out, err := process.Run(ctx, f.proc, []byte(r.Args))
	var exit *process.ExitError
	switch {
	case err == nil && out.Err != nil:
		return nil, &settledError{out.Err, out.Retryable}
	case err == nil:
		return out.Result, nil
	case ctx.Err() != nil:
		return nil, err // classify reads the cause: cancel or timeout
	case errors.As(err, &exit):
		return nil, &JobError{Kind: "killed", Message: exit.Error()}
	case errors.Is(err, process.ErrMainNotCalled):
		return nil, fmt.Errorf("%w: %v", ErrSkipRetry, err)
	}
	return nil, err
}
