package server

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Mode says where a job runs.
type Mode string

const (
	// Thread runs a registered function in a goroutine of a worker node:
	// cheapest, shares the node's memory, and is cancelled cooperatively
	// through its context (a goroutine cannot be killed — Python's
	// threading cannot kill a thread either).
	Thread Mode = "thread"
	// Process runs a registered function in a separate worker process (this
	// binary re-executed): isolated memory and crashes, and killed for real
	// on cancel or timeout.
	Process Mode = "process"
	// Command runs a program from the operator's allow-list (Config.Commands)
	// without a shell; the request may only name it, never supply argv[0].
	Command Mode = "command"
)

var modes = []Mode{Thread, Process, Command}

// ParseMode accepts "thread", "process" or "command".
func ParseMode(s string) (Mode, error) {
	for _, m := range modes {
		if string(m) == s {
			return m, nil
		}
	}
	return "", fmt.Errorf("unknown mode %q (want thread, process or command)", s)
}

// Priority orders jobs of one mode: all waiting high jobs start before any
// normal one, and normal before low. JetStream has no per-message priority,
// so each level is its own subject and consumer; three levels keep that
// fan-out small.
type Priority string

const (
	High   Priority = "high"
	Normal Priority = "normal"
	Low    Priority = "low"
)

var priorities = [...]Priority{High, Normal, Low}

// ParsePriority accepts "high", "normal" or "low".
func ParsePriority(s string) (Priority, error) {
	for _, p := range priorities {
		if string(p) == s {
			return p, nil
		}
	}
	return "", fmt.Errorf("unknown priority %q (want high, normal or low)", s)
}

// State is where a job is in its life.
//
//	queued ──▶ running ──▶ succeeded
//	  ▲  ▲        │  └───▶ failed     (retries exhausted: the dead-letter set)
//	  │  └─ retrying ◀─┘  └───▶ cancelled
//	scheduled (delay)
//
// A failed or cancelled job goes back to queued by POST /jobs/{id}/retry.
type State string

const (
	Queued    State = "queued"    // waiting for a free worker
	Scheduled State = "scheduled" // waiting for its delay to pass
	Running   State = "running"   // an attempt is in progress
	Retrying  State = "retrying"  // an attempt failed; the next waits out its backoff
	Succeeded State = "succeeded" // final: the function returned a result
	Failed    State = "failed"    // final: the last attempt failed; retry-now is possible
	Cancelled State = "cancelled" // final: cancelled on request
)

var states = []State{Queued, Scheduled, Running, Retrying, Succeeded, Failed, Cancelled}

// Final reports whether s is a state a job leaves only by an explicit retry.
func (s State) Final() bool { return s == Succeeded || s == Failed || s == Cancelled }

// waiting reports whether a job in state s is waiting for a worker to
// start its next attempt.
func (s State) waiting() bool { return s == Queued || s == Scheduled || s == Retrying }

// ParseState accepts one of the State constants' names.
func ParseState(s string) (State, error) {
	for _, st := range states {
		if string(st) == s {
			return st, nil
		}
	}
	return "", fmt.Errorf("unknown state %q (want one of %s)", s, joinNames(states))
}

func joinNames[T ~string](xs []T) string {
	s := make([]string, len(xs))
	for i, x := range xs {
		s[i] = string(x)
	}
	return strings.Join(s, ", ")
}

// Duration is a time.Duration that reads and writes JSON as a Go duration
// string ("1.5s", "2m") and also reads a plain number as seconds, which is
// how Python code passes timeout=1.5.
type Duration time.Duration

func (d Duration) MarshalJSON() ([]byte, error) {
	return json.Marshal(time.Duration(d).String())
}

func (d *Duration) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		return nil
	}
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	switch v := v.(type) {
	case float64:
		if math.IsNaN(v) || math.IsInf(v, 0) || math.Abs(v) > math.MaxInt64/float64(time.Second) {
			return fmt.Errorf("duration %v seconds is out of range", v)
		}
		*d = Duration(v * float64(time.Second))
	case string:
		x, err := parseDuration(v)
		if err != nil {
			return err
		}
		*d = Duration(x)
	default:
		return fmt.Errorf("duration must be a string like \"1.5s\" or a number of seconds, not %s", b)
	}
	return nil
}

// parseDuration reads a Go duration, or a bare number of seconds.
func parseDuration(s string) (time.Duration, error) {
	if f, err := strconv.ParseFloat(s, 64); err == nil {
		if math.IsNaN(f) || math.IsInf(f, 0) || math.Abs(f) > math.MaxInt64/float64(time.Second) {
			return 0, fmt.Errorf("duration %q is out of range", s)
		}
		return time.Duration(f * float64(time.Second)), nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("bad duration %q (want e.g. \"1.5s\", \"2m\" or seconds)", s)
	}
	return d, nil
}

// JobRequest is the body of POST /jobs. Exactly one of Function (thread and
// process modes) and Command (command mode) names what to run.
type JobRequest struct {
	// Function is a name given to Register.
	Function string `json:"function,omitempty"`
	// Command is a name from the operator's allow-list (Config.Commands).
	Command string `json:"command,omitempty"`
	// Args is the function's argument as JSON; for a command, a JSON array
	// of strings appended to the allow-listed argv, if that entry permits it.
	Args json.RawMessage `json:"args,omitempty"`
	// Mode is thread (the default for functions), process or command (the
	// default, and the only choice, for commands).
	Mode Mode `json:"mode,omitempty"`
	// Priority is high, normal (the default) or low.
	Priority Priority `json:"priority,omitempty"`
	// Timeout bounds each attempt; zero means Config.DefaultTimeout.
	Timeout Duration `json:"timeout,omitempty"`
	// Retries is how many times a failed attempt is retried, with
	// exponential backoff and jitter; nil means Config.DefaultRetries.
	Retries *int `json:"retries,omitempty"`
	// IdempotencyKey makes a repeated submission return the job the first
	// one created instead of a new job. The Idempotency-Key header sets it too.
	IdempotencyKey string `json:"idempotency_key,omitempty"`
	// Delay postpones the first attempt.
	Delay Duration `json:"delay,omitempty"`
}

// Job is a job's record, as GET /jobs/{id} returns it.
type Job struct {
	ID              string          `json:"id"`
	Function        string          `json:"function,omitempty"`
	Command         string          `json:"command,omitempty"`
	Args            json.RawMessage `json:"args,omitempty"`
	Mode            Mode            `json:"mode"`
	Priority        Priority        `json:"priority"`
	Timeout         Duration        `json:"timeout,omitzero"`
	Retries         int             `json:"retries"`
	IdempotencyKey  string          `json:"idempotency_key,omitempty"`
	State           State           `json:"state"`
	Attempts        int             `json:"attempts"` // attempts started since submission or the last retry request
	Result          json.RawMessage `json:"result,omitempty"`
	Error           *JobError       `json:"error,omitempty"` // why the last attempt failed
	CancelRequested bool            `json:"cancel_requested,omitempty"`
	Worker          string          `json:"worker,omitempty"` // node that ran the last attempt
	CreatedAt       time.Time       `json:"created_at"`
	RunAt           time.Time       `json:"run_at"` // earliest start of the next attempt
	StartedAt       time.Time       `json:"started_at,omitzero"`
	FinishedAt      time.Time       `json:"finished_at,omitzero"`
}

// JobError says why an attempt failed.
type JobError struct {
	// Kind is one of: error (the function returned an error), panic
	// (or runtime.Goexit), timeout, cancelled, killed (the worker process died or was killed),
	// exit (a command exited non-zero), lost (the node running the attempt
	// went away), bad_args, unknown (the function or command is not known
	// to the node that took the job).
	Kind    string `json:"kind"`
	Message string `json:"message"`
	Stack   string `json:"stack,omitempty"` // a panic's stack
}

func (e *JobError) Error() string { return e.Kind + ": " + e.Message }
