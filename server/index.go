package server

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// index is a server node's in-memory view of every job record, kept current
// by watching the jobs bucket. A KV bucket cannot be queried, so listing,
// filtering, counting, the event streams and the dashboard's statistics
// all read this view. It lags the bucket by the watch's latency: a job
// fetched by ID is read from the bucket itself.
type index struct {
	log   *slog.Logger
	stats *stats

	mu    sync.RWMutex
	byID  map[string]*entry
	order []*entry               // by (CreatedAt, ID), oldest first
	tally map[Mode]map[State]int // jobs per mode and state
	subs  map[*subscriber]struct{}
	ready chan struct{} // closed once the initial records are loaded
}

type entry struct {
	job *Job // immutable: an update replaces the pointer
	rev uint64
}

func newIndex(log *slog.Logger, st *stats) *index {
	return &index{
		log:   log,
		stats: st,
		byID:  make(map[string]*entry),
		tally: make(map[Mode]map[State]int),
		subs:  make(map[*subscriber]struct{}),
		ready: make(chan struct{}),
	}
}

// watch feeds the index from kv until ctx is done.
func (x *index) watch(ctx context.Context, kv jetstream.KeyValue) error {
	w, err := kv.WatchAll(ctx)
	if err != nil {
		return err
	}
	defer w.Stop()
	live := false
	for e := range w.Updates() {
		if e == nil {
			live = true
			close(x.ready)
			continue
		}
		if op := e.Operation(); op == jetstream.KeyValueDelete || op == jetstream.KeyValuePurge {
			x.remove(e.Key(), live)
			continue
		}
		r := new(record)
		if err := json.Unmarshal(e.Value(), r); err != nil {
			x.log.Warn("skipping corrupt job record", "key", e.Key(), "err", err)
			continue
		}
		x.put(&r.Job, e.Revision(), live)
	}
	return ctx.Err()
}

func before(a, b *Job) int {
	return cmp.Or(a.CreatedAt.Compare(b.CreatedAt), strings.Compare(a.ID, b.ID))
}

func (x *index) find(j *Job) (int, bool) {
	return slices.BinarySearchFunc(x.order, j, func(e *entry, j *Job) int { return before(e.job, j) })
}

func (x *index) count(j *Job, d int) {
	m := x.tally[j.Mode]
	if m == nil {
		m = make(map[State]int)
		x.tally[j.Mode] = m
	}
	m[j.State] += d
	if m[j.State] == 0 {
		delete(m, j.State)
	}
}

func (x *index) put(j *Job, rev uint64, live bool) {
	x.mu.Lock()
	defer x.mu.Unlock()
	old := x.byID[j.ID]
	var prev *Job
	if old != nil {
		prev = old.job
		x.count(prev, -1)
		old.job, old.rev = j, rev
		if !prev.CreatedAt.Equal(j.CreatedAt) { // never, but keep the order true
			x.removeOrdered(prev)
			x.insertOrdered(old)
		}
	} else {
		e := &entry{job: j, rev: rev}
		x.byID[j.ID] = e
		x.insertOrdered(e)
	}
	x.count(j, +1)
	if live {
		x.stats.observe(prev, j, time.Now())
		x.broadcast(event{job: j, rev: rev})
	}
}

func (x *index) insertOrdered(e *entry) {
	i, _ := x.find(e.job)
	x.order = slices.Insert(x.order, i, e)
}

func (x *index) removeOrdered(j *Job) {
	if i, ok := x.find(j); ok {
		x.order = slices.Delete(x.order, i, i+1)
	}
}

func (x *index) remove(id string, live bool) {
	x.mu.Lock()
	defer x.mu.Unlock()
	e := x.byID[id]
	if e == nil {
		return
	}
	delete(x.byID, id)
	x.removeOrdered(e.job)
	x.count(e.job, -1)
	if live {
		x.broadcast(event{deleted: id})
	}
}

// query selects jobs. Empty fields match everything.
type query struct {
	states   []State
	mode     Mode
	function string
	command  string
}

func (q *query) match(j *Job) bool {
	return (len(q.states) == 0 || slices.Contains(q.states, j.State)) &&
		(q.mode == "" || q.mode == j.Mode) &&
		(q.function == "" || q.function == j.Function) &&
		(q.command == "" || q.command == j.Command)
}

// list returns up to limit jobs matching q, newest first, starting after
// the cursor a previous page returned (empty: from the newest). The next
// cursor is empty after the last page.
func (x *index) list(q *query, cursor string, limit int) ([]*Job, string, error) {
	x.mu.RLock()
	defer x.mu.RUnlock()
	end := len(x.order)
	if cursor != "" {
		at, err := parseCursor(cursor)
		if err != nil {
			return nil, "", err
		}
		end, _ = x.find(at) // entries before the cursor's position
	}
	jobs := []*Job{}
	for i := end - 1; i >= 0; i-- {
		j := x.order[i].job
		if !q.match(j) {
			continue
		}
		if len(jobs) == limit {
			last := jobs[len(jobs)-1]
			return jobs, strconv.FormatInt(last.CreatedAt.UnixNano(), 10) + "." + last.ID, nil
		}
		jobs = append(jobs, j)
	}
	return jobs, "", nil
}

// parseCursor reads "unixnanos.id": the sort key of the last job of a page.
func parseCursor(s string) (*Job, error) {
	ns, id, ok := strings.Cut(s, ".")
	n, err := strconv.ParseInt(ns, 10, 64)
	if !ok || err != nil || !validID(id) {
		return nil, fmt.Errorf("bad cursor %q", s)
	}
	return &Job{ID: id, CreatedAt: time.Unix(0, n)}, nil
}

// counts returns how many jobs are in each state, per mode.
func (x *index) counts() map[Mode]map[State]int {
	x.mu.RLock()
	defer x.mu.RUnlock()
	out := make(map[Mode]map[State]int, len(x.tally))
	for m, byState := range x.tally {
		out[m] = maps.Clone(byState)
	}
	return out
}

// expired returns the IDs and revisions of finished jobs older than cutoff.
func (x *index) expired(cutoff time.Time) map[string]uint64 {
	x.mu.RLock()
	defer x.mu.RUnlock()
	out := make(map[string]uint64)
	for id, e := range x.byID {
		if e.job.State.Final() && e.job.FinishedAt.Before(cutoff) {
			out[id] = e.rev
		}
	}
	return out
}

// event is one change seen by the index: a job's new snapshot, or the ID
// of a deleted job.
type event struct {
	job     *Job
	rev     uint64 // the record's revision
	deleted string
}

// subscriber receives the index's events that pass its filter. A
// subscriber that falls more than its buffer behind is dropped — its
// channel is closed — rather than slowing the index: an event stream
// client reconnects and starts again from the current state.
type subscriber struct {
	ch     chan event
	filter func(*Job) bool
}

const subscriberBuffer = 256

// subscribe registers a subscriber; cancel unregisters it.
func (x *index) subscribe(filter func(*Job) bool) (events <-chan event, cancel func()) {
	s := &subscriber{ch: make(chan event, subscriberBuffer), filter: filter}
	x.mu.Lock()
	x.subs[s] = struct{}{}
	x.mu.Unlock()
	return s.ch, func() {
		x.mu.Lock()
		defer x.mu.Unlock()
		if _, ok := x.subs[s]; ok {
			delete(x.subs, s)
			close(s.ch)
		}
	}
}

// broadcast is called with x.mu held.
func (x *index) broadcast(ev event) {
	for s := range x.subs {
		if ev.job != nil && s.filter != nil && !s.filter(ev.job) {
			continue
		}
		select {
		case s.ch <- ev:
		default:
			delete(x.subs, s)
			close(s.ch)
		}
	}
}
