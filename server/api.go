package server

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The HTTP API. Every request and response body is JSON; every error is an
// APIError. Routes (all but /healthz, /readyz and the browser page at /
// need the bearer token when one is configured):
//
//	POST /jobs                 submit a JobRequest → 201 Job (200 for an idempotent repeat)
//	GET  /jobs                 list, newest first: ?state=a,b&mode=&function=&command=&limit=&cursor=
//	GET  /jobs/{id}            one Job
//	POST /jobs/{id}/cancel     cancel → 200 Job (cancelled), 202 Job (running, being stopped)
//	POST /jobs/{id}/retry      retry a failed or cancelled job, or a retrying one now → 200 Job
//	GET  /jobs/{id}/events     server-sent events: the job now and at each change, until it is final
//	GET  /events               server-sent events of every job (filters as GET /jobs)
//	GET  /functions            registered functions and allowed commands
//	GET  /queues               jobs per mode and state, undelivered messages per priority
//	GET  /workers              live nodes, their slots and running attempts
//	GET  /stats                per-second throughput and latency: ?seconds=300 (max 600)
//	GET  /metrics              Prometheus
//	GET  /healthz, /readyz     liveness and readiness

const (
	defaultPageSize = 50
	maxPageSize     = 1000
	// indexWait bounds how long a listing waits for a starting node's
	// index to load.
	indexWait = 10 * time.Second
)

// handler assembles the HTTP stack. From the outside in: the outer
// middleware (CORS, see mount.go), metrics, panic recovery, then the
// public routes or — behind the token — the API.
func (s *Server) handler() http.Handler {
	public := http.NewServeMux()
	public.HandleFunc("GET /healthz", s.health)
	public.HandleFunc("GET /readyz", s.readiness)
	s.mountUI(public)

	api := http.NewServeMux()
	api.HandleFunc("POST /jobs", s.postJob)
	api.HandleFunc("GET /jobs", s.listJobs)
	api.HandleFunc("GET /jobs/{id}", s.getJob)
	api.HandleFunc("POST /jobs/{id}/cancel", s.cancelJob)
	api.HandleFunc("POST /jobs/{id}/retry", s.retryJob)
	api.HandleFunc("GET /jobs/{id}/events", s.jobEvents)
	api.HandleFunc("GET /events", s.allEvents)
	api.HandleFunc("GET /functions", s.functions)
	api.HandleFunc("GET /queues", s.queues)
	api.HandleFunc("GET /workers", s.workers)
	api.HandleFunc("GET /stats", s.statsSeries)
	api.Handle("GET /metrics", s.met.handler())

	token := sha256.Sum256([]byte(s.cfg.Token))
	root := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, pattern := public.Handler(r); pattern != "" {
			public.ServeHTTP(w, r) // which sets r.Pattern, for the metrics
			return
		}
		if s.cfg.Token != "" && !authorized(r, token) {
			w.Header().Set("WWW-Authenticate", `Bearer realm="concur"`)
			writeError(w, apiErr(http.StatusUnauthorized, "unauthorized", "", "send the API token as Authorization: Bearer <token>"))
			return
		}
		h, pattern := api.Handler(r)
		if pattern == "" {
			unmatched(w, r, h)
			return
		}
		api.ServeHTTP(w, r)
	})
	return s.wrapOuter(s.met.instrument(recoverer(s, root)))
}

func authorized(r *http.Request, token [32]byte) bool {
	got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	sum := sha256.Sum256([]byte(got)) // compare hashes: constant time whatever the lengths
	return ok && subtle.ConstantTimeCompare(sum[:], token[:]) == 1
}

// unmatched answers a request no route matched with a JSON 404 or 405:
// the mux's own handler decides which (and sets Allow), but writes text.
func unmatched(w http.ResponseWriter, r *http.Request, h http.Handler) {
	rec := &codeRecorder{header: make(http.Header), code: http.StatusNotFound}
	h.ServeHTTP(rec, r)
	if rec.code == http.StatusMethodNotAllowed {
		w.Header().Set("Allow", rec.header.Get("Allow"))
		writeError(w, apiErr(http.StatusMethodNotAllowed, "method_not_allowed", "", "%s is not allowed on %s (allowed: %s)", r.Method, r.URL.Path, rec.header.Get("Allow")))
		return
	}
	writeError(w, apiErr(http.StatusNotFound, "not_found", "", "no route %s %s", r.Method, r.URL.Path))
}

// codeRecorder keeps the status code and headers a handler writes and
// discards the body.
type codeRecorder struct {
	header http.Header
	code   int
}

func (c *codeRecorder) Header() http.Header         { return c.header }
func (c *codeRecorder) Write(p []byte) (int, error) { return len(p), nil }
func (c *codeRecorder) WriteHeader(code int)        { c.code = code }

// recoverer turns a panic in a handler — a bug, never bad input — into a
// logged 500 with a JSON body, instead of a dropped connection.
func recoverer(s *Server, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.log.Error("panic serving request", "method", r.Method, "path", r.URL.Path, "panic", v)
				writeJSON(w, http.StatusInternalServerError, apiErr(http.StatusInternalServerError, "internal", "", "internal error"))
			}
		}()
		h.ServeHTTP(w, r)
	})
}

func (s *Server) health(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// readiness is ready when the node serves, is not draining, is connected to
// NATS and has loaded its index.
func (s *Server) readiness(w http.ResponseWriter, r *http.Request) {
	var reason string
	switch {
	case !s.ready.Load():
		reason = "starting or shutting down"
	case !s.st.nc.IsConnected():
		reason = "not connected to NATS"
	default:
		select {
		case <-s.idx.ready:
		default:
			reason = "loading jobs"
		}
	}
	if reason != "" {
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "unavailable", "reason": reason})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
}

func (s *Server) postJob(w http.ResponseWriter, r *http.Request) {
	var req JobRequest
	if err := decodeBody(w, r, s.cfg.MaxBodyBytes, &req); err != nil {
		writeError(w, err)
		return
	}
	if key := r.Header.Get("Idempotency-Key"); key != "" {
		if req.IdempotencyKey != "" && req.IdempotencyKey != key {
			writeError(w, apiErr(http.StatusUnprocessableEntity, "bad_idempotency_key", "idempotency_key", "the Idempotency-Key header and the idempotency_key field differ"))
			return
		}
		req.IdempotencyKey = key
	}
	job, created, err := s.submit(r.Context(), &req)
	if err != nil {
		writeError(w, err)
		return
	}
	w.Header().Set("Location", "/jobs/"+job.ID)
	if !created {
		w.Header().Set("Idempotent-Replayed", "true")
		writeJSON(w, http.StatusOK, job)
		return
	}
	writeJSON(w, http.StatusCreated, job)
}

// jobID reads and checks the {id} path segment.
func jobID(r *http.Request) (string, error) {
	id := r.PathValue("id")
	if !validID(id) {
		return "", apiErr(http.StatusNotFound, "not_found", "id", "no job %q", id)
	}
	return id, nil
}

func (s *Server) getJob(w http.ResponseWriter, r *http.Request) {
	id, err := jobID(r)
	if err != nil {
		writeError(w, err)
		return
	}
	rec, _, err := s.st.get(r.Context(), id)
	if errors.Is(err, errNotFound) {
		err = apiErr(http.StatusNotFound, "not_found", "id", "no job %q", id)
	}
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, &rec.Job)
}

// change applies a state change to a job by compare-and-swap, and
// enqueues it if the change bumps its ticket; it maps failures onto API
// errors.
func (s *Server) change(ctx context.Context, id string, enqueue bool, fn func(r *record) error) (*record, error) {
	update := s.st.update
	if enqueue {
		update = s.st.updateEnqueue
	}
	rec, err := update(ctx, id, func(r *record) error {
		if r == nil {
			return errNotFound
		}
		return fn(r)
	})
	var conflict *errConflict
	switch {
	case errors.Is(err, errNotFound):
		return nil, apiErr(http.StatusNotFound, "not_found", "id", "no job %q", id)
	case errors.As(err, &conflict):
		return nil, apiErr(http.StatusConflict, "conflict", "", "%s", conflict.msg)
	}
	return rec, err
}

func (s *Server) cancelJob(w http.ResponseWriter, r *http.Request) {
	id, err := jobID(r)
	if err != nil {
		writeError(w, err)
		return
	}
	now := time.Now().UTC()
	rec, err := s.change(r.Context(), id, false, func(r *record) error { return r.cancel(now) })
	if err != nil {
		writeError(w, err)
		return
	}
	if rec.State == Running {
		// The node running it stops it on this broadcast; should the
		// broadcast be missed, its heartbeat reads the flag.
		s.st.nc.Publish(cancelSubject, []byte(id))
		writeJSON(w, http.StatusAccepted, &rec.Job)
		return
	}
	writeJSON(w, http.StatusOK, &rec.Job)
}

// retryJob re-enqueues a job with a new ticket.
func (s *Server) retryJob(w http.ResponseWriter, r *http.Request) {
	id, err := jobID(r)
	if err != nil {
		writeError(w, err)
		return
	}
	now := time.Now().UTC()
	rec, err := s.change(r.Context(), id, true, func(r *record) error { return r.retry(now) })
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, &rec.Job)
}

// parseQuery reads the job filters shared by GET /jobs and GET /events.
// Unknown parameters are refused, so a misspelt filter is not silently
// ignored.
func parseQuery(v url.Values, allowed ...string) (*query, error) {
	for k := range v {
		if !slices.Contains(allowed, k) {
			return nil, apiErr(http.StatusBadRequest, "bad_query", k, "unknown query parameter %q (allowed: %s)", k, strings.Join(allowed, ", "))
		}
	}
	q := &query{function: v.Get("function"), command: v.Get("command")}
	if s := v.Get("state"); s != "" {
		for name := range strings.SplitSeq(s, ",") {
			st, err := ParseState(strings.TrimSpace(name))
			if err != nil {
				return nil, apiErr(http.StatusBadRequest, "bad_query", "state", "%v", err)
			}
			q.states = append(q.states, st)
		}
	}
	if m := v.Get("mode"); m != "" {
		mode, err := ParseMode(m)
		if err != nil {
			return nil, apiErr(http.StatusBadRequest, "bad_query", "mode", "%v", err)
		}
		q.mode = mode
	}
	return q, nil
}

// waitIndex waits for the index's first load.
func (s *Server) waitIndex(ctx context.Context) error {
	t := time.NewTimer(indexWait)
	defer t.Stop()
	select {
	case <-s.idx.ready:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return apiErr(http.StatusServiceUnavailable, "unavailable", "", "the job index is still loading; try again")
	}
}

// JobList is the body of GET /jobs. NextCursor, when present, fetches the
// next page: GET /jobs?cursor=<next_cursor> with the same filters.
type JobList struct {
	Jobs       []*Job `json:"jobs"`
	NextCursor string `json:"next_cursor,omitempty"`
}

func (s *Server) listJobs(w http.ResponseWriter, r *http.Request) {
	v := r.URL.Query()
	q, err := parseQuery(v, "state", "mode", "function", "command", "limit", "cursor")
	if err != nil {
		writeError(w, err)
		return
	}
	limit := defaultPageSize
	if l := v.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > maxPageSize {
			writeError(w, apiErr(http.StatusBadRequest, "bad_query", "limit", "limit must be an integer from 1 to %d", maxPageSize))
			return
		}
		limit = n
	}
	if err := s.waitIndex(r.Context()); err != nil {
		writeError(w, err)
		return
	}
	jobs, next, err := s.idx.list(q, v.Get("cursor"), limit)
	if err != nil {
		writeError(w, apiErr(http.StatusBadRequest, "bad_query", "cursor", "%v", err))
		return
	}
	writeJSON(w, http.StatusOK, JobList{Jobs: jobs, NextCursor: next})
}

func (s *Server) functions(w http.ResponseWriter, r *http.Request) {
	type command struct {
		ExtraArgs bool `json:"extra_args"`
	}
	cmds := make(map[string]command, len(s.cfg.Commands))
	for name, spec := range s.cfg.Commands {
		cmds[name] = command{spec.ExtraArgs}
	}
	writeJSON(w, http.StatusOK, map[string]any{"functions": Functions(), "commands": cmds})
}

// QueueInfo is one mode's entry in GET /queues: how many kept jobs are in
// each state, and how many queue messages no node has taken yet per
// priority.
type QueueInfo struct {
	States  map[State]int    `json:"states"`
	Pending map[Priority]int `json:"pending"`
}

func (s *Server) queues(w http.ResponseWriter, r *http.Request) {
	if err := s.waitIndex(r.Context()); err != nil {
		writeError(w, err)
		return
	}
	counts := s.idx.counts()
	out := make(map[Mode]QueueInfo, len(modes))
	for _, m := range modes {
		qi := QueueInfo{States: make(map[State]int), Pending: make(map[Priority]int)}
		for _, st := range states {
			qi.States[st] = counts[m][st]
		}
		for _, p := range priorities {
			info, err := s.st.consumers[m][p].Info(r.Context())
			if err != nil {
				writeError(w, err)
				return
			}
			qi.Pending[p] = int(info.NumPending)
		}
		out[m] = qi
	}
	writeJSON(w, http.StatusOK, map[string]any{"modes": out})
}

func (s *Server) workers(w http.ResponseWriter, r *http.Request) {
	nodes, err := listNodes(r.Context(), s.st.nodes)
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"workers": nodes})
}

func (s *Server) statsSeries(w http.ResponseWriter, r *http.Request) {
	v := r.URL.Query()
	if _, err := parseQuery(v, "seconds"); err != nil {
		writeError(w, err)
		return
	}
	n := 300
	if sec := v.Get("seconds"); sec != "" {
		var err error
		if n, err = strconv.Atoi(sec); err != nil || n < 1 || n > statsWindow {
			writeError(w, apiErr(http.StatusBadRequest, "bad_query", "seconds", "seconds must be an integer from 1 to %d", statsWindow))
			return
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"interval": "1s", "points": s.stats.series(n, time.Now())})
}
