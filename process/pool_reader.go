package process

import (
	"fmt"
	"os"
	"sync"

	"golang.org/x/sys/unix"
)

// Who reads a process worker's results.
//
// A goroutine of the pool reads each worker's connection and wakes the
// callers whose results arrive. For a caller that sends one small task
// and waits for it (Apply), that hand-off costs as much as the rest of
// the round trip: the reader is woken by the network poller, and it wakes
// the caller, which on more than one CPU makes the scheduler wake another
// thread too (on two vCPUs, an Apply took 40 µs with the hand-off and
// 20 µs without). So the role of reader moves:
// when a caller that waits for its one task sends it to a worker that has
// no other results due, the caller takes the role, reads its result, and
// hands the role back.
//
// The pool's reader then has nothing to read while its worker is idle,
// and does not: it waits to be rung. A worker that dies while idle is
// noticed by its exit watcher (a pidfd in the network poller), which
// rings the reader so that it reads the connection to its end and
// reports the exit. Where no pidfd can be opened, the reader reads at all
// times, as before, and no caller takes its role.
type readRole struct {
	mu      sync.Mutex
	due     int  // tasks sent whose last results have not been delivered
	taken   bool // the reader or a caller holds the role
	ended   bool // the worker has exited (or its exit cannot be waited for): read its connection to the end
	watched bool // the worker's exit is watched, so the reader may wait while nothing is due
	bell    chan struct{}
	unwatch chan struct{} // closed once the exit watcher is done
}

// resultReader is a worker's read role, handed to the caller of a call
// that reads its own result (poolCall.turn).
type resultReader interface {
	// readFor reads and delivers results until c is over or the
	// connection fails, then hands the role back.
	readFor(c *poolCall)
}

// pidfdOpen is unix.PidfdOpen; a test replaces it to check the pool
// without exit watchers.
var pidfdOpen = unix.PidfdOpen

// watchExit starts the exit watcher of pw's worker, if it can.
func (pw *procWorker) watchExit() {
	r := &pw.role
	r.bell = make(chan struct{}, 1)
	r.unwatch = make(chan struct{})
	r.watched = onExit(pw.w.pid, func() {
		r.mu.Lock()
		r.ended = true
		r.mu.Unlock()
		r.ring()
		close(r.unwatch)
	})
	if !r.watched {
		close(r.unwatch)
	}
}

// onExit calls exited, on a goroutine of its own, once the child pid has
// exited — it need not be reaped — and reports whether it could watch
// it; if not, exited is never called. The goroutine waits in the network
// poller, on a pidfd, so it costs no thread. If the poller should refuse
// the pidfd, exited is called at once: its caller then acts as if the
// process were gone, which for the pool means reading at all times.
func onExit(pid int, exited func()) bool {
	fd, err := pidfdOpen(pid, unix.PIDFD_NONBLOCK)
	if err != nil {
		return false
	}
	f := os.NewFile(uintptr(fd), "pidfd")
	conn, err := f.SyscallConn()
	if err != nil {
		f.Close()
		return false
	}
	go func() {
		// A pidfd turns readable when its process exits. Read calls the
		// func, and waits for readability whenever it returns false; the
		// func must look itself, as a process that exited before the
		// wait began sends the poller no new event.
		conn.Read(func(fd uintptr) bool {
			p := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
			n, err := unix.Poll(p, 0)
			return n > 0 || err != nil && err != unix.EINTR
		})
		f.Close()
		exited()
	}()
	return true
}

// ring wakes the reader if it waits.
func (r *readRole) ring() {
	select {
	case r.bell <- struct{}{}:
	default:
	}
}

// mustReadLocked reports whether the reader, or whoever holds the role, has
// something to read.
func (r *readRole) mustReadLocked() bool { return r.due > 0 || r.ended || !r.watched }

// take blocks until the reader should read, and gives it the role.
func (r *readRole) take() {
	for {
		r.mu.Lock()
		if !r.taken && r.mustReadLocked() {
			r.taken = true
			r.mu.Unlock()
			return
		}
		r.mu.Unlock()
		<-r.bell
	}
}

// release gives the role up, ringing the reader if there is more to read.
func (r *readRole) release() {
	r.mu.Lock()
	r.taken = false
	more := r.mustReadLocked()
	r.mu.Unlock()
	if more {
		r.ring()
	}
}

// sent records that t goes to the worker, and decides who reads its
// results: the caller of its call, if it waits for them and nothing else
// is due; otherwise the reader.
func (r *readRole) sent(t *poolTask, pw *procWorker) {
	r.mu.Lock()
	r.due++
	if r.watched && !r.taken && !r.ended && r.due == 1 && t.b.call().handTurn(pw) {
		r.taken = true
	}
	ring := !r.taken
	r.mu.Unlock()
	if ring {
		r.ring()
	}
}

// delivered records that the last results of a task arrived.
func (r *readRole) delivered() {
	r.mu.Lock()
	r.due--
	r.mu.Unlock()
}

// receive is the pool's reader: it delivers the worker's results until
// its connection ends, holding the read role while it reads. A message
// that a worker of this binary could not have sent kills it.
func (pw *procWorker) receive() {
	for {
		pw.role.take()
		msg, err := pw.link.receive()
		if err != nil {
			return // keeping the role: there is nothing more to read
		}
		if err := pw.deliver(msg); err != nil {
			pw.reject(err)
			return
		}
		pw.role.release()
	}
}

// readFor is the read role in the hands of c's caller (resultReader).
func (pw *procWorker) readFor(c *poolCall) {
	for !c.over.Load() {
		msg, err := pw.link.receive()
		if err != nil {
			break // the worker is gone: the reader takes the role, sees the end and reports the exit
		}
		if err := pw.deliver(msg); err != nil {
			pw.reject(err)
			break
		}
	}
	pw.role.release()
}

// reject kills a worker that sent what it could not have.
func (pw *procWorker) reject(err error) {
	fmt.Fprintf(os.Stderr, "process: pool worker %s (pid %d): %v\n", pw.w.name, pw.w.pid, err)
	pw.link.cmd.Process.Kill()
}
