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
// single item of Apply). A worker holds one task; a process worker holds
// more when every worker is busy: they wait in its input, so that it
// starts each the moment it finishes the one before instead of a round
// trip later, and small tasks run back to back. One task waits ahead, or
// three while the worker's tasks take under a millisecond (poolShortTask)
// — enough to hide the round trip, few enough that little work waits
// behind a long task while another worker could have taken it. When a worker
// dies, its progress word (see itemLoop) tells which item it was
// running: the items it had reported are done, that item fails with the
// worker's death (or is retried), and the items it had not reported, and
// the task it had not started, go back to the head of the queue.
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
	// depth is how many tasks a worker may hold at most: 4 for a
	// process, which gains a round trip per task (see canTakeLocked); 1
	// for a goroutine, which gains nothing and would only make a task
	// wait behind another.
	depth() int
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

	sendMu sync.Mutex // sends w's tasks one at a time, in order

	// Under the engine's mu.
	tasks     []*poolTask   // held: the first is running or next to run
	seq       uint32        // the last task's sequence number
	completed int           // tasks completed, for WithMaxTasksPerChild
	lastDone  time.Time     // when the last one completed
	span      time.Duration // how long the last one ran, roughly; 0 before the first
	why       stopReason    // why the pool stopped this worker, if it did
	retired   bool
	timer     *time.Timer
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
	seq    uint32
	sent   bool      // claimed by a sender (under the engine's mu)
	sentAt time.Time // when it was claimed
	got    int       // items reported, relative to lo
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
	sends  []*poolWorker // workers whose (new) tasks must be sent
	later  []*poolWorker // the same, on a goroutine of their own
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
		e.start(w, false)
	}
	for _, w := range p.later {
		go e.start(w, true)
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
	if e.head < len(e.queue) && e.allBusyLocked() {
		// Every worker is up and busy: each takes one more task ahead.
		for w := range e.workers {
			if e.head == len(e.queue) {
				break
			}
			if e.canTakeLocked(w) && len(w.tasks) > 0 {
				e.assignLocked(w, e.popLocked())
				p.later = append(p.later, w) // a busy worker may take a while to read it
			}
		}
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

// allBusyLocked reports whether the pool has all its workers and each of
// them holds a task: only then is a task sent ahead to a busy worker,
// rather than kept for one that is starting or about to be free.
func (e *poolEngine) allBusyLocked() bool {
	if e.kind.depth() < 2 || e.starting > 0 || len(e.workers) < e.cfg.size {
		return false
	}
	for w := range e.workers {
		if len(w.tasks) == 0 {
			return false
		}
	}
	return true
}

// poolShortTask is the run time under which a process worker is sent up
// to three tasks ahead rather than one.
const poolShortTask = time.Millisecond

// canTakeLocked reports whether w may be given one more task.
func (e *poolEngine) canTakeLocked(w *poolWorker) bool {
	depth := e.kind.depth()
	if w.span == 0 || w.span > poolShortTask {
		depth = min(depth, 2)
	}
	return w.why.kind == stopNone && !w.retired && len(w.tasks) < depth &&
		(e.cfg.maxTasks == 0 || w.completed+len(w.tasks) < e.cfg.maxTasks)
}

func (e *poolEngine) assignLocked(w *poolWorker, t *poolTask) {
	w.seq++
	t.seq, t.got, t.sent = w.seq, 0, false
	w.tasks = append(w.tasks, t)
	if len(w.tasks) == 1 && e.cfg.timeout > 0 {
		w.timer = time.AfterFunc(e.cfg.timeout, func() { e.checkTimeout(w) })
	}
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

// start sends w's tasks that are not sent yet, in order, dropping those
// whose calls no longer want them. Nothing that might wait for another
// send — user callbacks, other workers' sends — runs while w's send lock
// is held.
//
// A task sent to a worker that is running another one can wait until the
// worker is done with it, which may take long and may need w's reader to
// take the worker's results meanwhile: unless ahead is set (start is on a
// goroutine of its own), start sends only the task w runs next and leaves
// the tasks ahead of it to such a goroutine.
func (e *poolEngine) start(w *poolWorker, ahead bool) {
	var later pending
	var declined []*poolCall
	w.sendMu.Lock()
	for {
		e.mu.Lock()
		var t *poolTask
		for _, u := range w.tasks {
			if !u.sent {
				t = u
				break
			}
		}
		if t == nil || w.why.kind != stopNone { // nothing to send, or stopped: its exit settles its tasks
			e.mu.Unlock()
			break
		}
		if t != w.tasks[0] && !ahead {
			later.later = append(later.later, w)
			e.mu.Unlock()
			break
		}
		t.sent, t.sentAt = true, time.Now()
		e.mu.Unlock()
		c := t.b.call()
		ok, declines := c.begin()
		if ok {
			if err := e.kind.prepare(t); err != nil {
				later.fails = append(later.fails, failure{t, 0, t.n(), err})
				ok = false
			}
		}
		if !ok {
			if declines {
				declined = append(declined, c)
			}
			e.mu.Lock()
			e.dropLocked(w, t, false, &later)
			e.mu.Unlock()
			continue
		}
		w.impl.send(t)
	}
	w.sendMu.Unlock()
	for _, c := range declined {
		c.decline()
	}
	e.mu.Lock()
	e.unlockAndRun(&later)
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
// are, w moves on. It runs on whoever reads w's results (for a process
// worker, its reader or a caller that took the reader's role; see
// readRole), which must never wait for a send to a busy worker: that
// worker may be waiting for its results to be taken.
func (e *poolEngine) received(w *poolWorker, t *poolTask, from, to int, fails []itemError) {
	// The worker is free before the call hears of its last items, so that
	// a caller woken by them finds it idle.
	if to == t.n() {
		e.mu.Lock()
		var p pending
		e.dropLocked(w, t, true, &p)
		e.unlockAndRun(&p)
	}
	t.b.call().finish(t.b, t.lo+from, t.lo+to, fails)
}

// dropLocked ends w's task t — finished (ran), or not wanted before it
// was sent — and gives w more work, or retires it, or makes it idle.
func (e *poolEngine) dropLocked(w *poolWorker, t *poolTask, ran bool, p *pending) {
	i := slices.Index(w.tasks, t)
	if i < 0 { // w is gone, and its exit settled t
		return
	}
	w.tasks = slices.Delete(w.tasks, i, i+1)
	if ran {
		// It ran from when it was sent or the one before it completed,
		// whichever is later.
		now := time.Now()
		from := t.sentAt
		if w.lastDone.After(from) {
			from = w.lastDone
		}
		w.span, w.lastDone = now.Sub(from), now
	}
	if len(w.tasks) == 0 && w.timer != nil {
		w.timer.Stop()
		w.timer = nil
	}
	w.completed++
	busy := len(w.tasks) > 0
	switch {
	case w.why.kind != stopNone || w.retired:
	case busy && w.tasks[0].b.call().over.Load():
		// The task it goes on with was sent ahead, and its call has
		// ended meanwhile: stop the worker rather than let it run it.
		w.why.kind = stopCancel
		w.impl.kill()
	case e.cfg.maxTasks > 0 && w.completed >= e.cfg.maxTasks:
		// Python's maxtasksperchild: the worker exits, and its exit
		// brings a fresh one.
		w.retired = true
		p.retire = append(p.retire, w)
	case !busy && (e.state == poolStopped || e.head == len(e.queue)):
		e.idle = append(e.idle, w)
		e.scheduleLocked(p)
	default:
		if !busy && e.state != poolStopped && e.head < len(e.queue) {
			e.assignLocked(w, e.popLocked())
		}
		if e.state != poolStopped && e.head < len(e.queue) && e.canTakeLocked(w) && e.allBusyLocked() {
			e.assignLocked(w, e.popLocked())
		}
		if busy {
			// A send to a worker that is running a task may wait for it
			// to finish: not on this goroutine.
			p.later = append(p.later, w)
		} else {
			p.sends = append(p.sends, w)
		}
	}
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
	e.mu.Lock()
	if e.state == poolStopped { // stopped meanwhile
		e.starting--
		e.checkGoneLocked()
		e.mu.Unlock()
		return
	}
	e.mu.Unlock()
	w := &poolWorker{}
	if err := e.kind.spawn(e, w); err != nil {
		e.mu.Lock()
		e.starting--
		p := e.stopLocked(fmt.Errorf("%w: a worker could not be started: %w", ErrBrokenPool, err))
		e.checkGoneLocked() // if the pool was stopped already, stopLocked did not look
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
		// A task of c that w holds behind another waits for drop.
		if len(w.tasks) > 0 && w.tasks[0].b.call() == c && w.why.kind == stopNone {
			w.why.kind = stopCancel
			w.impl.kill()
		}
	}
}

// checkTimeout runs when the task w runs may have an item running longer
// than the task timeout: it kills w if so, and looks again later if not.
func (e *poolEngine) checkTimeout(w *poolWorker) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if len(w.tasks) == 0 || w.why.kind != stopNone || w.timer == nil {
		return
	}
	t, limit := w.tasks[0], e.cfg.timeout
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
	w.why = stopReason{kind: stopTimeout, item: state - 1, err: &TaskTimeoutError{
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
	tasks := w.tasks
	w.tasks = nil
	var lost error = exit
	if exit == nil {
		lost = fmt.Errorf("process: pool worker %s was stopped", w.name)
	}
	died := w.why.kind == stopNone && !w.retired && exit != nil
	if died && e.cfg.failFast {
		lost = fmt.Errorf("%w: %w", ErrBrokenPool, exit)
	}
	var p pending
	var requeue []*poolTask
	for i, t := range tasks {
		if i == 0 {
			fails, again := e.salvageLocked(w, t, lost)
			p.fails, requeue = append(p.fails, fails...), append(requeue, again...)
			continue
		}
		// A task held behind the running one never started.
		switch {
		case w.why.kind == stopHard || e.state == poolStopped:
			p.fails = append(p.fails, failure{t, 0, t.n(), e.stopErrLocked()})
		case !t.b.call().over.Load():
			requeue = append(requeue, t.sub(0, t.n()))
		}
	}
	e.pushFrontLocked(requeue)
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
// running task of a worker that is gone: it returns the items that fail
// and the tasks to queue again.
func (e *poolEngine) salvageLocked(w *poolWorker, t *poolTask, lost error) ([]failure, []*poolTask) {
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
		return fails, nil
	case w.why.kind == stopCancel:
		failRest(t.b.call().cancelCause())
		return fails, nil
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
	return fails, slices.DeleteFunc(requeue, func(s *poolTask) bool { return s.n() == 0 })
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
