//go:build linux

package subprocess_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"
)

// helperEnv makes the test binary act as a child program instead of
// running tests; its value names the program (see helpers).
const helperEnv = "SUBPROCESS_TEST_HELPER"

var helpers = map[string]func() int{
	// mirror copies stdin to both stdout and stderr, chunk by chunk, so
	// that all three pipes are busy at once.
	"mirror": func() int {
		buf := make([]byte, 64<<10)
		for {
			n, err := os.Stdin.Read(buf)
			if n > 0 {
				os.Stdout.Write(buf[:n])
				os.Stderr.Write(buf[:n])
			}
			if err == io.EOF {
				return 0
			}
			if err != nil {
				return 1
			}
		}
	},
}

func TestMain(m *testing.M) {
	if name := os.Getenv(helperEnv); name != "" {
		os.Exit(helpers[name]())
	}
	goleak.VerifyTestMain(m)
}

// helper returns argv and the environment that run the named helper.
func helper(t testing.TB, name string) (argv, env []string) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	// GORACE spares a helper built with -race the race detector's second
	// of sleep before a normal exit.
	return []string{exe}, append(os.Environ(), helperEnv+"="+name, "GORACE=atexit_sleep_ms=0")
}

// signalWriter collects what a child writes and closes Ready once a full
// line has arrived, so a test can act on the child having reached a point
// without sleeping.
type signalWriter struct {
	mu    sync.Mutex
	buf   bytes.Buffer
	once  sync.Once
	Ready chan struct{}
}

func newSignalWriter() *signalWriter { return &signalWriter{Ready: make(chan struct{})} }

func (w *signalWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	if bytes.Contains(w.buf.Bytes(), []byte("\n")) {
		w.once.Do(func() { close(w.Ready) })
	}
	return len(p), nil
}

// FirstLine returns the first line written, once Ready is closed.
func (w *signalWriter) FirstLine() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	line, _, _ := strings.Cut(w.buf.String(), "\n")
	return line
}

// manualDeadline is a context whose deadline the test fires by hand: it
// reports context.DeadlineExceeded exactly as an expired timeout does, at
// the moment the test chooses instead of after some guessed duration.
type manualDeadline struct {
	context.Context
	done chan struct{}
	once sync.Once
}

func newManualDeadline() *manualDeadline {
	return &manualDeadline{Context: context.Background(), done: make(chan struct{})}
}

func (c *manualDeadline) Expire()                     { c.once.Do(func() { close(c.done) }) }
func (c *manualDeadline) Done() <-chan struct{}       { return c.done }
func (c *manualDeadline) Deadline() (time.Time, bool) { return time.Time{}, false }
func (c *manualDeadline) Err() error {
	select {
	case <-c.done:
		return context.DeadlineExceeded
	default:
		return nil
	}
}

// expireWhenReady fires ctx's deadline once w has seen a line.
func expireWhenReady(ctx *manualDeadline, w *signalWriter) {
	go func() {
		<-w.Ready
		ctx.Expire()
	}()
}

// waitGone waits until process pid has died: it no longer exists, or it is
// a zombie waiting for whoever inherited it to reap it. It fails the test
// if pid still runs after a generous bound, and kills it then so that the
// test leaves nothing behind.
func waitGone(t *testing.T, pid int) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if !alive(pid) {
			return
		}
	}
	syscall.Kill(pid, syscall.SIGKILL)
	t.Errorf("process %d is still running", pid)
}

// waitGroupGone is waitGone for every member of process group pgid.
func waitGroupGone(t *testing.T, pgid int) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if len(liveMembers(pgid)) == 0 {
			return
		}
	}
	syscall.Kill(-pgid, syscall.SIGKILL)
	t.Errorf("process group %d still has running members %v", pgid, liveMembers(pgid))
}

func alive(pid int) bool {
	state, _, ok := procStat(pid)
	return ok && state != 'Z'
}

func liveMembers(pgid int) []int {
	entries, _ := os.ReadDir("/proc")
	var live []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if state, group, ok := procStat(pid); ok && group == pgid && state != 'Z' {
			live = append(live, pid)
		}
	}
	return live
}

// procStat reads a process's state and process group from /proc.
func procStat(pid int) (state byte, pgid int, ok bool) {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, 0, false
	}
	// After the command name, in parentheses: state, ppid, pgrp, ...
	i := bytes.LastIndexByte(stat, ')')
	if i < 0 {
		return 0, 0, false
	}
	fields := strings.Fields(string(stat[i+1:]))
	if len(fields) < 3 {
		return 0, 0, false
	}
	pgid, err = strconv.Atoi(fields[2])
	return fields[0][0], pgid, err == nil
}

// pidLine parses a line holding a process ID.
func pidLine(t *testing.T, line string) int {
	t.Helper()
	pid, err := strconv.Atoi(strings.TrimSpace(line))
	if err != nil {
		t.Fatalf("want a pid, got %q", line)
	}
	return pid
}

// lines splits output into lines.
func lines(b []byte) []string {
	var out []string
	for s := bufio.NewScanner(bytes.NewReader(b)); s.Scan(); {
		out = append(out, s.Text())
	}
	return out
}
