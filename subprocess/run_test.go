//go:build linux

package subprocess_test

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/concurgo/concur/subprocess"
)

func TestRunCapturesOutputAndReturnCode(t *testing.T) {
	cp, err := subprocess.Run(t.Context(), []string{"sh", "-c", "echo out; echo err >&2; exit 3"}, subprocess.CaptureOutput())
	if err != nil {
		t.Fatal(err)
	}
	if cp.ReturnCode != 3 || string(cp.Stdout) != "out\n" || string(cp.Stderr) != "err\n" {
		t.Errorf("got %+v", cp)
	}
	if cp.Args[0] != "sh" {
		t.Errorf("Args = %q", cp.Args)
	}
}

func TestRunCapturesOnlyWhatIsAskedFor(t *testing.T) {
	cp, err := subprocess.Run(t.Context(), []string{"sh", "-c", "echo out; echo err >&2"},
		subprocess.Stdout(subprocess.Pipe), subprocess.Stderr(subprocess.DevNull))
	if err != nil {
		t.Fatal(err)
	}
	if string(cp.Stdout) != "out\n" || cp.Stderr != nil {
		t.Errorf("got %+v", cp)
	}
}

func TestRunInput(t *testing.T) {
	cp, err := subprocess.Run(t.Context(), []string{"tr", "a-z", "A-Z"}, subprocess.Input([]byte("shout")), subprocess.CaptureOutput())
	if err != nil {
		t.Fatal(err)
	}
	if string(cp.Stdout) != "SHOUT" {
		t.Errorf("Stdout = %q", cp.Stdout)
	}
}

func TestCheckErrorsCarryOutput(t *testing.T) {
	argv := []string{"sh", "-c", "echo out; echo err >&2; exit 2"}
	check := func(t *testing.T, err error, stdout, stderr string) {
		t.Helper()
		var cpe *subprocess.CalledProcessError
		if !errors.As(err, &cpe) {
			t.Fatalf("err = %v, want *CalledProcessError", err)
		}
		if cpe.ReturnCode != 2 || string(cpe.Stdout) != stdout || string(cpe.Stderr) != stderr {
			t.Errorf("got %+v", cpe)
		}
		if want := `subprocess: command ["sh" "-c" "echo out; echo err >&2; exit 2"] returned non-zero exit status 2`; err.Error() != want {
			t.Errorf("Error() = %q", err)
		}
	}
	t.Run("Run", func(t *testing.T) {
		cp, err := subprocess.Run(t.Context(), argv, subprocess.CaptureOutput(), subprocess.Check())
		check(t, err, "out\n", "err\n")
		if cp == nil || cp.ReturnCode != 2 {
			t.Errorf("CompletedProcess = %+v, want it beside the error", cp)
		}
	})
	t.Run("CheckOutput", func(t *testing.T) {
		out, err := subprocess.CheckOutput(t.Context(), argv, subprocess.Stderr(subprocess.Pipe))
		check(t, err, "out\n", "err\n")
		if string(out) != "out\n" {
			t.Errorf("output = %q", out)
		}
	})
	t.Run("CheckCall", func(t *testing.T) {
		check(t, subprocess.CheckCall(t.Context(), argv, subprocess.CaptureOutput()), "out\n", "err\n")
	})
	t.Run("CheckReturnCode", func(t *testing.T) {
		cp, err := subprocess.Run(t.Context(), argv, subprocess.CaptureOutput())
		if err != nil {
			t.Fatal(err)
		}
		check(t, cp.CheckReturnCode(), "out\n", "err\n")
	})
}

func TestChecksPassOnZero(t *testing.T) {
	if err := subprocess.CheckCall(t.Context(), []string{"true"}); err != nil {
		t.Error(err)
	}
	out, err := subprocess.CheckOutput(t.Context(), []string{"sh", "-c", "echo a; echo b >&2"}, subprocess.Stderr(subprocess.ToStdout))
	if err != nil || string(out) != "a\nb\n" {
		t.Errorf("CheckOutput = %q, %v", out, err)
	}
	code, err := subprocess.Call(t.Context(), []string{"false"})
	if code != 1 || err != nil {
		t.Errorf("Call(false) = %d, %v", code, err)
	}
}

func TestSignalIsNegativeReturnCode(t *testing.T) {
	cp, err := subprocess.Run(t.Context(), []string{"sh", "-c", "kill -TERM $$"})
	if err != nil {
		t.Fatal(err)
	}
	if cp.ReturnCode != -int(syscall.SIGTERM) {
		t.Errorf("ReturnCode = %d, want %d", cp.ReturnCode, -int(syscall.SIGTERM))
	}
	err = cp.CheckReturnCode()
	if want := `subprocess: command ["sh" "-c" "kill -TERM $$"] died with signal 15 (terminated)`; err == nil || err.Error() != want {
		t.Errorf("CheckReturnCode() = %v, want %s", err, want)
	}
}

func TestMissingProgramIsNotExist(t *testing.T) {
	for _, argv := range [][]string{{"no-such-program-concur"}, {"/no/such/program"}} {
		cp, err := subprocess.Run(t.Context(), argv)
		if !errors.Is(err, fs.ErrNotExist) || cp != nil {
			t.Errorf("Run(%q) = %v, %v; want fs.ErrNotExist", argv, cp, err)
		}
	}
	_, err := subprocess.Start([]string{"no-such-program-concur"})
	if !errors.Is(err, exec.ErrNotFound) || !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Start = %v, want exec.ErrNotFound and fs.ErrNotExist", err)
	}
	_, err = subprocess.Run(t.Context(), []string{"true"}, subprocess.Dir("/no/such/dir"))
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Dir(missing) = %v, want fs.ErrNotExist", err)
	}
	notExec := filepath.Join(t.TempDir(), "script")
	os.WriteFile(notExec, []byte("#!/bin/sh\n"), 0o644)
	_, err = subprocess.Run(t.Context(), []string{notExec})
	if !errors.Is(err, fs.ErrPermission) {
		t.Errorf("non-executable = %v, want fs.ErrPermission", err)
	}
	if _, err := subprocess.Run(t.Context(), nil); err == nil {
		t.Error("empty argv started something")
	}
}

func TestNoShellUnlessAsked(t *testing.T) {
	_, err := subprocess.Run(t.Context(), []string{"echo hi | cat"})
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a command line without Shell = %v, want fs.ErrNotExist", err)
	}
	cp, err := subprocess.Run(t.Context(), []string{`echo "$1" "$0" | tr a-z A-Z`, "zero", "one"},
		subprocess.Shell(), subprocess.CaptureOutput())
	if err != nil || string(cp.Stdout) != "ONE ZERO\n" {
		t.Errorf("Shell = %+v, %v", cp, err)
	}
}

func TestDirAndEnv(t *testing.T) {
	dir := t.TempDir()
	cp, err := subprocess.Run(t.Context(), []string{"sh", "-c", `pwd; echo "$GREETING"`},
		subprocess.Dir(dir), subprocess.Env([]string{"GREETING=hi"}), subprocess.CaptureOutput())
	if err != nil {
		t.Fatal(err)
	}
	want, _ := filepath.EvalSymlinks(dir)
	if got := lines(cp.Stdout); len(got) != 2 || got[0] != want || got[1] != "hi" {
		t.Errorf("got %q, want [%s hi]", got, want)
	}
}

func TestRedirectToAndFrom(t *testing.T) {
	f, err := os.Create(filepath.Join(t.TempDir(), "out"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var errBuf strings.Builder
	_, err = subprocess.Run(t.Context(), []string{"sh", "-c", "cat; echo err >&2"},
		subprocess.Stdin(subprocess.From(strings.NewReader("from a reader\n"))),
		subprocess.Stdout(subprocess.To(f)),
		subprocess.Stderr(subprocess.To(&errBuf)))
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(f.Name()); string(got) != "from a reader\n" || errBuf.String() != "err\n" {
		t.Errorf("file %q, stderr %q", got, errBuf.String())
	}
}

func TestTimeoutIsDeadlineExceeded(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	cp, err := subprocess.Run(ctx, []string{"sleep", "1000"})
	var te *subprocess.TimeoutExpired
	if !errors.As(err, &te) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want *TimeoutExpired matching DeadlineExceeded", err)
	}
	if cp.ReturnCode != -int(syscall.SIGKILL) {
		t.Errorf("ReturnCode = %d, want -9", cp.ReturnCode)
	}
}

func TestTimeoutCarriesPartialOutput(t *testing.T) {
	ctx := newManualDeadline()
	ready := newSignalWriter()
	expireWhenReady(ctx, ready)
	// The child writes its output, then says so on stderr, then hangs.
	cp, err := subprocess.Run(ctx, []string{"sh", "-c", "echo partial; echo ready >&2; sleep 1000"},
		subprocess.Stdout(subprocess.Pipe), subprocess.Stderr(subprocess.To(ready)))
	var te *subprocess.TimeoutExpired
	if !errors.As(err, &te) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want *TimeoutExpired", err)
	}
	if string(te.Stdout) != "partial\n" || string(cp.Stdout) != "partial\n" {
		t.Errorf("partial output: error %q, result %q", te.Stdout, cp.Stdout)
	}
}

func TestTimeoutCause(t *testing.T) {
	errSlow := errors.New("too slow")
	ctx, cancel := context.WithTimeoutCause(t.Context(), time.Millisecond, errSlow)
	defer cancel()
	_, err := subprocess.Run(ctx, []string{"sleep", "1000"})
	if !errors.Is(err, context.DeadlineExceeded) || !errors.Is(err, errSlow) {
		t.Errorf("err = %v, want DeadlineExceeded and the cause", err)
	}
}

func TestCancelIsCanceled(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	ready := newSignalWriter()
	go func() { <-ready.Ready; cancel() }()
	_, err := subprocess.Run(ctx, []string{"sh", "-c", "echo ready; sleep 1000"}, subprocess.Stdout(subprocess.To(ready)))
	var te *subprocess.TimeoutExpired
	if !errors.As(err, &te) || !errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("err = %v, want *TimeoutExpired matching only Canceled", err)
	}
}

func TestRunWithDoneContextStartsNothing(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	marker := filepath.Join(t.TempDir(), "ran")
	cp, err := subprocess.Run(ctx, []string{"touch", marker})
	if !errors.Is(err, context.Canceled) || cp != nil {
		t.Errorf("Run = %v, %v", cp, err)
	}
	if _, err := os.Stat(marker); err == nil {
		t.Error("the child ran")
	}
}

func TestTimeoutKillsProcessTree(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts []subprocess.Option
	}{
		{"kill", nil},
		{"grace", []subprocess.Option{subprocess.Grace(10 * time.Second)}},
		{"session", []subprocess.Option{subprocess.NewSession()}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := newManualDeadline()
			ready := newSignalWriter()
			expireWhenReady(ctx, ready)
			// The shell starts a sleeping grandchild that holds stdout and
			// names it on stderr, then waits for it.
			opts := append([]subprocess.Option{subprocess.Stdout(subprocess.Pipe), subprocess.Stderr(subprocess.To(ready))}, tc.opts...)
			_, err := subprocess.Run(ctx, []string{"sh", "-c", "sleep 1000 & echo $! >&2; wait"}, opts...)
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("err = %v", err)
			}
			waitGone(t, pidLine(t, ready.FirstLine()))
		})
	}
}

func TestGraceLetsTheChildCleanUp(t *testing.T) {
	ctx := newManualDeadline()
	ready := newSignalWriter()
	expireWhenReady(ctx, ready)
	cp, err := subprocess.Run(ctx, []string{"sh", "-c", `trap 'echo cleaned up; exit 7' TERM; echo ready >&2; sleep 1000 & wait`},
		subprocess.Stdout(subprocess.Pipe), subprocess.Stderr(subprocess.To(ready)), subprocess.Grace(time.Minute))
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("err = %v", err)
	}
	if string(cp.Stdout) != "cleaned up\n" || cp.ReturnCode != 7 {
		t.Errorf("got %+v, want the TERM handler's output and exit status", cp)
	}
}

func TestTimeoutAfterChildExitKillsPipeHolders(t *testing.T) {
	// The shell exits at once; its background grandchild keeps stdout open.
	// With no WaitDelay only the deadline can end Communicate, and the
	// group kill reaches the grandchild because the shell, though exited,
	// is not reaped yet.
	ready := newSignalWriter()
	p, err := subprocess.Start([]string{"sh", "-c", "echo out; sleep 1000 & echo $! >&2"},
		subprocess.Stdout(subprocess.Pipe), subprocess.Stderr(subprocess.To(ready)), subprocess.WaitDelay(0))
	if err != nil {
		t.Fatal(err)
	}
	ctx := newManualDeadline()
	go func() {
		<-ready.Ready
		<-p.Done()
		ctx.Expire()
	}()
	stdout, _, err := p.Communicate(ctx, nil)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("err = %v", err)
	}
	if p.ReturnCode() != 0 || string(stdout) != "out\n" {
		t.Errorf("got %d, %q", p.ReturnCode(), stdout)
	}
	waitGone(t, pidLine(t, ready.FirstLine()))
}

func TestWaitDelayCutsOffPipeHolders(t *testing.T) {
	cp, err := subprocess.Run(t.Context(), []string{"sh", "-c", "sleep 1000 & echo $!"},
		subprocess.CaptureOutput(), subprocess.WaitDelay(20*time.Millisecond))
	if !errors.Is(err, exec.ErrWaitDelay) {
		t.Errorf("err = %v, want exec.ErrWaitDelay", err)
	}
	if cp == nil || cp.ReturnCode != 0 {
		t.Fatalf("got %+v", cp)
	}
	// The daemon was left running, as Python and os/exec leave it; end it.
	pid := pidLine(t, strings.TrimSpace(string(cp.Stdout)))
	syscall.Kill(pid, syscall.SIGKILL)
	waitGone(t, pid)
}

func TestSameProcessGroup(t *testing.T) {
	cp, err := subprocess.Run(t.Context(), []string{"sh", "-c", "ps -o pgid= -p $$"}, subprocess.SameProcessGroup(), subprocess.CaptureOutput())
	if err != nil {
		t.Fatal(err)
	}
	if got, want := strings.TrimSpace(string(cp.Stdout)), syscall.Getpgrp(); pidLine(t, got) != want {
		t.Errorf("child's group %s, want ours %d", got, want)
	}
}

func TestOptionMisusePanics(t *testing.T) {
	for name, f := range map[string]func(){
		"Input with Stdin": func() {
			subprocess.Run(t.Context(), []string{"true"}, subprocess.Input(nil), subprocess.Stdin(subprocess.DevNull))
		},
		"CheckOutput and Stdout": func() { subprocess.CheckOutput(t.Context(), []string{"true"}, subprocess.Stdout(subprocess.DevNull)) },
		"Start with Input":       func() { subprocess.Start([]string{"true"}, subprocess.Input(nil)) },
		"Start with Check":       func() { subprocess.Start([]string{"true"}, subprocess.Check()) },
		"Stdin(ToStdout)":        func() { subprocess.Stdin(subprocess.ToStdout) },
		"Stdout(From)":           func() { subprocess.Stdout(subprocess.From(strings.NewReader(""))) },
		"Stderr(From)":           func() { subprocess.Stderr(subprocess.From(strings.NewReader(""))) },
		"negative Grace":         func() { subprocess.Grace(-1) },
		"negative WaitDelay":     func() { subprocess.WaitDelay(-1) },
	} {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Error("no panic")
				}
			}()
			f()
		})
	}
}
