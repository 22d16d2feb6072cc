package process

import (
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// poolEngine schedules tasks on workers for a Pool, whichever kind its
// workers are: processes (pool_proc.go) or goroutines (threadpool.go).
// The engine owns every decision — which worker runs which task, what
// happens to a task whose worker died or timed out, when a worker is
// replaced or retired — so both kinds behave the same; a kind only moves
// tasks and results.
//
// A task is a run of consecutive items of one batch (a chunk of Map, the
// single item of Apply). A worker holds at most one task. When a worker
// dies, its progress word (see itemLoop) tells which item it was
// running: the items it had reported are done, that item fails with the
// worker's death (or is retried), and the items it had not reported go
// back to the head of the queue for another worker.
type poolEngine struct {
	cfg  poolConfig
	kind workerKind

	mu       sync.Mutex
	queue    []*poolTask // queue[head:] wait for a worker, in order
	head     int
	idle     []*poolWorker // workers waiting for a task; the last one was busy most recently
	workers  map[*poolWorker]struct{}
	starting int // workers being spawned, not yet in workers
	state    poolState
	stopErr  error         // when stopped: what the tasks that cannot run anymore fail with
	gone     chan struct{} // closed once the pool is closed or stopped and its last worker is gone
	isGone   bool
}

type poolState uint8

const (
	poolRunning poolState = iota
	poolClosed            // Close: the queued tasks run, then the workers exit
	poolStopped           // Terminate, or broken: no task runs anymore
)

// workerKind starts workers of one kind.
type workerKind interface {
	// spawn starts w, filling in its identity, progress words and impl,
	// and registers it with e.register. Once w can take tasks it calls
	// e.ready(w); when it is gone, e.exited(w, ...), exactly once.
	spawn(e *poolEngine, w *poolWorker) error
	// prepare readies t to be sent (a process pool encodes it).
	prepare(t *poolTask) error
}

// workerImpl moves tasks to one worker and stops it.
type workerImpl interface {
	send(t *poolTask)
	kill()   // stop it at once; its exit is reported as usual
	retire() // let it exit; it is idle
}

// poolWorker is the engine's view of a worker of either kind.
type poolWorker struct {
	name  string
	pid   int // 0 for a goroutine
	prog  *atomic.Uint64
	stamp *atomic.Int64
	impl  workerImpl

	// Under the engine's mu.
	task    *poolTask
	seq     uint32     // the last task's sequence number
	tasks   int        // tasks completed, for WithMaxTasksPerChild
	why     stopReason // why the pool stopped this worker, if it did
	retired bool
	timer   *time.Timer
	// For a goroutine, which runs on after it is abandoned: the progress
	// word when it was, which is what its task's items are judged by.
	frozen   uint64
	isFrozen bool
}

// stopReason says why the engine killed or retired a worker, so that the
// worker's exit is not taken for a death.
type stopReason struct {
	kind stopKind
	item int   // stopTimeout: the item (relative to the task) that ran too long
	err  error // stopTimeout: what that item fails with
}

type stopKind uint8

const (
	stopNone    stopKind = iota
	stopTimeout          // an item exceeded the task timeout
	stopCancel           // the task's call was cancelled
	stopHard             // Terminate, or the pool broke
)

// poolTask is items [lo, hi) of a batch, on their way to a worker.
type poolTask struct {
	b       poolBatch
	lo, hi  int
	arg     []byte // a process pool's encoded arguments; nil until prepared
	strikes int    // deaths of workers holding these items that no item could be blamed for
	attempt int    // for a retried item: how many times it ran before

	// Set when the task is dispatched.
	seq uint32
	got int // items reported, relative to lo
}

func (t *poolTask) n() int { return t.hi - t.lo }

// sub returns a task for items [lo, hi) relative to t.
func (t *poolTask) sub(lo, hi int) *poolTask {
	return &poolTask{b: t.b, lo: t.lo + lo, hi: t.lo + hi, strikes: t.strikes}
}

func newPoolEngine(cfg poolConfig, kind workerKind) *poolEngine {
	return &poolEngine{cfg: cfg, kind: kind, workers: map[*poolWorker]struct{}{}, gone: make(chan struct{})}
}

// failure is items [lo, hi) of t (relative to it) that end in err, to be
// reported outside the engine's lock.
type failure struct {
	t      *poolTask
	lo, hi int
	err    error
}

// pending is the work that a locked section leaves to do once the lock
// is released: spawning workers, sending tasks, retiring and reporting.
type pending struct {
	spawn  int
	sends  []*poolWorker // workers whose (new) task must be sent
	retire []*poolWorker
	fails  []failure
}

func (e *poolEngine) unlockAndRun(p *pending) {
	e.mu.Unlock()
	for _, f := range p.fails {
		lo, hi := f.t.lo+f.lo, f.t.lo+f.hi
		f.t.b.call().finish(f.t.b, lo, hi, failAll(lo, hi, f.err))
	}
	for _, w := range p.retire {
		w.impl.retire()
	}
	for range p.spawn {
		e.spawnOne()
	}
	for _, w := range p.sends {
		e.start(w)
	}
}

// submit queues tasks and starts what can start.
func (e *poolEngine) submit(tasks ...*poolTask) error {
	e.mu.Lock()
	switch e.state {
	case poolStopped:
		err := e.stopErr
		e.mu.Unlock()
		return err
	case poolClosed:
		e.mu.Unlock()
		return ErrPoolClosed
	}
	e.queue = append(e.queue, tasks...)
	var p pending
	e.scheduleLocked(&p)
	e.unlockAndRun(&p)
	return nil
}

// scheduleLocked hands queued tasks to idle workers and works out how
// many workers to start.
func (e *poolEngine) scheduleLocked(p *pending) {
	if e.state == poolStopped {
		return
	}
	for e.head < len(e.queue) && len(e.idle) > 0 {
		w := e.idle[len(e.idle)-1]
		e.idle = e.idle[:len(e.idle)-1]
		e.assignLocked(w, e.popLocked())
		p.sends = append(p.sends, w)
	}
	e.compactLocked()
	if e.state == poolClosed && e.head == len(e.queue) {
		for _, w := range e.idle {
			w.retired = true
			p.retire = append(p.retire, w)
		}
		e.idle = nil
	}
	live := len(e.workers) + e.starting
	want := 0
	switch {
	case e.state == poolRunning && !e.cfg.onDemand:
		want = e.cfg.size - live
	default:
		// Only as many as the queued tasks need, counting those starting.
		want = min(e.cfg.size-live, len(e.queue)-e.head-e.starting)
	}
	if want > 0 {
		e.starting += want
		p.spawn += want
	}
}

func (e *poolEngine) popLocked() *poolTask {
	t := e.queue[e.head]
	e.queue[e.head] = nil
	e.head++
	return t
}

// compactLocked lets go of the queue's consumed prefix once it is most of
// the queue, so that a long-lived pool does not grow its queue forever.
func (e *poolEngine) compactLocked() {
	if e.head > 0 && e.head >= len(e.queue)/2 {
		n := copy(e.queue, e.queue[e.head:])
		clear(e.queue[n:])
		e.queue, e.head = e.queue[:n], 0
	}
}

func (e *poolEngine) assignLocked(w *poolWorker, t *poolTask) {
	w.seq++
	t.seq, t.got = w.seq, 0
	w.task = t
}

// pushFrontLocked queues tasks ahead of all others: their items were
// handed out before anything still queued.
func (e *poolEngine) pushFrontLocked(tasks []*poolTask) {
	if len(tasks) == 0 {
		return
	}
	if e.head >= len(tasks) {
		e.head -= len(tasks)
		copy(e.queue[e.head:], tasks)
		return
	}
	e.queue = slices.Insert(e.queue[e.head:], 0, tasks...)
	e.head = 0
}

// start sends w's task, unless its call no longer wants it, in which case
// w moves on to the next task.
func (e *poolEngine) start(w *poolWorker) {
	e.mu.Lock()
	t := w.task
	e.mu.Unlock()
	for t != nil {
		c := t.b.call()
		if !c.begin() {
			t = e.done(w, t)
			continue
		}
		if err := e.kind.prepare(t); err != nil {
			c.finish(t.b, t.lo, t.hi, failAll(t.lo, t.hi, err))
			t = e.done(w, t)
			continue
		}
		e.mu.Lock()
		if w.task != t || w.why.kind != stopNone { // stopped meanwhile: its exit settles t
			e.mu.Unlock()
			return
		}
		if e.cfg.timeout > 0 {
			w.timer = time.AfterFunc(e.cfg.timeout, func() { e.checkTimeout(w, t) })
		}
		e.mu.Unlock()
		w.impl.send(t)
		return
	}
}

func failAll(lo, hi int, err error) []itemError {
	fails := make([]itemError, hi-lo)
	for i := range fails {
		fails[i] = itemError{lo + i, err}
	}
	return fails
}

// received records that items [from, to) of w's task t (relative to it)
// are reported, with fails among them (indices relative to the batch).
// The task's items then count as finished for its call; once they all
// are, w takes the next task.
func (e *poolEngine) received(w *poolWorker, t *poolTask, from, to int, fails []itemError) {
	// The worker is free before the call hears of its last items, so that
	// a caller woken by them finds it idle.
	var next *poolTask
	if to == t.n() {
		next = e.done(w, t)
	}
	t.b.call().finish(t.b, t.lo+from, t.lo+to, fails)
	if next != nil {
		e.start(w)
	}
}

// done ends w's task t and returns w's next task, if it has one.
func (e *poolEngine) done(w *poolWorker, t *poolTask) *poolTask {
	e.mu.Lock()
	if w.task != t {
		e.mu.Unlock()
		return nil
	}
	w.task = nil
	if w.timer != nil {
		w.timer.Stop()
		w.timer = nil
	}
	w.tasks++
	var p pending
	switch {
	case w.why.kind != stopNone || w.retired:
	case e.cfg.maxTasks > 0 && w.tasks >= e.cfg.maxTasks:
		// Python's maxtasksperchild: the worker exits, and its exit
		// brings a fresh one.
		w.retired = true
		p.retire = append(p.retire, w)
	case e.state != poolStopped && e.head < len(e.queue):
		e.assignLocked(w, e.popLocked())
	default:
		e.idle = append(e.idle, w)
		e.scheduleLocked(&p)
	}
	next := w.task
	e.unlockAndRun(&p)
	return next
}

// register adds a worker that spawn has started.
func (e *poolEngine) register(w *poolWorker) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.starting--
	e.workers[w] = struct{}{}
	if e.state == poolStopped {
		w.why.kind = stopHard
		w.impl.kill()
	}
}

// ready makes w, started and initialized, available for tasks.
func (e *poolEngine) ready(w *poolWorker) {
	e.mu.Lock()
	if w.why.kind != stopNone {
		e.mu.Unlock()
		return
	}
	e.idle = append(e.idle, w)
	var p pending
	e.scheduleLocked(&p)
	e.unlockAndRun(&p)
}

// failedToStart breaks the pool when a worker it did not stop could not
// start, or its initializer failed: replacing it would fail the same way,
// forever.
func (e *poolEngine) failedToStart(w *poolWorker, err error) {
	e.mu.Lock()
	var p pending
	if w.why.kind == stopNone {
		p = e.stopLocked(fmt.Errorf("%w: worker %s could not start: %w", ErrBrokenPool, w.name, err))
	}
	e.unlockAndRun(&p)
}

// spawnOne starts a worker whose start scheduleLocked counted.
func (e *poolEngine) spawnOne() {
	w := &poolWorker{}
	if err := e.kind.spawn(e, w); err != nil {
		e.mu.Lock()
		e.starting--
		p := e.stopLocked(fmt.Errorf("%w: a worker could not be started: %w", ErrBrokenPool, err))
		e.unlockAndRun(&p)
	}
}

// breakPool makes the pool unusable, err saying why (it matches
// ErrBrokenPool): Python's BrokenProcessPool.
func (e *poolEngine) breakPool(err error) {
	e.mu.Lock()
	p := e.stopLocked(err)
	e.unlockAndRun(&p)
}

// stopLocked stops the pool (Terminate, or broken): every queued task
// fails with err, every worker is killed, and the tasks they hold fail
// with err as they exit.
func (e *poolEngine) stopLocked(err error) pending {
	var p pending
	if e.state == poolStopped {
		return p
	}
	e.state, e.stopErr = poolStopped, err
	for e.head < len(e.queue) {
		t := e.popLocked()
		p.fails = append(p.fails, failure{t, 0, t.n(), err})
	}
	e.compactLocked()
	for w := range e.workers {
		if w.why.kind == stopNone {
			w.why.kind = stopHard
			w.impl.kill()
		}
	}
	e.idle = nil
	e.checkGoneLocked()
	return p
}

func (e *poolEngine) checkGoneLocked() {
	if e.state != poolRunning && !e.isGone && len(e.workers) == 0 && e.starting == 0 &&
		(e.head == len(e.queue) || e.state == poolStopped) {
		e.isGone = true
		close(e.gone)
		if e.cfg.init != nil {
			closeFiles(e.cfg.init.files) // no worker will start anymore
		}
	}
}

// close stops the pool accepting tasks; the workers exit once the queue
// is empty.
func (e *poolEngine) close() {
	e.mu.Lock()
	if e.state != poolRunning {
		e.mu.Unlock()
		return
	}
	e.state = poolClosed
	var p pending
	e.scheduleLocked(&p)
	e.checkGoneLocked()
	e.unlockAndRun(&p)
}

// terminate stops the pool at once and waits for its workers to be gone.
func (e *poolEngine) terminate() {
	e.mu.Lock()
	p := e.stopLocked(ErrPoolTerminated)
	e.unlockAndRun(&p)
	<-e.gone
}

// cancel drops the queued tasks of c and kills the workers running its
// tasks: c's context ended, or its consumer stopped listening.
func (e *poolEngine) cancel(c *poolCall) {
	e.mu.Lock()
	defer e.mu.Unlock()
	q := e.queue[e.head:]
	kept := slices.DeleteFunc(q, func(t *poolTask) bool { return t.b.call() == c })
	clear(q[len(kept):])
	e.queue = e.queue[:e.head+len(kept)]
	for w := range e.workers {
		if w.task != nil && w.task.b.call() == c && w.why.kind == stopNone {
			w.why.kind = stopCancel
			w.impl.kill()
		}
	}
}

// checkTimeout runs when w's task t may have an item running longer than
// the task timeout: it kills w if so, and looks again later if not.
func (e *poolEngine) checkTimeout(w *poolWorker, t *poolTask) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if w.task != t || w.why.kind != stopNone || w.timer == nil {
		return
	}
	limit := e.cfg.timeout
	word, started := readProgress(w)
	seq, state := splitProgress(word)
	if seq != t.seq || state < 1 || state > t.n() {
		w.timer.Reset(limit) // not started yet, or reporting its last results
		return
	}
	ran := time.Duration(monotonicNow() - started)
	if ran < limit {
		w.timer.Reset(limit - ran)
		return
	}
	item := state - 1
	w.why = stopReason{kind: stopTimeout, item: item, err: &TaskTimeoutError{
		Func: t.b.funcName(), Timeout: limit, Worker: w.name, Pid: w.pid,
	}}
	w.impl.kill()
}

// readProgress reads w's progress word and the start time of the item it
// names, consistently: the worker stores the time before the word.
func readProgress(w *poolWorker) (word uint64, started int64) {
	for {
		word = w.prog.Load()
		started = w.stamp.Load()
		if w.prog.Load() == word {
			return word, started
		}
	}
}

// exited accounts for a worker that is gone: it exited or died (exit
// says how; nil for a goroutine), was killed or retired. Its task's
// unreported items are failed, retried or queued again, and a worker is
// started in its place if the pool still needs one.
func (e *poolEngine) exited(w *poolWorker, exit *ExitError) {
	e.mu.Lock()
	delete(e.workers, w)
	if i := slices.Index(e.idle, w); i >= 0 {
		e.idle = slices.Delete(e.idle, i, i+1)
	}
	if w.timer != nil {
		w.timer.Stop()
		w.timer = nil
	}
	t := w.task
	w.task = nil
	var lost error = exit
	if exit == nil {
		lost = fmt.Errorf("process: pool worker %s was stopped", w.name)
	}
	died := w.why.kind == stopNone && !w.retired && exit != nil
	if died && e.cfg.failFast {
		lost = fmt.Errorf("%w: %w", ErrBrokenPool, exit)
	}
	var p pending
	if t != nil {
		p.fails = e.salvageLocked(w, t, lost)
	}
	if died && e.cfg.failFast {
		// Python's BrokenProcessPool: what the dead worker left, and
		// everything else, fails.
		more := e.stopLocked(lost)
		p.fails = append(p.fails, more.fails...)
	}
	e.scheduleLocked(&p)
	e.checkGoneLocked()
	e.unlockAndRun(&p)
}

// salvageLocked decides what becomes of the unreported items of t, the
// task of a worker that is gone, and returns the items that fail.
func (e *poolEngine) salvageLocked(w *poolWorker, t *poolTask, lost error) []failure {
	n, got := t.n(), t.got
	var fails []failure
	failRest := func(err error) {
		if got < n {
			fails = append(fails, failure{t, got, n, err})
		}
	}
	switch {
	case w.why.kind == stopHard || e.state == poolStopped:
		failRest(e.stopErrLocked())
		return fails
	case w.why.kind == stopCancel:
		failRest(t.b.call().cancelCause())
		return fails
	}
	word := w.prog.Load()
	if w.isFrozen {
		word = w.frozen
	}
	seq, state := splitProgress(word)
	if seq != t.seq {
		state = -1 // the worker never read the task
	}
	var requeue []*poolTask
	switch culprit := state - 1; {
	case state < 0:
		requeue = append(requeue, t.sub(got, n))
	case state == 0 || culprit >= n || culprit < got:
		// Died decoding the task, or between items, or reporting its
		// results: no item to blame. Run the items again, but not
		// forever, in case the task itself kills its workers.
		requeue = append(requeue, e.strikeLocked(t.sub(got, n), lost, &fails)...)
	default:
		requeue = append(requeue, t.sub(got, culprit))
		err := lost
		if w.why.kind == stopTimeout {
			if w.why.item != culprit {
				// Killed for an item that finished meanwhile: the
				// running one is innocent.
				requeue = append(requeue, t.sub(culprit, n))
				break
			}
			err = w.why.err
		}
		if t.attempt < e.cfg.retries {
			retry := t.sub(culprit, culprit+1)
			retry.attempt = t.attempt + 1
			requeue = append(requeue, retry)
		} else {
			fails = append(fails, failure{t, culprit, culprit + 1, err})
		}
		requeue = append(requeue, t.sub(culprit+1, n))
	}
	requeue = slices.DeleteFunc(requeue, func(s *poolTask) bool { return s.n() == 0 })
	e.pushFrontLocked(requeue)
	return fails
}

// strikeLocked counts a death against task s that no item of it could be
// blamed for. A second strike halves the task, so that an item that
// kills every worker it reaches is isolated in a few deaths and then
// fails alone with lost.
func (e *poolEngine) strikeLocked(s *poolTask, lost error, fails *[]failure) []*poolTask {
	s.strikes++
	if s.strikes < 2 {
		return []*poolTask{s}
	}
	if s.n() == 1 {
		*fails = append(*fails, failure{s, 0, 1, lost})
		return nil
	}
	mid := s.n() / 2
	a, b := s.sub(0, mid), s.sub(mid, s.n())
	a.strikes, b.strikes = 1, 1
	return []*poolTask{a, b}
}

func (e *poolEngine) stopErrLocked() error {
	if e.stopErr != nil {
		return e.stopErr
	}
	return ErrPoolTerminated
}
