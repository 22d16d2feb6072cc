package process_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/concurgo/concur/process"
)

// Functions the tests run in children. They are registered in
// package-level variables, as every registered function must be.
var (
	square = process.Register("test.square", func(_ context.Context, x int) (int, error) {
		return x * x, nil
	})
	squarePlain = process.RegisterFunc("test.squarePlain", func(x int) int { return x * x })
	fails       = process.Register("test.fails", func(_ context.Context, msg string) (int, error) {
		return 0, errors.New(msg)
	})
	panics = process.RegisterTarget("test.panics", func(context.Context, struct{}) error {
		panicHere()
		return nil
	})
	goexits = process.RegisterTarget("test.goexits", func(context.Context, struct{}) error {
		runtime.Goexit()
		return nil
	})
	exits = process.RegisterTarget("test.exits", func(_ context.Context, code int) error {
		os.Exit(code)
		return nil
	})
	// sleeps blocks until its context ends, which without a grace period
	// is never: a signal must end it.
	sleeps = process.RegisterTarget("test.sleeps", func(ctx context.Context, _ struct{}) error {
		<-ctx.Done()
		return nil
	})
	whoAmI = process.Register("test.whoAmI", func(context.Context, struct{}) (identity, error) {
		self, parent := process.Current(), process.Parent()
		return identity{
			Name: self.Name(), Pid: self.Pid(), Daemon: self.Daemon(), AuthKey: self.AuthKey(),
			ParentName: parent.Name(), ParentPid: parent.Pid(), PPid: os.Getppid(),
			Env: os.Getenv("CONCUR_PROCESS_CHILD"),
		}, nil
	})
	writesTo = process.RegisterTarget("test.writesTo", func(_ context.Context, a writeArg) error {
		defer a.F.Close()
		_, err := io.WriteString(a.F, a.Text)
		return err
	})
	echo      = process.RegisterFunc("test.echo", func(b []byte) []byte { return b })
	takesFunc = process.Register("test.takesFunc", func(context.Context, func()) (int, error) { return 0, nil })
	prints    = process.RegisterTarget("test.prints", func(_ context.Context, s string) error {
		fmt.Println("out:", s)
		fmt.Fprintln(os.Stderr, "err:", s)
		return nil
	})
	unencodableResult = process.Register("test.unencodableResult", func(context.Context, struct{}) (func(), error) {
		return func() {}, nil
	})
)

type identity struct {
	Name, ParentName string
	Pid, ParentPid   int
	PPid             int
	Daemon           bool
	AuthKey          []byte
	Env              string
}

type writeArg struct {
	F    process.File
	Text string
}

//go:noinline
func panicHere() { panic("deliberate panic in the child") }

func mustStart(t *testing.T, p interface{ Start() error }) {
	t.Helper()
	if err := p.Start(); err != nil {
		t.Fatalf("Start: %v", err)
	}
}

func TestResultTravelsBack(t *testing.T) {
	t.Parallel()
	p := process.New(square, 12)
	mustStart(t, p)
	got, err := p.Result(background)
	if err != nil || got != 144 {
		t.Fatalf("Result = %d, %v; want 144, nil", got, err)
	}
	if code, ok := p.ExitCode(); !ok || code != 0 {
		t.Errorf("ExitCode = %d, %v; want 0, true", code, ok)
	}
	if p.IsAlive() {
		t.Error("IsAlive after Join")
	}
	if err := p.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
}

func TestRun(t *testing.T) {
	t.Parallel()
	got, err := process.Run(background, squarePlain, 9)
	if err != nil || got != 81 {
		t.Fatalf("Run = %d, %v; want 81, nil", got, err)
	}
}

func TestRunKillsTheChildWhenContextEnds(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(background, 50*time.Millisecond)
	defer cancel()
	_, err := process.Run(ctx, sleeps, struct{}{})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Run = %v, want context.DeadlineExceeded", err)
	}
	if n := len(process.ActiveChildren()); n != 0 {
		// Other parallel tests may have children; only this one's must be gone.
		for _, c := range process.ActiveChildren() {
			if strings.Contains(c.String(), "test.sleeps") {
				t.Errorf("child left running: %v", c)
			}
		}
	}
}

func TestReturnedErrorIsRemoteError(t *testing.T) {
	t.Parallel()
	p := process.New(fails, "disk on fire")
	mustStart(t, p)
	_, err := p.Result(background)
	var re *process.RemoteError
	if !errors.As(err, &re) {
		t.Fatalf("Result error = %T %v, want *RemoteError", err, err)
	}
	if re.Message != "disk on fire" || re.Type != "*errors.errorString" || re.Panic || re.Func != "test.fails" || re.Pid != p.Pid() {
		t.Errorf("RemoteError = %+v", re)
	}
	if code, _ := p.ExitCode(); code != 1 {
		t.Errorf("ExitCode = %d, want 1 (Python's exit code for an uncaught exception)", code)
	}
}

func TestPanicIsRemoteErrorWithStack(t *testing.T) {
	t.Parallel()
	p := process.New(panics, struct{}{})
	mustStart(t, p)
	err := p.Join(background)
	var re *process.RemoteError
	if !errors.As(err, &re) {
		t.Fatalf("Join = %T %v, want *RemoteError", err, err)
	}
	if !re.Panic || re.Message != "deliberate panic in the child" || re.Type != "string" {
		t.Errorf("RemoteError = %+v", re)
	}
	if !strings.Contains(re.Stack, "panicHere") {
		t.Errorf("stack does not show the panicking function:\n%s", re.Stack)
	}
	if !strings.Contains(err.Error(), "panicked") {
		t.Errorf("Error() = %q, want it to say the function panicked", err)
	}
}

func TestGoexitIsRemoteError(t *testing.T) {
	t.Parallel()
	p := process.New(goexits, struct{}{})
	mustStart(t, p)
	var re *process.RemoteError
	if err := p.Join(background); !errors.As(err, &re) || !re.Panic || !strings.Contains(re.Message, "Goexit") {
		t.Fatalf("Join = %v, want a RemoteError about runtime.Goexit", err)
	}
}

func TestOSExitIsExitError(t *testing.T) {
	t.Parallel()
	p := process.New(exits, 3)
	mustStart(t, p)
	err := p.Join(background)
	var ee *process.ExitError
	if !errors.As(err, &ee) || ee.ExitCode != 3 || ee.Signal != 0 || ee.Pid != p.Pid() {
		t.Fatalf("Join = %#v, want ExitError with code 3", err)
	}
	if code, ok := p.ExitCode(); !ok || code != 3 {
		t.Errorf("ExitCode = %d, %v; want 3, true", code, ok)
	}
	if want := fmt.Sprintf("pid %d) exited with status 3", p.Pid()); !strings.Contains(err.Error(), want) {
		t.Errorf("Error() = %q, want it to contain %q", err, want)
	}
}

func TestOSExitZeroHasNoResult(t *testing.T) {
	t.Parallel()
	p := process.New(exits, 0)
	mustStart(t, p)
	if err := p.Join(background); err != nil {
		t.Fatalf("Join = %v, want nil for exit status 0", err)
	}
	if _, err := p.Result(background); !errors.Is(err, process.ErrNoResult) {
		t.Fatalf("Result = %v, want ErrNoResult", err)
	}
}

func TestKillIsExitErrorNamingTheSignal(t *testing.T) {
	t.Parallel()
	p := process.New(sleeps, struct{}{})
	mustStart(t, p)
	if !p.IsAlive() {
		t.Fatal("not alive after Start")
	}
	if _, ok := p.ExitCode(); ok {
		t.Fatal("ExitCode reported before exit")
	}
	if err := p.Kill(); err != nil {
		t.Fatalf("Kill: %v", err)
	}
	err := p.Join(background)
	var ee *process.ExitError
	if !errors.As(err, &ee) || ee.Signal != syscall.SIGKILL || ee.ExitCode != -9 {
		t.Fatalf("Join = %v, want ExitError for SIGKILL", err)
	}
	if !strings.Contains(err.Error(), "SIGKILL") || !strings.Contains(err.Error(), fmt.Sprint(p.Pid())) {
		t.Errorf("Error() = %q, want the signal and the pid named", err)
	}
	if code, _ := p.ExitCode(); code != -9 {
		t.Errorf("ExitCode = %d, want -9", code)
	}
	if !strings.Contains(p.String(), "exitcode=-SIGKILL") {
		t.Errorf("String() = %s", p)
	}
	if err := p.Kill(); err != nil {
		t.Errorf("Kill after exit = %v, want nil (does nothing)", err)
	}
	if err := p.SendSignal(syscall.SIGTERM); !errors.Is(err, os.ErrProcessDone) {
		t.Errorf("SendSignal after exit = %v, want os.ErrProcessDone", err)
	}
}

func TestTerminateWithoutGraceEndsAtOnce(t *testing.T) {
	t.Parallel()
	p := process.New(sleeps, struct{}{})
	mustStart(t, p)
	p.Terminate()
	var ee *process.ExitError
	if err := p.Join(background); !errors.As(err, &ee) || ee.ExitCode != -int(syscall.SIGTERM) {
		t.Fatalf("Join = %v, want killed by SIGTERM", err)
	}
}

func TestJoinDeadlineLeavesChildRunning(t *testing.T) {
	t.Parallel()
	p := process.New(sleeps, struct{}{})
	mustStart(t, p)
	ctx, cancel := context.WithTimeout(background, 20*time.Millisecond)
	defer cancel()
	if err := p.Join(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Join = %v, want context.DeadlineExceeded", err)
	}
	if !p.IsAlive() {
		t.Fatal("the child died with the join's deadline")
	}
	if err := p.Close(); !errors.Is(err, process.ErrRunning) {
		t.Errorf("Close of a running process = %v, want ErrRunning", err)
	}
	p.Kill()
	<-p.Done()
	if p.IsAlive() {
		t.Error("alive after Done")
	}
}

func TestIdentity(t *testing.T) {
	t.Parallel()
	p := process.New(whoAmI, struct{}{}, process.WithName("worker-7"), process.WithDaemon(true))
	if p.Pid() != 0 || p.Name() != "worker-7" || !p.Daemon() {
		t.Fatalf("before Start: pid %d, name %q, daemon %v", p.Pid(), p.Name(), p.Daemon())
	}
	mustStart(t, p)
	id, err := p.Result(background)
	if err != nil {
		t.Fatal(err)
	}
	want := identity{
		Name: "worker-7", Pid: p.Pid(), Daemon: true, AuthKey: process.Current().AuthKey(),
		ParentName: "MainProcess", ParentPid: os.Getpid(), PPid: os.Getpid(),
	}
	if fmt.Sprint(id) != fmt.Sprint(want) {
		t.Errorf("child sees %+v\nwant %+v", id, want)
	}
	if len(id.AuthKey) != 32 {
		t.Errorf("authkey of %d bytes, want 32", len(id.AuthKey))
	}
}

func TestDefaultNamesCountUp(t *testing.T) {
	t.Parallel()
	a, b := process.New(square, 1), process.New(square, 2)
	var na, nb int
	if _, err := fmt.Sscanf(a.Name(), "Process-%d", &na); err != nil {
		t.Fatalf("name %q: %v", a.Name(), err)
	}
	if _, err := fmt.Sscanf(b.Name(), "Process-%d", &nb); err != nil || nb <= na {
		t.Fatalf("names %q then %q, want increasing numbers", a.Name(), b.Name())
	}
	if s := a.String(); !strings.Contains(s, "initial") {
		t.Errorf("String() of a new process = %s", s)
	}
}

func TestCurrentInParent(t *testing.T) {
	t.Parallel()
	cur := process.Current()
	if cur.Name() != "MainProcess" || cur.Pid() != os.Getpid() || !cur.IsAlive() {
		t.Errorf("Current() = %v", cur)
	}
	if process.Parent() != nil {
		t.Errorf("Parent() = %v, want nil in the main process", process.Parent())
	}
	if n := process.CPUCount(); n < 1 {
		t.Errorf("CPUCount() = %d", n)
	}
}

func TestActiveChildren(t *testing.T) {
	t.Parallel()
	p := process.New(sleeps, struct{}{})
	mustStart(t, p)
	if !contains(process.ActiveChildren(), p.Process) {
		t.Error("a running child is not in ActiveChildren")
	}
	p.Kill()
	p.Join(background)
	if contains(process.ActiveChildren(), p.Process) {
		t.Error("a reaped child is still in ActiveChildren")
	}
}

func contains(ps []*process.Process, p *process.Process) bool {
	for _, q := range ps {
		if q == p {
			return true
		}
	}
	return false
}

func TestUnencodableArgumentFailsStart(t *testing.T) {
	t.Parallel()
	p := process.New(takesFunc, func() {})
	err := p.Start()
	var ee *process.EncodeError
	if !errors.As(err, &ee) {
		t.Fatalf("Start = %v, want *EncodeError", err)
	}
	if p.Pid() != 0 || p.IsAlive() {
		t.Error("a process was started for an unencodable argument")
	}
	if err := p.Join(background); !errors.As(err, &ee) {
		t.Errorf("Join after a failed Start = %v, want the Start error", err)
	}
}

func TestUnencodableResultIsRemoteError(t *testing.T) {
	t.Parallel()
	p := process.New(unencodableResult, struct{}{})
	mustStart(t, p)
	var re *process.RemoteError
	if err := p.Join(background); !errors.As(err, &re) || re.Type != "*process.EncodeError" {
		t.Fatalf("Join = %v, want a RemoteError carrying the child's EncodeError", err)
	}
}

func TestFilePassedToChild(t *testing.T) {
	t.Parallel()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	p := process.New(writesTo, writeArg{F: process.File{File: w}, Text: "hello through an inherited pipe"})
	mustStart(t, p)
	w.Close() // the child holds its own descriptor now
	got, err := io.ReadAll(r)
	if err != nil || string(got) != "hello through an inherited pipe" {
		t.Fatalf("read %q, %v", got, err)
	}
	if err := p.Join(background); err != nil {
		t.Fatal(err)
	}
}

func TestFileSharesOffset(t *testing.T) {
	t.Parallel()
	f, err := os.CreateTemp(t.TempDir(), "shared")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	io.WriteString(f, "parent;")
	p := process.New(writesTo, writeArg{F: process.File{File: f}, Text: "child;"})
	mustStart(t, p)
	if err := p.Join(background); err != nil {
		t.Fatal(err)
	}
	io.WriteString(f, "parent again") // continues after the child's write: one offset
	data, _ := os.ReadFile(f.Name())
	if string(data) != "parent;child;parent again" {
		t.Fatalf("file holds %q", data)
	}
}

func TestStdoutAndStderrOptions(t *testing.T) {
	t.Parallel()
	var out, errOut strings.Builder
	p := process.New(prints, "hi", process.WithStdout(&out), process.WithStderr(&errOut))
	mustStart(t, p)
	if err := p.Join(background); err != nil {
		t.Fatal(err)
	}
	if out.String() != "out: hi\n" || errOut.String() != "err: hi\n" {
		t.Errorf("stdout %q, stderr %q", out.String(), errOut.String())
	}
}

func TestStartTwicePanics(t *testing.T) {
	t.Parallel()
	p := process.New(square, 2)
	mustStart(t, p)
	defer p.Join(background)
	assertPanics(t, "second Start", func() { p.Start() })
}

func TestMisusePanics(t *testing.T) {
	t.Parallel()
	assertPanics(t, "Join before Start", func() { process.New(square, 1).Join(background) })
	assertPanics(t, "Join of Current", func() { process.Current().Join(background) })
	assertPanics(t, "Start of Current", func() { process.Current().Start() })
	assertPanics(t, "Kill before Start", func() { process.New(square, 1).Kill() })
	assertPanics(t, "New(nil)", func() { process.New[int, int](nil, 1) })
	assertPanics(t, "Register after Main", func() {
		process.Register("test.late", func(context.Context, int) (int, error) { return 0, nil })
	})
	assertPanics(t, "RegisterFunc(nil)", func() { process.RegisterFunc[int, int]("test.nil", nil) })
	assertPanics(t, "WithStartTimeout(0)", func() { process.WithStartTimeout(0) })
	assertPanics(t, "WithGracePeriod(-1)", func() { process.WithGracePeriod(-1) })
}

func assertPanics(t *testing.T, what string, fn func()) {
	t.Helper()
	defer func() {
		if recover() == nil {
			t.Errorf("%s did not panic", what)
		}
	}()
	fn()
}

// readLine reads one line a child wrote to a pipe it was given.
func readLine(t *testing.T, r *bufio.Reader) string {
	t.Helper()
	line, err := r.ReadString('\n')
	if err != nil {
		t.Fatalf("reading from the child: %v", err)
	}
	return strings.TrimSuffix(line, "\n")
}

// pidGone reports whether pid no longer runs: it does not exist, or it
// is a zombie whose new parent has not reaped it yet.
func pidGone(pid int) bool {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return true
	}
	s := string(data)
	i := strings.LastIndexByte(s, ')')
	return i < 0 || i+2 >= len(s) || s[i+2] == 'Z' || s[i+2] == 'X'
}

// waitGone waits up to limit for every pid to be gone and returns those
// that are not.
func waitGone(pids []int, limit time.Duration) []int {
	deadline := time.Now().Add(limit)
	for {
		var left []int
		for _, pid := range pids {
			if !pidGone(pid) {
				left = append(left, pid)
			}
		}
		if len(left) == 0 || time.Now().After(deadline) {
			return left
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestManyConcurrentStarts(t *testing.T) {
	t.Parallel()
	const n = 16
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Go(func() {
			v, err := process.Run(background, square, i)
			if err == nil && v != i*i {
				err = fmt.Errorf("square(%d) = %d", i, v)
			}
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
}

func TestLargeArgumentAndResult(t *testing.T) {
	t.Parallel()
	// Larger than any socket buffer: Start's write and the child's result
	// must both stream rather than deadlock.
	big := make([]byte, 16<<20)
	for i := range big {
		big[i] = byte(i * 7)
	}
	got, err := process.Run(background, echo, big)
	if err != nil || !bytes.Equal(got, big) {
		t.Fatalf("echo of %d bytes: got %d bytes, %v", len(big), len(got), err)
	}
}

func TestStressStartKillJoin(t *testing.T) {
	t.Parallel()
	// Children start and die concurrently, so the spawn thread comes and
	// goes under load; every one must be reaped and accounted for.
	const n = 12
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			p := process.New(sleeps, struct{}{})
			if err := p.Start(); err != nil {
				t.Error(err)
				return
			}
			if i%2 == 0 {
				p.Kill()
			} else {
				p.Terminate()
			}
			var ee *process.ExitError
			if err := p.Join(background); !errors.As(err, &ee) || ee.Signal == 0 {
				t.Errorf("Join = %v, want death by signal", err)
			}
		})
	}
	wg.Wait()
}
