package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/concurgo/concur"
)

// A job lives in two places. Its record (the Job plus bookkeeping) is a key
// in a JetStream KV bucket, changed only by compare-and-swap on the key's
// revision. Its place in line is a small message on a work-queue stream
// naming the job and a ticket number. A node that receives the message
// judges it against the record; that is what makes every delivery — a
// duplicate, a redelivery after a crash, a message outlived by a retry —
// safe, and what keeps a job from being completed twice.

// record is a job as stored in the jobs bucket.
type record struct {
	Job
	// Ticket numbers the queue message allowed to start the job. Every
	// re-enqueue (retry-now) bumps it, so older messages are recognised
	// as stale and dropped.
	Ticket uint64 `json:"ticket"`
	// RunSeq is the stream sequence of the message whose attempt is
	// running: a redelivery of that very message means its attempt was
	// lost, any other message for a running job is a duplicate.
	RunSeq uint64 `json:"run_seq,omitempty"`
	// ReqHash identifies the request that created an idempotent job, so a
	// key reused with a different request is refused.
	ReqHash string `json:"req_hash,omitempty"`
}

// ticket is the body of a queue message.
type ticket struct {
	ID     string `json:"id"`
	Ticket uint64 `json:"t"`
}

// decodeTicket reads a queue message body. Bodies come from the network, so
// anything malformed is an error, never a panic.
func decodeTicket(b []byte) (ticket, error) {
	var t ticket
	if err := json.Unmarshal(b, &t); err != nil {
		return t, fmt.Errorf("bad queue message: %v", err)
	}
	if !validID(t.ID) || t.Ticket == 0 {
		return t, fmt.Errorf("bad queue message: id %q ticket %d", t.ID, t.Ticket)
	}
	return t, nil
}

// verdict is what a node does with a delivered queue message.
type verdict int

const (
	drop verdict = iota // stale, duplicate or finished: ack and forget
	wait                // not due yet, or the record is not written yet: nak with a delay
	run                 // claim the job and run an attempt
	lost                // this message's attempt was lost with its node: settle it, then retry or fail
)

// judge decides what to do with message t (stream sequence seq) given the
// job's record (nil if there is none yet) at time now; for wait it also
// says how long.
func judge(rec *record, t ticket, seq uint64, now time.Time) (verdict, time.Duration) {
	switch {
	case rec == nil:
		// The submitter publishes before it writes the record.
		return wait, 0
	case t.Ticket < rec.Ticket:
		return drop, 0
	case t.Ticket > rec.Ticket:
		// A retry-now published before its record update landed.
		return wait, 0
	case rec.State.Final():
		return drop, 0
	case rec.State == Running:
		if rec.RunSeq == seq {
			return lost, 0
		}
		return drop, 0
	case now.Before(rec.RunAt):
		return wait, rec.RunAt.Sub(now)
	}
	return run, 0
}

// claim starts an attempt on node for the message with stream sequence seq.
func (r *record) claim(node string, seq uint64, now time.Time) {
	r.State = Running
	r.Attempts++
	r.RunSeq = seq
	r.Worker = node
	r.StartedAt = now
	r.FinishedAt = time.Time{}
	r.Result = nil
	r.Error = nil
}

// finish settles the running attempt: success, a retry after backoff, or a
// final failure or cancellation. retryable is false for failures a retry
// cannot fix.
func (r *record) finish(result json.RawMessage, jerr *JobError, retryable bool, now time.Time, backoff func(attempt int) time.Duration) {
	r.Result, r.Error = nil, jerr
	switch {
	case jerr == nil:
		r.State, r.Result = Succeeded, result
	case r.CancelRequested:
		r.State = Cancelled
	case retryable && r.Attempts <= r.Retries:
		r.State = Retrying
		r.RunAt = now.Add(backoff(r.Attempts))
		return
	default:
		r.State = Failed
	}
	r.FinishedAt = now
}

// lose settles an attempt whose node went away: a failure like any other,
// retried if the budget allows.
func (r *record) lose(now time.Time, backoff func(int) time.Duration) {
	r.finish(nil, &JobError{Kind: "lost", Message: fmt.Sprintf("node %s went away during attempt %d", r.Worker, r.Attempts)}, true, now, backoff)
}

// requeue returns an attempt interrupted by the node's shutdown to the
// queue without counting it, under a new ticket.
func (r *record) requeue(now time.Time) {
	r.State = Queued
	r.Attempts--
	r.Ticket++
	r.RunAt = now
	r.StartedAt = time.Time{}
}

// errConflict reports a request that the job's state does not allow.
type errConflict struct{ msg string }

func (e *errConflict) Error() string { return e.msg }

// cancel cancels a waiting job at once, or asks the node running it to stop.
func (r *record) cancel(now time.Time) error {
	switch {
	case r.State.waiting():
		r.State = Cancelled
		r.Error = &JobError{Kind: "cancelled", Message: "cancelled before it started"}
		r.FinishedAt = now
	case r.State == Running:
		r.CancelRequested = true
	default:
		return &errConflict{fmt.Sprintf("job %s is already %s", r.ID, r.State)}
	}
	return nil
}

// retry puts a failed or cancelled job back in the queue, or makes a job
// waiting out its backoff due now, with a fresh retry budget. The caller
// publishes a message with the new ticket.
func (r *record) retry(now time.Time) error {
	switch r.State {
	case Failed, Cancelled, Retrying:
	default:
		return &errConflict{fmt.Sprintf("job %s is %s; only failed, cancelled or retrying jobs can be retried", r.ID, r.State)}
	}
	r.State = Queued
	r.Ticket++
	r.Attempts = 0
	r.Result, r.Error = nil, nil
	r.CancelRequested = false
	r.RunAt = now
	r.StartedAt, r.FinishedAt = time.Time{}, time.Time{}
	return nil
}

// Why an attempt's context was cancelled. The engine reads the cause to
// tell a cancellation on request from a timeout and from a shutdown.
var (
	errCancelRequested = errors.New("job cancelled on request")
	errShutdown        = errors.New("node shutting down")
)

// classify turns an attempt's outcome into the error recorded on the job.
// cause is context.Cause of the attempt's context (nil if it is not done);
// it wins over err, since a function that was cancelled usually returns
// some wrapping of ctx.Err().
func classify(err, cause error, timeout time.Duration) (jerr *JobError, retryable bool) {
	if err == nil {
		return nil, false
	}
	switch {
	case errors.Is(cause, errCancelRequested):
		return &JobError{Kind: "cancelled", Message: "cancelled on request while running"}, false
	case errors.Is(cause, context.DeadlineExceeded):
		return &JobError{Kind: "timeout", Message: fmt.Sprintf("attempt exceeded its %v timeout", timeout)}, true
	}
	var se *settledError
	if errors.As(err, &se) {
		return se.jerr, se.retryable
	}
	var je *JobError
	if errors.As(err, &je) {
		return je, je.Kind != "bad_args" && je.Kind != "unknown"
	}
	var pe *concur.PanicError
	if errors.As(err, &pe) {
		return &JobError{Kind: "panic", Message: fmt.Sprint(pe.Value), Stack: string(pe.Stack)}, true
	}
	if errors.Is(err, concur.ErrGoexit) {
		return &JobError{Kind: "panic", Message: err.Error()}, true
	}
	return &JobError{Kind: "error", Message: err.Error()}, !errors.Is(err, ErrSkipRetry)
}

// backoff returns the delay before retry number attempt (1 for the first
// retry): base doubled per attempt, capped at max, with "equal jitter" — half
// fixed, half random — so that jobs failing together do not retry in lock
// step yet never retry sooner than half the nominal delay.
func backoff(base, max time.Duration) func(attempt int) time.Duration {
	return func(attempt int) time.Duration {
		d := base
		for i := 1; i < attempt && d < max; i++ {
			d *= 2
		}
		d = min(d, max)
		if d <= 1 {
			return d
		}
		return d/2 + rand.N(d/2)
	}
}
