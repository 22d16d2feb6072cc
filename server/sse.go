package server

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"
)

// Server-sent events. A stream carries
//
//	event: job       data: a Job, at each change
//	event: deleted   data: {"id": "..."} when retention removed a job
//	event: lagged    data: {} — the client fell too far behind; the stream
//	                 ends and the client (EventSource reconnects by itself)
//	                 starts again from the current state
//
// and a comment line every sseKeepAlive so that proxies keep it open. The
// events come from the job index, so they include jobs run by every node.

const sseKeepAlive = 15 * time.Second

type sseWriter struct {
	w  http.ResponseWriter
	rc *http.ResponseController
}

func startSSE(w http.ResponseWriter) *sseWriter {
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no") // nginx: do not buffer the stream
	w.WriteHeader(http.StatusOK)
	s := &sseWriter{w: w, rc: http.NewResponseController(w)}
	fmt.Fprint(w, "retry: 2000\n\n")
	s.rc.Flush()
	return s
}

func (s *sseWriter) send(name string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	if _, err := fmt.Fprintf(s.w, "event: %s\ndata: %s\n\n", name, b); err != nil {
		return err
	}
	return s.rc.Flush()
}

func (s *sseWriter) ping() error {
	if _, err := fmt.Fprint(s.w, ": ping\n\n"); err != nil {
		return err
	}
	return s.rc.Flush()
}

// stream relays events until the client leaves, the server shuts down or
// the subscriber lags. pick says whether to send an event and whether it
// is the stream's last.
func (s *Server) stream(r *http.Request, events <-chan event, out *sseWriter, pick func(ev event) (send, last bool)) {
	keep := time.NewTicker(sseKeepAlive)
	defer keep.Stop()
	for {
		select {
		case <-r.Context().Done():
			return
		case <-s.closing:
			return
		case <-keep.C:
			if out.ping() != nil {
				return
			}
		case ev, ok := <-events:
			if !ok {
				out.send("lagged", struct{}{})
				return
			}
			send, last := pick(ev)
			if !send {
				continue
			}
			var err error
			if ev.job != nil {
				err = out.send("job", ev.job)
			} else {
				err = out.send("deleted", map[string]string{"id": ev.deleted})
			}
			if err != nil || last {
				return
			}
		}
	}
}

func (s *Server) allEvents(w http.ResponseWriter, r *http.Request) {
	q, err := parseQuery(r.URL.Query(), "state", "mode", "function", "command")
	if err != nil {
		writeError(w, err)
		return
	}
	events, cancel := s.idx.subscribe(q.match)
	defer cancel()
	s.stream(r, events, startSSE(w), func(event) (bool, bool) { return true, false })
}

// jobEvents sends the job as it is now, then each change, and ends after
// the job reaches a final state.
func (s *Server) jobEvents(w http.ResponseWriter, r *http.Request) {
	id, err := jobID(r)
	if err != nil {
		writeError(w, err)
		return
	}
	// Subscribe before reading the record, so no change falls in between;
	// changes the record already shows are skipped by revision.
	events, cancel := s.idx.subscribe(func(j *Job) bool { return j.ID == id })
	defer cancel()
	rec, rev, err := s.st.get(r.Context(), id)
	if errors.Is(err, errNotFound) {
		err = apiErr(http.StatusNotFound, "not_found", "id", "no job %q", id)
	}
	if err != nil {
		writeError(w, err)
		return
	}
	out := startSSE(w)
	if out.send("job", &rec.Job) != nil || rec.State.Final() {
		return
	}
	s.stream(r, events, out, func(ev event) (send, last bool) {
		if ev.job == nil {
			return ev.deleted == id, ev.deleted == id
		}
		return ev.rev > rev, ev.job.State.Final()
	})
}
