package shutdown_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/concurgo/concur/shutdown"
	"github.com/concurgo/concur/subprocess"
)

// childEnv makes the test binary run one of the children below instead of
// the tests, so that real signals reach a real process.
const childEnv = "SHUTDOWN_TEST_CHILD"

// Each child sets up shutdown.Context, says "ready", and reports on stdout
// what it sees; it hangs where a real program would be stuck draining.
var children = map[string]func() int{
	// The default hard stop: a second signal exits.
	"default": func() int {
		ctx, stop := shutdown.Context(context.Background(), shutdown.Grace(time.Hour))
		defer stop()
		fmt.Println("ready")
		<-ctx.Done()
		reportCause(ctx)
		return hang()
	},
	// The grace period runs out.
	"grace": func() int {
		ctx, stop := shutdown.Context(context.Background(), shutdown.Grace(time.Millisecond))
		defer stop()
		fmt.Println("ready")
		<-ctx.Done()
		reportCause(ctx)
		return hang()
	},
	// The hook cancels the work context; after it the signals have their
	// default effect again.
	"hook": func() int {
		work, kill := context.WithCancelCause(context.Background())
		ctx, stop := shutdown.Context(context.Background(), shutdown.OnHardStop(kill))
		defer stop()
		fmt.Println("ready")
		<-ctx.Done()
		reportCause(ctx)
		<-work.Done()
		fmt.Println("work stopped:", context.Cause(work))
		return hang()
	},
	// A hook that panics is reported, and the default exit follows.
	"hook-panics": func() int {
		ctx, stop := shutdown.Context(context.Background(), shutdown.Grace(time.Millisecond),
			shutdown.OnHardStop(func(error) { panic("boom") }))
		defer stop()
		fmt.Println("ready")
		<-ctx.Done()
		return hang()
	},
	// The drain finishes in time: a clean exit.
	"drain": func() int {
		ctx, stop := shutdown.Context(context.Background(), shutdown.Grace(time.Hour))
		defer stop()
		fmt.Println("ready")
		<-ctx.Done()
		reportCause(ctx)
		fmt.Println("drained")
		return 0
	},
	// stop gives the signals back their default effect.
	"stop": func() int {
		ctx, stop := shutdown.Context(context.Background())
		stop()
		fmt.Println("ready")
		fmt.Println("after stop:", ctx.Err())
		return hang()
	},
	// Signals chooses the signals.
	"hangup": func() int {
		ctx, stop := shutdown.Context(context.Background(), shutdown.Signals(syscall.SIGHUP))
		defer stop()
		fmt.Println("ready")
		<-ctx.Done()
		reportCause(ctx)
		return 0
	},
}

func reportCause(ctx context.Context) {
	var se *shutdown.SignalError
	if errors.As(context.Cause(ctx), &se) {
		fmt.Println("draining after", se.Signal)
	} else {
		fmt.Println("draining, cause", context.Cause(ctx))
	}
}

// hang blocks as a program stuck in its drain would.
func hang() int {
	time.Sleep(time.Hour)
	return 2
}

// noExitSleep spares a child built with -race the race detector's second
// of sleep before a normal exit.
const noExitSleep = "GORACE=atexit_sleep_ms=0"

func TestMain(m *testing.M) {
	if name := os.Getenv(childEnv); name != "" {
		os.Exit(children[name]())
	}
	goleak.VerifyTestMain(m)
}

// child is a running child of the test, with its stdout read line by line.
type child struct {
	t     *testing.T
	p     *subprocess.Popen
	lines chan string
	mu    sync.Mutex
	buf   bytes.Buffer
}

func startChild(t *testing.T, name string) *child {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	c := &child{t: t, lines: make(chan string, 16)}
	c.p, err = subprocess.Start([]string{exe}, subprocess.Env(append(os.Environ(), childEnv+"="+name, noExitSleep)),
		subprocess.Stdout(subprocess.To(c)), subprocess.Stderr(subprocess.Pipe))
	if err != nil {
		t.Fatal(err)
	}
	c.expect("ready")
	return c
}

func (c *child) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.buf.Write(p)
	for {
		line, err := c.buf.ReadString('\n')
		if err != nil {
			c.buf.WriteString(line) // an incomplete line waits for the rest
			return len(p), nil
		}
		c.lines <- strings.TrimSuffix(line, "\n")
	}
}

// expect waits for the child's next line of output and checks it. The
// bound only keeps a broken child from hanging the test.
func (c *child) expect(want string) {
	c.t.Helper()
	select {
	case got := <-c.lines:
		if got != want {
			c.t.Errorf("child said %q, want %q", got, want)
		}
	case <-time.After(time.Minute):
		c.p.Kill()
		c.p.Wait(context.Background())
		c.t.Fatalf("child did not say %q", want)
	}
}

func (c *child) signal(sig syscall.Signal) {
	if err := syscall.Kill(c.p.Pid(), sig); err != nil {
		c.t.Fatal(err)
	}
}

// finish waits for the child to exit and checks its return code and its
// stderr's first line.
func (c *child) finish(wantCode int, wantStderr string) {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	_, stderr, err := c.p.Communicate(ctx, nil)
	if err != nil {
		c.t.Fatal(err)
	}
	if code := c.p.ReturnCode(); code != wantCode {
		c.t.Errorf("return code %d, want %d; stderr:\n%s", code, wantCode, stderr)
	}
	if first, _, _ := strings.Cut(string(stderr), "\n"); first != wantStderr {
		c.t.Errorf("stderr %q, want first line %q", stderr, wantStderr)
	}
}

func TestSecondSignalExits(t *testing.T) {
	c := startChild(t, "default")
	c.signal(syscall.SIGTERM)
	c.expect("draining after terminated")
	c.signal(syscall.SIGINT)
	c.finish(128+int(syscall.SIGINT), "shutdown: interrupt signal received; exiting")
}

func TestGraceExpiryExits(t *testing.T) {
	c := startChild(t, "grace")
	c.signal(syscall.SIGINT)
	c.expect("draining after interrupt")
	c.finish(128+int(syscall.SIGINT), "shutdown: grace period expired; exiting")
}

func TestHookThenDefaultSignals(t *testing.T) {
	c := startChild(t, "hook")
	c.signal(syscall.SIGINT)
	c.expect("draining after interrupt")
	c.signal(syscall.SIGTERM)
	c.expect("work stopped: shutdown: terminated signal received")
	c.signal(syscall.SIGTERM) // the third signal kills as if nothing were installed
	c.finish(-int(syscall.SIGTERM), "")
}

func TestHookPanicIsReportedThenExits(t *testing.T) {
	c := startChild(t, "hook-panics")
	c.signal(syscall.SIGTERM)
	c.finish(128+int(syscall.SIGTERM), "shutdown: OnHardStop hook: panic: boom")
}

func TestDrainInTime(t *testing.T) {
	c := startChild(t, "drain")
	c.signal(syscall.SIGTERM)
	c.expect("draining after terminated")
	c.expect("drained")
	c.finish(0, "")
}

func TestStopRestoresDefault(t *testing.T) {
	c := startChild(t, "stop")
	c.expect("after stop: context canceled")
	c.signal(syscall.SIGTERM)
	c.finish(-int(syscall.SIGTERM), "")
}

func TestSignalsOption(t *testing.T) {
	c := startChild(t, "hangup")
	c.signal(syscall.SIGHUP)
	c.expect("draining after hangup")
	c.finish(0, "")
}
