package process_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/concurgo/concur/process"
)

type treeArg struct {
	Out process.File
	N   int
}

type readyArg struct {
	Ready process.File
}

var (
	// spawnsTree starts N sleeping children, writes their pids to Out and
	// sleeps: the intermediate parent of the parent-death test.
	spawnsTree = process.RegisterTarget("test.spawnsTree", func(ctx context.Context, a treeArg) error {
		for range a.N {
			c := process.New(sleeps, struct{}{})
			if err := c.Start(); err != nil {
				return err
			}
			fmt.Fprintln(a.Out, c.Pid())
		}
		a.Out.Close()
		<-ctx.Done()
		return nil
	})
	// leavesChildren starts a daemon child that would sleep forever and a
	// non-daemon one that finishes its work a little later, then returns:
	// the child's exit path must terminate the first and wait for the second.
	leavesChildren = process.RegisterTarget("test.leavesChildren", func(_ context.Context, a treeArg) error {
		d := process.New(sleeps, struct{}{}, process.WithDaemon(true))
		if err := d.Start(); err != nil {
			return err
		}
		fmt.Fprintf(a.Out, "daemon %d\n", d.Pid())
		w := process.New(writesLater, a)
		if err := w.Start(); err != nil {
			return err
		}
		a.Out.Close()
		return nil
	})
	writesLater = process.RegisterTarget("test.writesLater", func(_ context.Context, a treeArg) error {
		time.Sleep(100 * time.Millisecond)
		_, err := fmt.Fprintln(a.Out, "non-daemon done")
		a.Out.Close()
		return err
	})
	// exitsWithDaemon starts a daemon child, then leaves by process.Exit.
	exitsWithDaemon = process.RegisterTarget("test.exitsWithDaemon", func(_ context.Context, a treeArg) error {
		d := process.New(sleeps, struct{}{}, process.WithDaemon(true))
		if err := d.Start(); err != nil {
			return err
		}
		fmt.Fprintf(a.Out, "%d\n", d.Pid())
		a.Out.Close()
		process.Exit(5)
		return nil
	})
	// nested starts a child of its own and returns what that child saw.
	nested = process.Register("test.nested", func(ctx context.Context, _ struct{}) (identity, error) {
		return process.Run(ctx, whoAmI, struct{}{})
	})
	// graceful cleans up when asked to stop, and says what stopped it.
	graceful = process.Register("test.graceful", func(ctx context.Context, a readyArg) (string, error) {
		fmt.Fprintln(a.Ready, "ready")
		a.Ready.Close()
		<-ctx.Done()
		var sig *process.SignalError
		if !errors.As(context.Cause(ctx), &sig) {
			return "", fmt.Errorf("cause %v is not a SignalError", context.Cause(ctx))
		}
		return "cleaned up after " + sig.Error(), nil
	})
	// stubborn notices the stop request but never returns.
	stubborn = process.RegisterTarget("test.stubborn", func(ctx context.Context, a readyArg) error {
		fmt.Fprintln(a.Ready, "ready")
		<-ctx.Done()
		fmt.Fprintln(a.Ready, "cancelled")
		time.Sleep(time.Hour)
		return nil
	})
	signalsParent = process.RegisterTarget("test.signalsParent", func(context.Context, struct{}) error {
		return process.Parent().SendSignal(syscall.SIGUSR1)
	})
)

// pipe returns a pipe whose write end goes to a child as a File; the
// parent's copy of the write end is closed once the child has started,
// so reading ends when every child has closed its copy.
func pipe(t *testing.T) (*bufio.Reader, process.File, func()) {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close(); w.Close() })
	return bufio.NewReader(r), process.File{File: w}, func() { w.Close() }
}

func TestParentKilledChildrenExit(t *testing.T) {
	t.Parallel()
	out, w, started := pipe(t)
	const n = 3
	mid := process.New(spawnsTree, treeArg{Out: w, N: n})
	mustStart(t, mid)
	started()
	var pids []int
	for range n {
		pid, err := strconv.Atoi(readLine(t, out))
		if err != nil {
			t.Fatal(err)
		}
		pids = append(pids, pid)
	}
	for _, pid := range pids {
		if pidGone(pid) {
			t.Fatalf("child %d is not running before its parent is killed", pid)
		}
	}
	mid.Kill() // SIGKILL: the intermediate parent gets no chance to clean up
	var ee *process.ExitError
	if err := mid.Join(background); !errors.As(err, &ee) || ee.Signal != syscall.SIGKILL {
		t.Fatalf("intermediate Join = %v", err)
	}
	if left := waitGone(pids, time.Second); len(left) > 0 {
		for _, pid := range left {
			syscall.Kill(pid, syscall.SIGKILL)
		}
		t.Fatalf("children %v outlived their killed parent by more than a second", left)
	}
}

func TestChildSurvivesExitOfStartingThread(t *testing.T) {
	t.Parallel()
	// golang/go#27505: Pdeathsig fires when the thread that forked the
	// child exits. Start from a goroutine whose locked thread then dies.
	started := make(chan *process.Child[struct{}])
	go func() {
		runtime.LockOSThread() // never unlocked: the thread exits with the goroutine
		p := process.New(sleeps, struct{}{})
		if err := p.Start(); err != nil {
			t.Error(err)
			close(started)
			return
		}
		started <- p
	}()
	p := <-started
	if p == nil {
		return
	}
	ctx, cancel := context.WithTimeout(background, 200*time.Millisecond)
	defer cancel()
	if err := p.Join(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("the child ended when the thread that started it exited: %v", err)
	}
	p.Kill()
	p.Join(background)
}

func TestChildExitTerminatesDaemonsAndJoinsOthers(t *testing.T) {
	t.Parallel()
	out, w, started := pipe(t)
	p := process.New(leavesChildren, treeArg{Out: w})
	mustStart(t, p)
	started()
	if err := p.Join(background); err != nil {
		t.Fatal(err)
	}
	all, err := io.ReadAll(out)
	if err != nil {
		t.Fatal(err)
	}
	var daemon int
	lines := strings.Split(strings.TrimSpace(string(all)), "\n")
	if len(lines) != 2 || lines[1] != "non-daemon done" {
		t.Fatalf("children wrote %q; want the daemon's pid, then the non-daemon's line", all)
	}
	if _, err := fmt.Sscanf(lines[0], "daemon %d", &daemon); err != nil {
		t.Fatal(err)
	}
	if !pidGone(daemon) {
		syscall.Kill(daemon, syscall.SIGKILL)
		t.Fatal("the daemon child still runs after its parent exited")
	}
}

func TestExitTerminatesDaemons(t *testing.T) {
	t.Parallel()
	out, w, started := pipe(t)
	p := process.New(exitsWithDaemon, treeArg{Out: w})
	mustStart(t, p)
	started()
	var ee *process.ExitError
	if err := p.Join(background); !errors.As(err, &ee) || ee.ExitCode != 5 {
		t.Fatalf("Join = %v, want exit status 5 from process.Exit(5)", err)
	}
	pid, err := strconv.Atoi(readLine(t, out))
	if err != nil {
		t.Fatal(err)
	}
	if !pidGone(pid) {
		syscall.Kill(pid, syscall.SIGKILL)
		t.Fatal("Exit left the daemon child running")
	}
}

func TestGrandchildIdentity(t *testing.T) {
	t.Parallel()
	p := process.New(nested, struct{}{})
	mustStart(t, p)
	id, err := p.Result(background)
	if err != nil {
		t.Fatal(err)
	}
	if id.Name != p.Name()+":1" {
		t.Errorf("grandchild named %q, want %s:1 (Python's nested numbering)", id.Name, p.Name())
	}
	if id.ParentName != p.Name() || id.ParentPid != p.Pid() || id.PPid != p.Pid() {
		t.Errorf("grandchild's parent is %q pid %d (getppid %d), want %q pid %d", id.ParentName, id.ParentPid, id.PPid, p.Name(), p.Pid())
	}
	if id.Env != "" {
		t.Errorf("the child marker leaked into the child's environment: %q", id.Env)
	}
	if string(id.AuthKey) != string(process.Current().AuthKey()) {
		t.Error("the grandchild did not inherit the authkey")
	}
}

func TestGracePeriodLetsChildCleanUp(t *testing.T) {
	t.Parallel()
	for _, sig := range []os.Signal{syscall.SIGTERM, os.Interrupt} {
		out, w, started := pipe(t)
		p := process.New(graceful, readyArg{Ready: w}, process.WithGracePeriod(time.Minute))
		mustStart(t, p)
		started()
		readLine(t, out) // the signal handler is in place once the function runs
		if err := p.SendSignal(sig); err != nil {
			t.Fatal(err)
		}
		got, err := p.Result(background)
		if want := "cleaned up after process: received " + map[os.Signal]string{syscall.SIGTERM: "SIGTERM", os.Interrupt: "SIGINT"}[sig]; err != nil || got != want {
			t.Errorf("%v: Result = %q, %v; want %q", sig, got, err, want)
		}
		if code, _ := p.ExitCode(); code != 0 {
			t.Errorf("%v: ExitCode = %d, want 0 after a clean return", sig, code)
		}
	}
}

func TestGracePeriodExpires(t *testing.T) {
	t.Parallel()
	out, w, started := pipe(t)
	p := process.New(stubborn, readyArg{Ready: w}, process.WithGracePeriod(50*time.Millisecond))
	mustStart(t, p)
	started()
	readLine(t, out)
	p.Terminate()
	var ee *process.ExitError
	if err := p.Join(background); !errors.As(err, &ee) || ee.Signal != syscall.SIGTERM || ee.ExitCode != -15 {
		t.Fatalf("Join = %v, want the child dead of SIGTERM after its grace period", err)
	}
}

func TestSecondSignalEndsGracePeriod(t *testing.T) {
	t.Parallel()
	out, w, started := pipe(t)
	p := process.New(stubborn, readyArg{Ready: w}, process.WithGracePeriod(time.Hour))
	mustStart(t, p)
	started()
	readLine(t, out)
	p.Terminate()
	if got := readLine(t, out); got != "cancelled" {
		t.Fatalf("child said %q", got)
	}
	p.Terminate()
	ctx, cancel := context.WithTimeout(background, time.Minute)
	defer cancel()
	var ee *process.ExitError
	if err := p.Join(ctx); !errors.As(err, &ee) || ee.Signal != syscall.SIGTERM {
		t.Fatalf("Join = %v, want the child dead of the second SIGTERM", err)
	}
}

func TestRunStopsWithGracePeriod(t *testing.T) {
	t.Parallel()
	out, w, _ := pipe(t)
	ctx, cancel := context.WithCancel(background)
	go func() {
		readLine(t, out)
		cancel()
	}()
	_, err := process.Run(ctx, graceful, readyArg{Ready: w}, process.WithGracePeriod(time.Minute))
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Run = %v, want context.Canceled", err)
	}
}

func TestChildSignalsParent(t *testing.T) {
	t.Parallel()
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGUSR1)
	defer signal.Stop(sigs)
	if _, err := process.Run(background, signalsParent, struct{}{}); err != nil {
		t.Fatal(err)
	}
	select {
	case <-sigs:
	case <-time.After(10 * time.Second):
		t.Fatal("no SIGUSR1 from the child")
	}
}

// The tests below re-execute the test binary as a program that never
// calls process.Main; they set the environment, so they cannot be parallel.

func TestChildWithoutMainThatStartsIsRefusedAtOnce(t *testing.T) {
	t.Setenv(testModeEnv, "nomain-spawn")
	p := process.New(square, 2)
	mustStart(t, p)
	err := p.Join(background)
	if !errors.Is(err, process.ErrMainNotCalled) || !strings.Contains(err.Error(), "tried to start a process") {
		t.Fatalf("Join = %v, want ErrMainNotCalled reported by the child's refused Start", err)
	}
	if p.IsAlive() {
		t.Error("the child runs on")
	}
}

func TestChildWithoutMainTimesOut(t *testing.T) {
	t.Setenv(testModeEnv, "nomain-hang")
	p := process.New(square, 2, process.WithStartTimeout(300*time.Millisecond))
	mustStart(t, p)
	err := p.Join(background)
	if !errors.Is(err, process.ErrMainNotCalled) || !strings.Contains(err.Error(), "did not reach it within 300ms") {
		t.Fatalf("Join = %v, want ErrMainNotCalled after the start timeout", err)
	}
	if code, _ := p.ExitCode(); code != -9 {
		t.Errorf("ExitCode = %d, want -9: the child is killed", code)
	}
}
