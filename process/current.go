package process

import (
	"crypto/rand"
	"os"
	"slices"
	"sync"
	"sync/atomic"
)

// mainProcess describes the process the user started. A child replaces
// it, in Main, with the identity its parent sent.
var mainProcess = &Process{name: "MainProcess", pid: pidOfSelf}

var pidOfSelf = os.Getpid()

var (
	current atomic.Pointer[Process]
	parent  atomic.Pointer[Process]
)

func init() { current.Store(mainProcess) }

// mainAuthKey is the main process's authentication key, made on first
// use; children inherit their parent's.
var mainAuthKey = sync.OnceValue(func() []byte {
	key := make([]byte, 32)
	rand.Read(key)
	return key
})

// Current returns the process this code runs in: Python's
// multiprocessing.current_process(). In the program the user started it
// is named "MainProcess"; in a child it has the name, daemon flag and
// authkey its parent gave it. Join, Start and the other methods meant for
// a child handle panic on it.
func Current() *Process { return current.Load() }

// Parent returns the process that started this one, or nil in the
// program the user started: Python's multiprocessing.parent_process().
// Only its name, pid and liveness are known; it can be sent signals.
func Parent() *Process { return parent.Load() }

// adoptIdentity makes this process the child its parent described.
func adoptIdentity(s *setupMsg) {
	current.Store(&Process{
		name:    s.Name,
		pid:     pidOfSelf,
		daemon:  s.Daemon,
		ident:   s.Identity,
		authKey: s.AuthKey,
	})
	parent.Store(&Process{name: s.ParentName, pid: s.ParentPid, authKey: s.AuthKey})
}

// childCount numbers the processes this process creates, for their
// default names and identities, as Python's _children counter does.
var childCount atomic.Int64

func nextIdentity() []int {
	return append(slices.Clip(Current().ident), int(childCount.Add(1)))
}

// active holds the started children that have not yet been reaped, in
// the order they started.
var active struct {
	mu    sync.Mutex
	procs []*Process
}

func addActive(p *Process) {
	active.mu.Lock()
	active.procs = append(active.procs, p)
	active.mu.Unlock()
}

func removeActive(p *Process) {
	active.mu.Lock()
	active.procs = slices.DeleteFunc(active.procs, func(q *Process) bool { return q == p })
	active.mu.Unlock()
}

// ActiveChildren returns the children of this process that are still
// running, in the order they were started: Python's
// multiprocessing.active_children(). Unlike Python's, it needs no side
// effect to reap the finished ones: concur reaps every child as soon as it
// exits.
func ActiveChildren() []*Process {
	active.mu.Lock()
	defer active.mu.Unlock()
	return slices.Clone(active.procs)
}
