package process

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"syscall"

	"github.com/concurgo/concur"
	"github.com/concurgo/concur/internal/shm"
	"github.com/concurgo/concur/internal/wire"
)

// runChild is Main in a child: bootstrap from the control socket, then
// serve calls until the call limit or the parent's disappearance. It
// never returns.
//
// The path to the function is kept short — a handshake, one read, a
// decode — since it is the start-up cost of every process.
func runChild() {
	syscall.CloseOnExec(controlFD) // no program this child starts may hold its parent's connection
	ctl := os.NewFile(controlFD, "concur-control")
	c, err := net.FileConn(ctl) // a close-on-exec duplicate
	ctl.Close()
	if err != nil {
		childFatal(fmt.Errorf("no control connection on fd %d: %w", controlFD, err))
	}
	conn := c.(*net.UnixConn)
	in := bufio.NewReader(conn)
	msg, err := wire.ReadFrame(in, maxControlMessage)
	if err != nil {
		os.Exit(0) // the parent is gone
	}
	setup, err := decodeSetup(msg)
	if err != nil {
		childFatal(err)
	}
	adoptIdentity(&setup)
	w := &worker{conn: conn, ctx: context.Background(), setup: &setup, files: inheritFiles(setup.Files)}
	if setup.Progress {
		seg, err := shm.FromFile(w.files[0])
		if err != nil {
			childFatal(fmt.Errorf("progress segment: %w", err))
		}
		w.progSeg = seg
		w.prog, w.stamp = progressIn(seg)
		if !setup.Timed {
			w.stamp = nil
		}
		w.files = w.files[1:]
	}
	if setup.Grace > 0 {
		w.ctx = stopOnSignals(setup.Grace)
	}
	// Hello goes out once the signal handler is in place, so that a
	// parent that waits for it can signal the child at once.
	hello, _ := encodeControl(func(b []byte) []byte { return append(b, msgHello) })
	if _, err := conn.Write(hello); err != nil {
		os.Exit(0) // the parent is gone
	}
	if setup.Progress {
		// A pool worker reads its tasks itself: no goroutine hands them
		// over, which on a small task costs more than the task. Between
		// tasks the read sees the parent's end at once; during one, the
		// parent-death signal ends the worker if the parent dies (the
		// parent itself kills, never hangs up on, a busy worker).
		w.serve(func() []byte {
			msg, err := wire.ReadFrame(in, maxControlMessage)
			if err != nil {
				os.Exit(0) // the parent is gone, or retired this worker
			}
			return msg
		})
	}
	w.serve(watchParent(in).take)
}

// childFatal reports a broken bootstrap, which only a bug in concur or a
// program that meddles with fd 3 can cause, and exits.
func childFatal(err error) {
	fmt.Fprintf(os.Stderr, "process: child %d: %v\n", os.Getpid(), err)
	os.Exit(1)
}

// inheritFiles wraps the descriptors that follow the control socket.
func inheritFiles(names []string) []*os.File {
	files := make([]*os.File, len(names))
	for i, name := range names {
		fd := controlFD + 1 + i
		syscall.CloseOnExec(fd)
		files[i] = os.NewFile(uintptr(fd), name)
	}
	return files
}

// worker is the child's side of the control protocol: it runs calls one
// at a time and answers each with a result. A Process's child serves one
// call; a pool's worker serves many over the same connection.
type worker struct {
	conn  *net.UnixConn
	ctx   context.Context // cancelled by a stop signal under WithGracePeriod
	setup *setupMsg
	files []*os.File // inherited with the first call's argument
	calls int

	// A pool worker's progress segment (see itemLoop); stamp is nil
	// unless the pool has a task timeout.
	progSeg *shm.Segment // kept reachable: its cleanup would unmap the words
	prog    *atomic.Uint64
	stamp   *atomic.Int64
}

// serve runs the calls and batches that next returns. After the call
// limit, or a stop signal, it does what a Python child does on the way out
// — terminate the daemon children, join the others — and exits with
// status 0 if the last call succeeded and 1 otherwise.
func (w *worker) serve(next func() []byte) {
	for {
		msg := next()
		var ok bool
		if len(msg) > 0 && msg[0] == msgBatch {
			ok = w.serveBatch(msg, next)
		} else {
			ok = w.serveCall(msg)
		}
		w.served(ok)
	}
}

// served counts a call or batch, and ends the process after the call
// limit or a stop signal.
func (w *worker) served(ok bool) {
	w.calls++
	if (w.setup.MaxCalls > 0 && w.calls >= w.setup.MaxCalls) || w.ctx.Err() != nil {
		shutdownChildren()
		if !ok {
			os.Exit(1)
		}
		os.Exit(0)
	}
}

// serveCall runs one call and sends its result. It reports whether the
// call succeeded.
func (w *worker) serveCall(msg []byte) bool {
	call, err := decodeCall(msg)
	if err != nil {
		childFatal(err)
	}
	files := w.files
	w.files = nil
	res := w.run(&call, files)
	out, err := encodeControl(res.append)
	if err != nil { // a result over the size limit
		res = resultMsg{ID: call.ID, Status: statusError, Type: fmt.Sprintf("%T", err), Text: err.Error()}
		out, _ = encodeControl(res.append)
	}
	w.send(out)
	return res.Status == statusOK
}

// send writes framed messages to the parent, or exits if it is gone.
func (w *worker) send(out []byte) {
	if _, err := w.conn.Write(out); err != nil {
		os.Exit(0) // the parent is gone
	}
}

// run dispatches one call and describes its outcome.
func (w *worker) run(call *callMsg, files []*os.File) resultMsg {
	res := resultMsg{ID: call.ID}
	var value []byte
	var err error
	if fn, ok := registry.lookup(call.Func); ok {
		value, err = fn.invoke(w.ctx, call.Arg, files)
	} else {
		for _, f := range files {
			f.Close()
		}
		err = unregisteredError(call.Func)
	}
	if err == nil {
		res.Status, res.Value = statusOK, value
	} else {
		res.Status, res.Type, res.Text, res.Stack = describe(err)
	}
	return res
}

// describe turns the error of a function that ran in this child into what
// a result message carries: the error's type and message, or for a panic
// the panic value's type and text and the stack.
func describe(err error) (status byte, typ, text, stack string) {
	switch e := err.(type) {
	case *concur.PanicError:
		return statusPanic, fmt.Sprintf("%T", e.Value), fmt.Sprint(e.Value), string(e.Stack)
	default:
		if err == concur.ErrGoexit {
			return statusPanic, fmt.Sprintf("%T", err), err.Error(), ""
		}
		return statusError, fmt.Sprintf("%T", err), err.Error(), ""
	}
}

// watchParent reads the parent's messages ahead of the calls, so that the
// end of the connection is seen at once even while a call runs: it means
// the parent died (or, for a pool's worker, retired it), and the child
// exits on the spot, whatever it is doing — a child never outlives its
// parent. Pdeathsig backs this up for a child too busy to run the reader.
func watchParent(in *bufio.Reader) *inbox {
	box := &inbox{ready: make(chan struct{}, 1)}
	go func() {
		for {
			msg, err := wire.ReadFrame(in, maxControlMessage)
			if err != nil {
				os.Exit(0)
			}
			box.put(msg)
		}
	}()
	return box
}

// inbox is an unbounded queue of messages from the parent, so that the
// reader never waits for a running call.
type inbox struct {
	mu    sync.Mutex
	msgs  [][]byte
	ready chan struct{} // holds a token while msgs may be non-empty
}

func (b *inbox) put(msg []byte) {
	b.mu.Lock()
	b.msgs = append(b.msgs, msg)
	b.mu.Unlock()
	select {
	case b.ready <- struct{}{}:
	default:
	}
}

func (b *inbox) take() []byte {
	for {
		b.mu.Lock()
		if len(b.msgs) > 0 {
			msg := b.msgs[0]
			b.msgs[0] = nil
			b.msgs = b.msgs[1:]
			b.mu.Unlock()
			return msg
		}
		b.mu.Unlock()
		<-b.ready
	}
}
