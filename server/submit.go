package server

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"time"
	"unicode"

	"github.com/nats-io/nats.go/jetstream"
)

const (
	maxRetries        = 100
	maxDelay          = 366 * 24 * time.Hour
	maxIdempotencyKey = 255
)

// validateRequest checks a submission against the registry and the
// operator's configuration and returns the record it asks for, without ID,
// ticket or times. Every way a request can be wrong is a 4xx APIError.
func validateRequest(cfg *Config, req *JobRequest) (*record, *APIError) {
	r := &record{Job: Job{Function: req.Function, Command: req.Command, Mode: req.Mode, Priority: req.Priority}}
	switch {
	case req.Function == "" && req.Command == "":
		return nil, apiErr(http.StatusUnprocessableEntity, "missing_function", "function", "name a registered function (function) or an allowed command (command)")
	case req.Function != "" && req.Command != "":
		return nil, apiErr(http.StatusUnprocessableEntity, "bad_mode", "command", "give either function or command, not both")
	}
	if len(req.Args) > 0 {
		var compact bytes.Buffer
		if err := json.Compact(&compact, req.Args); err != nil {
			return nil, apiErr(http.StatusBadRequest, "malformed_json", "args", "args: %v", err)
		}
		if compact.String() != "null" {
			r.Args = compact.Bytes()
		}
	}

	if req.Command != "" {
		if r.Mode == "" {
			r.Mode = Command
		}
		if r.Mode != Command {
			return nil, apiErr(http.StatusUnprocessableEntity, "bad_mode", "mode", "a command runs in mode command, not %q", req.Mode)
		}
		spec, ok := cfg.Commands[req.Command]
		if !ok {
			return nil, apiErr(http.StatusForbidden, "command_not_allowed", "command", "command %q is not in the server's allow-list", req.Command)
		}
		if _, err := commandArgs(spec, r.Args); err != nil {
			return nil, apiErr(http.StatusUnprocessableEntity, "bad_args", "args", "%v", err)
		}
	} else {
		if r.Mode == "" {
			r.Mode = Thread
		}
		switch r.Mode {
		case Thread, Process:
		case Command:
			return nil, apiErr(http.StatusUnprocessableEntity, "bad_mode", "mode", "mode command runs an allow-listed command: give command, not function")
		default:
			return nil, apiErr(http.StatusUnprocessableEntity, "bad_mode", "mode", "unknown mode %q (want thread, process or command)", req.Mode)
		}
		f := lookup(req.Function)
		if f == nil {
			return nil, apiErr(http.StatusUnprocessableEntity, "unknown_function", "function", "no function %q (registered: %s)", req.Function, strings.Join(Functions(), ", "))
		}
		if err := f.check(r.Args); err != nil {
			return nil, apiErr(http.StatusUnprocessableEntity, "bad_args", "args", "bad args for %s: %v", req.Function, err)
		}
	}

	if r.Priority == "" {
		r.Priority = Normal
	}
	if _, err := ParsePriority(string(r.Priority)); err != nil {
		return nil, apiErr(http.StatusUnprocessableEntity, "bad_priority", "priority", "%v", err)
	}
	r.Timeout = req.Timeout
	if r.Timeout == 0 {
		r.Timeout = cfg.DefaultTimeout
	}
	if r.Timeout < 0 {
		return nil, apiErr(http.StatusUnprocessableEntity, "bad_timeout", "timeout", "timeout must not be negative")
	}
	r.Retries = cfg.DefaultRetries
	if req.Retries != nil {
		r.Retries = *req.Retries
	}
	if r.Retries < 0 || r.Retries > maxRetries {
		return nil, apiErr(http.StatusUnprocessableEntity, "bad_retries", "retries", "retries must be between 0 and %d", maxRetries)
	}
	if req.Delay < 0 || time.Duration(req.Delay) > maxDelay {
		return nil, apiErr(http.StatusUnprocessableEntity, "bad_delay", "delay", "delay must be between 0 and %v", maxDelay)
	}
	if k := req.IdempotencyKey; len(k) > maxIdempotencyKey || strings.ContainsFunc(k, func(c rune) bool { return !unicode.IsPrint(c) }) {
		return nil, apiErr(http.StatusUnprocessableEntity, "bad_idempotency_key", "idempotency_key", "an idempotency key is at most %d printable characters", maxIdempotencyKey)
	}
	r.IdempotencyKey = req.IdempotencyKey
	if r.IdempotencyKey != "" {
		// What the request asks for, so that the key's reuse for another
		// request is refused rather than answered with the wrong job.
		b, _ := json.Marshal([]any{r.Function, r.Command, r.Args, r.Mode, r.Priority, r.Timeout, r.Retries, req.Delay})
		sum := sha256.Sum256(b)
		r.ReqHash = hex.EncodeToString(sum[:])
	}
	return r, nil
}

// submit accepts a job: it is in the queue and on record when submit
// returns without error. created is false when an idempotency key found
// the job of an earlier submission.
//
// The queue message is published before the record is written. A crash
// in between leaves a message without a record, which the nodes drop after
// a while (see orphanAge) — and no 2xx was answered. The other order would
// leave a record without a message: a job shown as queued forever.
func (s *Server) submit(ctx context.Context, req *JobRequest) (job *Job, created bool, err error) {
	r, aerr := validateRequest(&s.cfg, req)
	if aerr != nil {
		return nil, false, aerr
	}
	now := time.Now().UTC()
	if r.IdempotencyKey != "" {
		r.ID = idempotentID(r.IdempotencyKey)
		if old, err := s.existing(ctx, r); !errors.Is(err, errNotFound) {
			return old, false, err
		}
	} else {
		r.ID = newID(now)
	}
	r.Ticket = 1
	r.CreatedAt, r.RunAt = now, now.Add(time.Duration(req.Delay))
	r.State = Queued
	if req.Delay > 0 {
		r.State = Scheduled
	}
	if _, err := s.st.encode(r); err != nil {
		return nil, false, apiErr(http.StatusRequestEntityTooLarge, "body_too_large", "args", "the job does not fit in the store's messages")
	}
	if err := s.st.enqueue(ctx, r); err != nil {
		s.log.Error("enqueueing job", "job", r.ID, "err", err)
		return nil, false, err
	}
	err = s.st.create(ctx, r)
	if errors.Is(err, jetstream.ErrKeyExists) && r.IdempotencyKey != "" {
		// A concurrent submission with the same key won the race.
		old, err := s.existing(ctx, r)
		return old, false, err
	}
	if err != nil {
		s.log.Error("recording job", "job", r.ID, "err", err)
		return nil, false, err
	}
	s.st.wake(r)
	s.met.submitted.WithLabelValues(string(r.Mode)).Inc()
	return &r.Job, true, nil
}

// existing returns the job an idempotency key already created, errNotFound
// if there is none, or a conflict if it was created by another request.
func (s *Server) existing(ctx context.Context, r *record) (*Job, error) {
	old, _, err := s.st.get(ctx, r.ID)
	if err != nil {
		return nil, err
	}
	if old.ReqHash != r.ReqHash {
		return nil, apiErr(http.StatusConflict, "idempotency_conflict", "idempotency_key",
			"idempotency key %q was used for a different request (job %s)", r.IdempotencyKey, old.ID)
	}
	return &old.Job, nil
}
