package process

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/concurgo/concur/internal/shm"
)

// procKind is the worker kind of NewPool: child processes serving
// batches over their control connection (see childbatch.go).
type procKind struct{}

// procWorker is the parent's side of one worker process.
type procWorker struct {
	e    *poolEngine
	w    *poolWorker
	link *childLink
	seg  *shm.Segment // the progress segment
	role readRole     // who reads the worker's results (pool_reader.go)
}

// prepare encodes the task's arguments, unless they already are.
func (procKind) prepare(t *poolTask) error {
	if t.arg != nil {
		return nil
	}
	arg, err := t.b.encode(t.lo, t.hi)
	if err != nil {
		return err
	}
	t.arg = arg
	return nil
}

func (procKind) depth() int { return 4 }

func (procKind) spawn(e *poolEngine, w *poolWorker) error {
	seg, err := shm.New(progressSize)
	if err != nil {
		return err
	}
	files := []*os.File{seg.File()}
	init := e.cfg.init
	if init != nil {
		files = append(files, init.files...)
	}
	ident := nextIdentity()
	parts := make([]string, len(ident))
	for i, n := range ident {
		parts[i] = strconv.Itoa(n)
	}
	w.name = "SpawnPoolWorker-" + strings.Join(parts, ":") // Python's name for a spawned pool worker
	setup := setupMsg{
		Name:       w.name,
		Identity:   ident,
		Daemon:     true, // as Python's pool workers are
		AuthKey:    Current().AuthKey(),
		ParentName: Current().name,
		ParentPid:  pidOfSelf,
		Files:      fileNames(files),
		Progress:   true,
		Timed:      e.cfg.timeout > 0,
	}
	msgs := []func([]byte) []byte{setup.append}
	if init != nil {
		call := callMsg{Func: init.name, Arg: init.arg}
		msgs = append(msgs, call.append)
	}
	out, err := encodeControl(msgs...)
	if err != nil { // an initializer argument over the message limit
		seg.Close()
		return err
	}
	link, err := spawnChild(files, e.cfg.stdout, e.cfg.stderr)
	if err != nil {
		seg.Close()
		return err
	}
	w.pid = link.cmd.Process.Pid
	w.prog, w.stamp = progressIn(seg)
	pw := &procWorker{e: e, w: w, link: link, seg: seg}
	w.impl = pw
	pw.watchExit()
	e.register(w)
	go pw.serve()
	if _, err := link.conn.Write(out); err != nil {
		// Dead already, or killed by the handshake; serve reports it.
		link.cmd.Process.Kill()
	}
	return nil
}

// serve follows the worker from its handshake to its reaping: it waits
// for the worker to reach Main and run the initializer, then delivers the
// results it sends, and finally reports its exit.
func (pw *procWorker) serve() {
	e, w, l := pw.e, pw.w, pw.link
	err := l.handshake(e.cfg.startTimeout)
	if err == nil && e.cfg.init != nil {
		err = pw.initialize()
	}
	started := err == nil
	if started {
		e.ready(w)
		pw.receive()
	}
	code, sig := l.wait()
	exit := &ExitError{Name: w.name, Pid: w.pid, ExitCode: code, Signal: sig}
	if !started {
		var remote *RemoteError
		if !errors.As(err, &remote) && !errors.Is(err, ErrMainNotCalled) && !errors.Is(err, errMalformedControl) {
			err = exit // it died before it could take tasks
		}
		e.failedToStart(w, err)
	}
	<-pw.role.unwatch // the watcher is done once the worker has exited
	e.exited(w, exit)
	pw.seg.Close() // after exited, which reads the progress word
}

// initialize waits for the outcome of the initializer call.
func (pw *procWorker) initialize() error {
	msg, err := pw.link.receive()
	if err != nil {
		return err
	}
	res, err := decodeResult(msg)
	if err != nil {
		pw.link.cmd.Process.Kill()
		return err
	}
	if res.Status != statusOK {
		pw.link.cmd.Process.Kill()
		return res.remoteError(pw.e.cfg.init.name, pw.w.name, pw.w.pid)
	}
	return nil
}

func (pw *procWorker) deliver(msg []byte) error {
	e, w := pw.e, pw.w
	p, err := decodePartial(msg)
	if err != nil {
		return err
	}
	e.mu.Lock()
	var t *poolTask
	if len(w.tasks) > 0 {
		t = w.tasks[0] // results come in the order the tasks were sent
	}
	e.mu.Unlock()
	if t == nil || p.ID != uint64(t.seq) || p.From != t.got || p.Count > t.n()-t.got {
		return fmt.Errorf("%w: results out of turn", errMalformedControl)
	}
	fails := make([]itemError, len(p.Failures))
	for i := range p.Failures {
		f := &p.Failures[i]
		fails[i] = itemError{t.lo + f.Index, f.remoteError(t.b.funcName(), w.name, w.pid)}
	}
	lo := t.lo + p.From
	if err := t.b.decode(lo, p.Count, p.Values, fails); err != nil {
		// Results that do not decode fail their items, and only those.
		all := failAll(lo, lo+p.Count, err)
		for _, f := range fails {
			all[f.i-lo] = f
		}
		fails = all
	}
	t.got = p.From + p.Count
	if t.got == t.n() {
		pw.role.delivered()
	}
	e.received(w, t, p.From, t.got, fails)
	return nil
}

func (pw *procWorker) send(t *poolTask) {
	b := batchMsg{ID: uint64(t.seq), Func: t.b.funcName(), Count: t.n(), Arg: t.arg}
	out, err := encodeControl(b.append)
	t.arg = nil // a task that comes back is encoded again, for the items it still has
	if err != nil {
		// Over the message limit: fail the task's items rather than the worker.
		pw.e.received(pw.w, t, 0, t.n(), failAll(t.lo, t.hi, &EncodeError{Type: "arguments of " + t.b.funcName(), Err: err}))
		return
	}
	pw.role.sent(t, pw)
	pw.link.conn.Write(out) // an error means the worker is gone; serve reports it
}

func (pw *procWorker) kill() { pw.link.cmd.Process.Kill() }

// retire closes the worker's connection: an idle worker exits at once on
// end of stream, with status 0.
func (pw *procWorker) retire() { pw.link.conn.CloseWrite() }
