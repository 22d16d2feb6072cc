package thread

import (
	"bytes"
	"context"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/petermattis/goid"
)

// registry knows every live Thread: Main, started threads and dummies,
// keyed by goroutine id so that Current works from plain function calls,
// as Python's current_thread() does.
type registry struct {
	mu        sync.RWMutex
	byID      map[int64]*Thread    // by goroutine id: main, running threads, dummies
	limbo     map[*Thread]struct{} // started threads whose goroutine has not run yet
	dummies   int
	pruneAt   int // prune dead dummies when there are this many
	nonDaemon int // started, unstopped non-daemon threads
	idle      []chan struct{}

	pruning atomic.Bool
}

// minPruneAt keeps a program with few foreign goroutines from scanning all
// goroutines often.
const minPruneAt = 64

var (
	reg        = registry{byID: map[int64]*Thread{}, limbo: map[*Thread]struct{}{}, pruneAt: minPruneAt}
	mainThread = newMain()
)

// newMain describes the goroutine that initialises the package, which is
// the main goroutine: package initialisation runs on it before main.main.
func newMain() *Thread {
	t := &Thread{kind: kindMain, num: threadNum.Add(1), name: "MainThread", named: true}
	t.state.Store(stateStarted)
	id := goid.Get()
	t.ident.Store(id)
	reg.byID[id] = t
	return t
}

func (r *registry) start(t *Thread) {
	r.mu.Lock()
	r.limbo[t] = struct{}{}
	if !t.daemon {
		r.nonDaemon++
	}
	r.mu.Unlock()
}

func (r *registry) enter(t *Thread, id int64) {
	r.mu.Lock()
	delete(r.limbo, t)
	r.byID[id] = t
	r.mu.Unlock()
}

func (r *registry) exit(t *Thread, id int64) {
	r.mu.Lock()
	delete(r.byID, id)
	if !t.daemon {
		r.nonDaemon--
		for _, ch := range r.idle {
			close(ch)
		}
		r.idle = nil
	}
	r.mu.Unlock()
}

func (r *registry) lookup(id int64) *Thread {
	r.mu.RLock()
	t := r.byID[id]
	r.mu.RUnlock()
	return t
}

// creatorIsDaemon is the daemon flag a new thread inherits: its creator's,
// where a goroutine this package did not start counts as a daemon, as
// Python's dummy threads are. It does not create a dummy just to ask.
func creatorIsDaemon() bool {
	t := reg.lookup(goid.Get())
	return t == nil || t.daemon // t is the caller's own thread: its flag is frozen
}

// Current returns the Thread of the calling goroutine: the Thread whose
// target is running, Main() on the main goroutine, or otherwise a dummy
// thread. It needs no context, so plain functions called from a thread can
// ask for their thread's name, as in Python. Python: current_thread().
//
// A dummy thread stands for a goroutine this package did not start (a
// test, an HTTP handler, a bare go statement). As in Python it is named
// "Dummy-N", is a daemon, is alive while its goroutine runs, is listed by
// Enumerate and cannot be joined. The same goroutine always gets the same
// dummy. Dummies of goroutines that have ended are forgotten, with their
// Local values, the next time dummies are counted: a scan of all
// goroutines runs when their number doubles, so memory stays proportional
// to the number of live goroutines that called Current.
func Current() *Thread { return current() }

func current() *Thread {
	id := goid.Get()
	if t := reg.lookup(id); t != nil {
		return t
	}
	return reg.newDummy(id)
}

func (r *registry) newDummy(id int64) *Thread {
	t := &Thread{kind: kindDummy, num: threadNum.Add(1), daemon: true, nameNum: nameNum.Add(1)}
	t.state.Store(stateStarted)
	t.ident.Store(id)
	r.mu.Lock()
	r.byID[id] = t
	r.dummies++
	full := r.dummies >= r.pruneAt
	r.mu.Unlock()
	if full && r.pruning.CompareAndSwap(false, true) {
		r.prune()
		r.pruning.Store(false)
	}
	return t
}

// prune forgets the dummies of goroutines that have ended.
func (r *registry) prune() {
	// A dummy made after the scan began belongs to a goroutine the scan may
	// have missed; only older dummies can be judged by it.
	before := threadNum.Load()
	live := liveGoroutines()
	var dead []*Thread
	r.mu.Lock()
	for id, t := range r.byID {
		if t.kind == kindDummy && t.num <= before && !live[id] {
			delete(r.byID, id)
			dead = append(dead, t)
		}
	}
	r.dummies -= len(dead)
	r.pruneAt = max(2*r.dummies, runtime.NumGoroutine(), minPruneAt)
	r.mu.Unlock()
	for _, t := range dead {
		t.state.Store(stateStopped)
		t.dropLocals()
	}
}

// liveGoroutines returns the ids of all goroutines, read from the headers
// of a full stack dump. That stops the world, so it runs rarely: to prune
// dummies, and when Enumerate or a dummy's IsAlive must be exact.
func liveGoroutines() map[int64]bool {
	buf := make([]byte, 64<<10)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			buf = buf[:n]
			break
		}
		buf = make([]byte, 2*len(buf))
	}
	live := make(map[int64]bool)
	prefix := []byte("goroutine ")
	for line := range bytes.Lines(buf) {
		if rest, ok := bytes.CutPrefix(line, prefix); ok {
			if end := bytes.IndexByte(rest, ' '); end > 0 {
				if id, err := strconv.ParseInt(string(rest[:end]), 10, 64); err == nil {
					live[id] = true
				}
			}
		}
	}
	return live
}

func goroutineAlive(id int64) bool { return liveGoroutines()[id] }

// Main returns the thread of the main goroutine, named "MainThread".
// Python: main_thread().
func Main() *Thread { return mainThread }

// Ident returns the calling goroutine's id, which is the Ident of its
// Thread. Python: get_ident().
func Ident() int64 { return goid.Get() }

// Enumerate returns all live threads in creation order: Main, every
// started thread that has not stopped (including one whose goroutine has
// not been scheduled yet), and the dummies of running goroutines. Python:
// enumerate().
func Enumerate() []*Thread {
	reg.mu.RLock()
	haveDummies := reg.dummies > 0
	reg.mu.RUnlock()
	if haveDummies {
		reg.prune()
	}
	reg.mu.RLock()
	list := make([]*Thread, 0, len(reg.byID)+len(reg.limbo))
	for _, t := range reg.byID {
		list = append(list, t)
	}
	for t := range reg.limbo {
		list = append(list, t)
	}
	reg.mu.RUnlock()
	slices.SortFunc(list, func(a, b *Thread) int { return int(a.num - b.num) })
	return list
}

// ActiveCount returns the number of live threads, len(Enumerate()).
// Python: active_count().
func ActiveCount() int { return len(Enumerate()) }

// WaitNonDaemon blocks until every started non-daemon thread has stopped,
// including threads started while it waits, or until ctx is done (then it
// returns ctx.Err()). Called from a non-daemon thread it does not wait for
// that thread itself.
//
// Python waits for non-daemon threads by itself when the main thread
// finishes; Go ends the program when main returns, whatever goroutines
// still run. So a program that wants Python's behaviour ends main with
// thread.WaitNonDaemon(ctx), and daemon threads are those it does not wait
// for. That is all the daemon flag does.
func WaitNonDaemon(ctx context.Context) error {
	self := 0
	if t := reg.lookup(goid.Get()); t != nil && t.kind == kindThread && !t.daemon {
		self = 1
	}
	for {
		reg.mu.Lock()
		if reg.nonDaemon <= self {
			reg.mu.Unlock()
			return nil
		}
		ch := make(chan struct{})
		reg.idle = append(reg.idle, ch)
		reg.mu.Unlock()
		select {
		case <-ch:
			continue
		case <-ctx.Done():
		}
		reg.mu.Lock()
		reg.idle = slices.DeleteFunc(reg.idle, func(c chan struct{}) bool { return c == ch })
		n := reg.nonDaemon
		reg.mu.Unlock()
		if n <= self {
			return nil
		}
		return ctx.Err()
	}
}
