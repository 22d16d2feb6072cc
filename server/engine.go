package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// runner runs one attempt of a job in one mode. It returns when the attempt
// is over — for a command job, after the child has been reaped; for a
// process job, once its worker has answered or been told to die (the pool
// reaps it and starts another, and nothing else runs on it meanwhile).
// When ctx is done it stops the work as hard as its mode allows: a thread
// job's function sees ctx cancelled (and returns when it chooses: a
// goroutine cannot be killed), a process or command job is killed.
type runner interface {
	run(ctx context.Context, r *record) (json.RawMessage, error)
}

// pollInterval bounds how long a lane sleeps when it saw no work:
// messages becoming due on another node's nak wake nobody here. A test
// lengthens it.
var pollInterval = time.Second

const (
	// orphanAge is how long a queue message may wait for its record before
	// it is dropped: its submitter died between publishing and writing
	// the record, and never answered 2xx. It outlasts the dedupe window,
	// so that a resubmission whose publish JetStream deduplicated still
	// finds the first message alive.
	orphanAge = dedupeWindow + time.Minute
	// shutdownGrace is how long a shutdown waits for attempts it stopped.
	shutdownGrace = 5 * time.Second
	// opTimeout bounds one store operation of the engine.
	opTimeout = 10 * time.Second
)

// lane takes and runs the jobs of one mode on this node, at most slots at
// a time, high priority first.
type lane struct {
	mode    Mode
	slots   int
	runner  runner
	running atomic.Int64
	wake    chan struct{} // a job may be waiting, or a slot freed
	// maybe[i] says that priorities[i]'s consumer may hold a message, so
	// that an idle lane's fetch asks only where a job arrived, not every
	// priority in turn.
	maybe [3]atomic.Bool
	// due[i] counts the jobs that wakes announced for priorities[i] and
	// no fetch has taken yet; tries[i], the rechecks made since due last
	// rose from zero; rechecking[i] says one is scheduled (see
	// recheckAfter).
	due        [3]atomic.Int64
	tries      [3]atomic.Int32
	rechecking [3]atomic.Bool
}

// recheckAfter is when a lane looks again for jobs that wakes announced
// and its fetch did not find. JetStream acknowledges a publish once the
// stream has stored the message and tells its consumers a moment later,
// so a fetch right after the wake can come back empty; without a second
// look the job would wait for the next poll, up to pollInterval. After
// the last recheck the jobs are taken to be another node's.
var recheckAfter = [...]time.Duration{200 * time.Microsecond, time.Millisecond, 5 * time.Millisecond, 25 * time.Millisecond}

func (l *lane) poke() {
	select {
	case l.wake <- struct{}{}:
	default:
	}
}

// wakeAll marks every priority as possibly holding messages, for those
// that no enqueue announces: a redelivery after a nak's delay or AckWait.
func (l *lane) wakeAll() {
	for i := range l.maybe {
		l.maybe[i].Store(true)
	}
	l.poke()
}

// woken handles a wake message for one priority of this lane's mode.
func (l *lane) woken(m *nats.Msg) {
	p := Priority(m.Subject[strings.LastIndexByte(m.Subject, '.')+1:])
	if i := slices.Index(priorities[:], p); i >= 0 {
		if l.due[i].Add(1) == 1 {
			l.tries[i].Store(0) // news after a lull: the rechecks start over
		}
		l.maybe[i].Store(true)
		l.poke()
	}
}

// took records that a fetch for priorities[i] took n jobs, and looks
// again shortly if wakes announced more (one recheck at a time: while
// jobs keep coming, their wakes bring fetches enough).
func (l *lane) took(i, n int) {
	for {
		old := l.due[i].Load()
		left := max(old-int64(n), 0)
		if l.due[i].CompareAndSwap(old, left) {
			if left == 0 {
				return
			}
			break
		}
	}
	if !l.rechecking[i].CompareAndSwap(false, true) {
		return
	}
	try := int(l.tries[i].Add(1)) - 1
	if try >= len(recheckAfter) {
		l.due[i].Store(0) // another node's, or gone: the poll will tell
		l.rechecking[i].Store(false)
		return
	}
	time.AfterFunc(recheckAfter[try], func() {
		l.rechecking[i].Store(false)
		l.maybe[i].Store(true)
		l.poke()
	})
}

// engine is the part of a node that takes jobs from the queue and runs them.
type engine struct {
	cfg     *Config
	st      *store
	log     *slog.Logger
	met     *metrics
	backoff func(attempt int) time.Duration
	lanes   []*lane

	base       context.Context // parent of every attempt; cancelled last
	cancelBase context.CancelFunc
	stopFetch  context.CancelFunc
	fetchers   sync.WaitGroup
	attempts   sync.WaitGroup
	cancelSub  *nats.Subscription

	mu     sync.Mutex
	active map[string]*attempt // by job ID
}

// attempt is an attempt running on this node.
type attempt struct {
	seq    uint64
	msg    jetstream.Msg // the latest delivery of the job's message; guarded by engine.mu
	cancel context.CancelCauseFunc
}

func newEngine(cfg *Config, st *store, log *slog.Logger, met *metrics) *engine {
	e := &engine{
		cfg:     cfg,
		st:      st,
		log:     log,
		met:     met,
		backoff: backoff(time.Duration(cfg.BackoffBase), time.Duration(cfg.BackoffMax)),
		active:  make(map[string]*attempt),
	}
	e.base, e.cancelBase = context.WithCancel(context.Background())
	for _, l := range []struct {
		m     Mode
		slots int
		r     runner
	}{
		{Thread, cfg.MaxThreads, threadRunner{}},
		{Process, cfg.MaxProcesses, newProcessRunner(cfg, log)},
		{Command, cfg.MaxCommands, commandRunner{cfg.Commands}},
	} {
		if l.slots > 0 {
			e.lanes = append(e.lanes, &lane{mode: l.m, slots: l.slots, runner: l.r, wake: make(chan struct{}, 1)})
		}
	}
	return e
}

// start begins taking jobs. If it fails, it stops what it started.
func (e *engine) start() error {
	ctx, cancel := context.WithCancel(e.base)
	e.stopFetch = cancel
	for _, l := range e.lanes {
		if s, ok := l.runner.(starter); ok {
			if err := s.start(); err != nil {
				e.stop()
				return err
			}
		}
	}
	var err error
	e.cancelSub, err = e.st.nc.Subscribe(cancelSubject, func(m *nats.Msg) { e.cancelLocal(string(m.Data)) })
	if err != nil {
		e.stop()
		return err
	}
	for _, l := range e.lanes {
		// An idle lane learns of work from the wake messages enqueue
		// sends, rather than by holding a pull request per priority.
		sub, err := e.st.nc.Subscribe(wakePrefix+string(l.mode)+".*", l.woken)
		if err != nil {
			e.stop()
			return err
		}
		e.fetchers.Go(func() {
			defer sub.Unsubscribe()
			e.dispatch(ctx, l)
		})
	}
	return nil
}

// stop stops taking jobs, waits up to DrainTimeout for running attempts,
// then stops the rest and puts them back in the queue. Last, it stops the
// runners' workers (the process pool).
func (e *engine) stop() {
	defer e.stopRunners()
	e.stopFetch()
	e.fetchers.Wait()
	if e.cancelSub != nil {
		defer e.cancelSub.Unsubscribe()
	}
	done := make(chan struct{})
	go func() {
		e.attempts.Wait()
		close(done)
	}()
	drain := time.NewTimer(time.Duration(e.cfg.DrainTimeout))
	defer drain.Stop()
	select {
	case <-done:
		e.cancelBase()
		return
	case <-drain.C:
	}
	e.mu.Lock()
	n := len(e.active)
	for _, a := range e.active {
		a.cancel(errShutdown)
	}
	e.mu.Unlock()
	e.log.Info("drain timeout: stopping running jobs and re-queueing them", "jobs", n)
	select {
	case <-done:
	case <-time.After(shutdownGrace):
		// Thread jobs that ignore their context. Their messages are
		// redelivered after AckWait and settled as lost.
		e.log.Warn("jobs did not stop; they will be settled after ack-wait", "grace", shutdownGrace)
	}
	e.cancelBase()
}

// stopRunners stops the workers of the runners that have some. A stop
// that did not start is a no-op.
func (e *engine) stopRunners() {
	for _, l := range e.lanes {
		if s, ok := l.runner.(starter); ok {
			s.stop()
		}
	}
}

// dispatch feeds lane l until ctx is done.
func (e *engine) dispatch(ctx context.Context, l *lane) {
	tick := time.NewTicker(pollInterval)
	defer tick.Stop()
	l.wakeAll()
	for {
		free := l.slots - int(l.running.Load())
		if free > 0 && e.fetch(l, free) == free {
			continue // maybe more waiting
		}
		select {
		case <-ctx.Done():
			return
		case <-l.wake:
		case <-tick.C:
			l.wakeAll()
		}
	}
}

// fetch takes up to n waiting messages, highest priority first, and
// handles each in its own goroutine. It returns how many it took.
func (e *engine) fetch(l *lane, n int) int {
	got := 0
	for i, p := range priorities {
		if got == n {
			break
		}
		if !l.maybe[i].Swap(false) {
			continue
		}
		want := n - got
		batch, err := e.st.consumers[l.mode][p].FetchNoWait(want)
		if err != nil {
			e.log.Warn("fetching jobs", "mode", l.mode, "priority", p, "err", err)
			l.maybe[i].Store(true)
			continue
		}
		taken := 0
		for msg := range batch.Messages() {
			taken++
			l.running.Add(1)
			e.attempts.Go(func() {
				defer func() {
					l.running.Add(-1)
					l.poke()
				}()
				e.handle(l, msg)
			})
		}
		if taken == want {
			l.maybe[i].Store(true) // there may be more
		}
		l.took(i, taken)
		got += taken
	}
	return got
}

func (e *engine) opContext() (context.Context, context.CancelFunc) {
	return context.WithTimeout(e.base, opTimeout)
}

// handle judges a delivered message against the job's record and acts.
func (e *engine) handle(l *lane, msg jetstream.Msg) {
	meta, err := msg.Metadata()
	if err != nil {
		msg.Term()
		return
	}
	t, err := decodeTicket(msg.Data())
	if err != nil {
		e.log.Warn("dropping malformed queue message", "seq", meta.Sequence.Stream, "err", err)
		msg.TermWithReason(err.Error())
		return
	}
	seq := meta.Sequence.Stream
	if e.redelivered(t.ID, seq, msg) {
		return
	}
	ctx, cancel := e.opContext()
	defer cancel()
	var (
		v     verdict
		delay time.Duration
		r     *record
		rev   uint64
	)
	// A fresh submission's record lands a moment after its message; the
	// wake comes after both, but a poll may find the message in between:
	// look again briefly before putting the message back.
	for pause := 100 * time.Microsecond; ; pause *= 4 {
		now := time.Now()
		r, rev, err = e.st.updateFrom(ctx, t.ID, nil, 0, func(r *record) error {
			v, delay = judge(r, t, seq, now)
			switch v {
			case run:
				r.claim(e.cfg.Node, seq, now)
				return nil
			case lost:
				r.lose(now, e.backoff)
				return nil
			}
			return errNoChange
		})
		if err != nil && !errors.Is(err, errNoChange) && !errors.Is(err, errNotFound) {
			e.log.Warn("reading job record", "job", t.ID, "err", err)
			e.nakAfter(l, msg, time.Second)
			return
		}
		missing := v == wait && (r == nil || t.Ticket > r.Ticket)
		if !missing {
			break
		}
		if time.Since(meta.Timestamp) > orphanAge {
			e.log.Warn("dropping queue message without a job record", "job", t.ID, "ticket", t.Ticket)
			msg.TermWithReason("no job record")
			return
		}
		if pause > 10*time.Millisecond {
			delay = min(5*time.Second, time.Duration(meta.NumDelivered)*250*time.Millisecond)
			break
		}
		time.Sleep(pause)
	}
	switch v {
	case drop:
		msg.Ack()
	case wait:
		e.nakAfter(l, msg, delay)
	case lost:
		e.log.Warn("attempt lost with its node", "job", t.ID, "state", r.State)
		e.settled(l, msg, r)
	case run:
		e.attempt(l, msg, seq, r, rev)
	}
}

// redeliveryLag is how long after a nak's delay JetStream may take to
// offer the message again: its timer for pending messages runs a little late.
const redeliveryLag = 20 * time.Millisecond

// nakAfter puts msg back to be redelivered after d, and wakes the lane then.
func (e *engine) nakAfter(l *lane, msg jetstream.Msg, d time.Duration) {
	if d <= 0 {
		msg.Nak()
		l.wakeAll()
		return
	}
	msg.NakWithDelay(d)
	time.AfterFunc(d+redeliveryLag, l.wakeAll)
}

// settled acks the message of a job whose attempt was written down, or
// delays it until the retry is due.
func (e *engine) settled(l *lane, msg jetstream.Msg, r *record) {
	if r.State == Retrying {
		e.nakAfter(l, msg, time.Until(r.RunAt))
		return
	}
	msg.Ack()
}

// redelivered handles a redelivery of the message of an attempt that is
// still running here (a heartbeat came late): the attempt carries on and
// answers through the newest delivery.
func (e *engine) redelivered(id string, seq uint64, msg jetstream.Msg) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	if a := e.active[id]; a != nil && a.seq == seq {
		a.msg = msg
		return true
	}
	return false
}

func (e *engine) cancelLocal(id string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if a := e.active[id]; a != nil {
		a.cancel(errCancelRequested)
	}
}

// attempt runs the job r, claimed at revision rev, and records the outcome.
func (e *engine) attempt(l *lane, msg jetstream.Msg, seq uint64, r *record, rev uint64) {
	actx, cancel := context.WithCancelCause(e.base)
	defer cancel(nil)
	a := &attempt{seq: seq, msg: msg, cancel: cancel}
	e.mu.Lock()
	e.active[r.ID] = a
	e.mu.Unlock()
	defer func() {
		e.mu.Lock()
		delete(e.active, r.ID)
		e.mu.Unlock()
	}()

	runCtx := actx
	timeout := time.Duration(r.Timeout)
	if timeout > 0 {
		var c context.CancelFunc
		runCtx, c = context.WithTimeout(actx, timeout)
		defer c()
	}
	stopHeartbeat := e.heartbeat(a, r.ID)
	e.met.attemptStarted(l.mode)
	start := time.Now()
	result, err := l.runner.run(runCtx, r)
	elapsed := time.Since(start)
	stopHeartbeat()
	var cause error
	if runCtx.Err() != nil {
		cause = context.Cause(runCtx)
	}
	e.mu.Lock()
	msg = a.msg
	e.mu.Unlock()

	ctx, cancelOp := e.opContext()
	defer cancelOp()
	if errors.Is(cause, errShutdown) && err != nil {
		e.met.attemptEnded(l.mode, Queued, elapsed)
		e.requeue(ctx, msg, r.ID, seq)
		return
	}
	jerr, retryable := classify(err, cause, timeout)
	final, err := e.finish(ctx, r, rev, seq, result, jerr, retryable)
	if errors.Is(err, errTooLarge) {
		jerr = &JobError{Kind: "error", Message: fmt.Sprintf("the result (%d bytes of JSON) does not fit in the store's %d-byte messages", len(result), e.st.nc.MaxPayload())}
		final, err = e.finish(ctx, r, rev, seq, nil, jerr, false)
	}
	switch {
	case errors.Is(err, errNoChange), errors.Is(err, errNotFound):
		// Someone else settled this attempt (it was presumed lost) or the
		// job was deleted: the outcome is not ours to record, nor the
		// message ours to ack.
		return
	case err != nil:
		// The message is redelivered after AckWait and settled as lost.
		e.log.Error("recording job outcome", "job", r.ID, "err", err)
		return
	}
	e.met.attemptEnded(l.mode, final.State, elapsed)
	e.settled(l, msg, final)
}

// finish records an attempt's outcome on the job claimed as r at revision
// rev, unless someone has settled the attempt meanwhile.
func (e *engine) finish(ctx context.Context, r *record, rev, seq uint64, result json.RawMessage, jerr *JobError, retryable bool) (*record, error) {
	now := time.Now()
	final, _, err := e.st.updateFrom(ctx, r.ID, r, rev, func(r *record) error {
		if r == nil || r.State != Running || r.RunSeq != seq {
			return errNoChange
		}
		r.finish(result, jerr, retryable, now, e.backoff)
		return nil
	})
	return final, err
}

// requeue returns an attempt stopped by shutdown to the queue, uncounted,
// under a new ticket: a fresh message is available to every node at once,
// whereas a nak'd one waits out AckWait after a restart (JetStream keeps
// the redelivery queue in memory).
func (e *engine) requeue(ctx context.Context, msg jetstream.Msg, id string, seq uint64) {
	now := time.Now()
	_, err := e.st.updateEnqueue(ctx, id, func(r *record) error {
		if r == nil || r.State != Running || r.RunSeq != seq {
			return errNoChange
		}
		r.requeue(now)
		return nil
	})
	if err == nil {
		msg.Ack() // superseded by the new ticket's message
	}
}

// heartbeat keeps the attempt's message from being redelivered while it
// runs, and notices a cancel request whose broadcast this node missed. The
// returned func stops it and waits until it has stopped.
func (e *engine) heartbeat(a *attempt, id string) (stop func()) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		t := time.NewTicker(e.st.ackWait / 3)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
			}
			e.mu.Lock()
			msg := a.msg
			e.mu.Unlock()
			msg.InProgress()
			ctx, cancel := e.opContext()
			r, _, err := e.st.get(ctx, id)
			cancel()
			if err == nil && r.CancelRequested {
				a.cancel(errCancelRequested)
			}
		}
	})
	return func() {
		close(done)
		wg.Wait()
	}
}
