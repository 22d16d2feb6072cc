package process

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"runtime"
	"sync"
	"syscall"
	"time"

	"github.com/concurgo/concur/internal/wire"
)

// controlFD is the child's end of the control socket; the files an
// argument carries follow it, at 4, 5, ...
const controlFD = 3

// childLink is the parent's side of a child that serves calls: the child
// process and its control connection. A Process drives one call over it;
// a pool drives many.
type childLink struct {
	cmd  *exec.Cmd
	conn *net.UnixConn
	in   *bufio.Reader
}

// spawnChild starts this binary again as a child, handing it files as
// inherited descriptors (fd 4 onwards, in order; setupMsg.Files names
// them). The caller then sends the setup message and watches the
// handshake from another goroutine, since a write may block until the
// child reads it, and a child that never reads is killed by handshake.
func spawnChild(files []*os.File, stdout, stderr io.Writer) (*childLink, error) {
	if !mainCalled.Load() {
		reportNoMain()
		return nil, ErrMainNotCalled
	}
	fds, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, os.NewSyscallError("socketpair", err)
	}
	parentEnd := os.NewFile(uintptr(fds[0]), "concur-control")
	childEnd := os.NewFile(uintptr(fds[1]), "concur-control")
	defer childEnd.Close()
	conn, err := net.FileConn(parentEnd)
	parentEnd.Close()
	if err != nil {
		return nil, err
	}
	cmd := &exec.Cmd{
		// /proc/self/exe is this very binary even if its file was
		// replaced or removed since it started, so parent and child
		// always agree on the registered functions.
		Path:       "/proc/self/exe",
		Args:       os.Args, // as Python's spawn restores sys.argv in the child
		Env:        append(os.Environ(), envChild+"=1"),
		Stdout:     stdout,
		Stderr:     stderr,
		ExtraFiles: append([]*os.File{childEnd}, files...),
		SysProcAttr: &syscall.SysProcAttr{
			// The kernel kills the child when the thread that forked it
			// exits; startOnSpawnThread makes that the death of the
			// process (golang/go#27505).
			Pdeathsig: syscall.SIGKILL,
		},
	}
	if err := startOnSpawnThread(cmd); err != nil {
		conn.Close()
		return nil, fmt.Errorf("process: starting a child: %w", err)
	}
	return &childLink{cmd: cmd, conn: conn.(*net.UnixConn), in: bufio.NewReader(conn)}, nil
}

// fileNames returns the names setupMsg.Files carries for files.
func fileNames(files []*os.File) []string {
	names := make([]string, len(files))
	for i, f := range files {
		names[i] = f.Name()
	}
	return names
}

// encodeControl frames control messages, each built by appending to a
// buffer, so that they can go out in a single write.
func encodeControl(msgs ...func([]byte) []byte) ([]byte, error) {
	var buf []byte
	for _, build := range msgs {
		start := len(buf)
		buf = append(buf, 0, 0, 0, 0)
		buf = build(buf)
		n := len(buf) - start - 4
		if n > maxControlMessage {
			return nil, fmt.Errorf("process: control message of %d bytes exceeds the limit of %d", n, maxControlMessage)
		}
		copy(buf[start:], wire.AppendHeader(nil, n)) // 4 bytes for any n under the limit
	}
	return buf, nil
}

// receive reads one control message.
func (l *childLink) receive() ([]byte, error) {
	return wire.ReadFrame(l.in, maxControlMessage)
}

// handshake waits for the child to report that it reached Main. A child
// that reports instead that it tried to start a process without Main, or
// that says nothing within timeout, is killed: it runs code that does not
// call Main, and would otherwise run on unsupervised. A child that exits
// first returns io.EOF; its exit status tells why.
func (l *childLink) handshake(timeout time.Duration) error {
	l.conn.SetReadDeadline(time.Now().Add(timeout))
	msg, err := l.receive()
	l.conn.SetReadDeadline(time.Time{})
	pid := l.cmd.Process.Pid
	switch {
	case errors.Is(err, os.ErrDeadlineExceeded):
		l.cmd.Process.Kill()
		return fmt.Errorf("%w (child pid %d did not reach it within %v)", ErrMainNotCalled, pid, timeout)
	case err != nil:
		return err
	case len(msg) == 1 && msg[0] == msgHello:
		return nil
	case len(msg) == 1 && msg[0] == msgNoMain:
		l.cmd.Process.Kill()
		return fmt.Errorf("%w (child pid %d tried to start a process without it)", ErrMainNotCalled, pid)
	}
	l.cmd.Process.Kill()
	return fmt.Errorf("%w: unexpected first message from child pid %d", errMalformedControl, pid)
}

// wait reaps the child and closes the control connection. It returns the
// exit code in Python's convention (negative for a signal) and the signal.
func (l *childLink) wait() (int, syscall.Signal) {
	l.cmd.Wait()
	l.conn.Close()
	releaseSpawnThread()
	ws := l.cmd.ProcessState.Sys().(syscall.WaitStatus)
	if ws.Signaled() {
		return -int(ws.Signal()), ws.Signal()
	}
	return ws.ExitStatus(), 0
}

// reportNoMain tells the parent, if this is a child that concur started
// and that never reached Main, that it tried to start a process: the
// parent then kills it and reports ErrMainNotCalled without waiting for
// the start timeout. Start itself refuses in any case, so a program that
// forgot Main cannot multiply.
func reportNoMain() {
	if _, child := os.LookupEnv(envChild); !child {
		return
	}
	var st syscall.Stat_t
	if syscall.Fstat(controlFD, &st) != nil || st.Mode&syscall.S_IFMT != syscall.S_IFSOCK {
		return // the program closed or reused fd 3; the start timeout will catch it
	}
	msg, _ := encodeControl(func(b []byte) []byte { return append(b, msgNoMain) })
	syscall.Write(controlFD, msg)
}

// The spawn thread. Linux's parent-death signal (Pdeathsig) fires when
// the *thread* that forked the child exits, not the process
// (golang/go#27505), and the Go runtime may end threads at will when
// goroutines lock and unlock them. Every child is therefore forked from a
// goroutine locked to its thread for as long as any child it started is
// alive. When the last one has been reaped the goroutine returns, which
// ends the thread — harmless, as no child remains to be signalled — so an
// idle program keeps no extra thread or goroutine around.
var spawnThread struct {
	mu   sync.Mutex
	reqs chan spawnReq
	live int // children started from the thread and not yet reaped, plus starts under way
}

type spawnReq struct {
	cmd  *exec.Cmd
	done chan error
}

func startOnSpawnThread(cmd *exec.Cmd) error {
	spawnThread.mu.Lock()
	spawnThread.live++
	if spawnThread.reqs == nil {
		spawnThread.reqs = make(chan spawnReq)
		go spawnLoop(spawnThread.reqs)
	}
	reqs := spawnThread.reqs
	spawnThread.mu.Unlock()

	done := make(chan error, 1)
	reqs <- spawnReq{cmd, done}
	err := <-done
	if err != nil {
		releaseSpawnThread()
	}
	return err
}

// releaseSpawnThread records that a child started from the spawn thread
// has been reaped.
func releaseSpawnThread() {
	spawnThread.mu.Lock()
	defer spawnThread.mu.Unlock()
	spawnThread.live--
	if spawnThread.live == 0 {
		close(spawnThread.reqs)
		spawnThread.reqs = nil
	}
}

func spawnLoop(reqs <-chan spawnReq) {
	// Never unlocked: the thread must not run anything else, and it is
	// to end with this goroutine.
	runtime.LockOSThread()
	for r := range reqs {
		r.done <- r.cmd.Start()
	}
}
