//go:build linux

package subprocess_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/concurgo/concur/subprocess"
)

func TestPopenPipesPollAndWait(t *testing.T) {
	p, err := subprocess.Start([]string{"cat"}, subprocess.Stdin(subprocess.Pipe), subprocess.Stdout(subprocess.Pipe))
	if err != nil {
		t.Fatal(err)
	}
	if p.Pid() <= 0 || p.Stdin == nil || p.Stdout == nil || p.Stderr != nil {
		t.Fatalf("pid %d, pipes %v %v %v", p.Pid(), p.Stdin, p.Stdout, p.Stderr)
	}
	if _, exited := p.Poll(); exited {
		t.Error("Poll reports cat exited before its stdin closed")
	}
	io.WriteString(p.Stdin, "hello")
	p.Stdin.Close()
	out, err := io.ReadAll(p.Stdout)
	p.Stdout.Close()
	if err != nil || string(out) != "hello" {
		t.Errorf("read %q, %v", out, err)
	}
	code, err := p.Wait(t.Context())
	if code != 0 || err != nil {
		t.Errorf("Wait = %d, %v", code, err)
	}
	if code, exited := p.Poll(); !exited || code != 0 || p.ReturnCode() != 0 {
		t.Errorf("Poll = %d, %v", code, exited)
	}
	select {
	case <-p.Done():
	default:
		t.Error("Done not closed after Wait")
	}
	if code, err := p.Wait(t.Context()); code != 0 || err != nil {
		t.Errorf("second Wait = %d, %v", code, err)
	}
}

func TestReturnCodeWhileRunningPanics(t *testing.T) {
	p, err := subprocess.Start([]string{"sleep", "1000"})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Wait(canceled())
	defer func() {
		if recover() == nil {
			t.Error("ReturnCode did not panic")
		}
	}()
	p.ReturnCode()
}

func TestKillTerminateSendSignal(t *testing.T) {
	for _, tc := range []struct {
		name string
		send func(*subprocess.Popen) error
		want syscall.Signal
	}{
		{"Kill", (*subprocess.Popen).Kill, syscall.SIGKILL},
		{"Terminate", (*subprocess.Popen).Terminate, syscall.SIGTERM},
		{"SendSignal", func(p *subprocess.Popen) error { return p.SendSignal(syscall.SIGUSR1) }, syscall.SIGUSR1},
		{"SendSignal(os.Interrupt)", func(p *subprocess.Popen) error { return p.SendSignal(os.Interrupt) }, syscall.SIGINT},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := subprocess.Start([]string{"sleep", "1000"})
			if err != nil {
				t.Fatal(err)
			}
			if err := tc.send(p); err != nil {
				t.Error(err)
			}
			code, err := p.Wait(t.Context())
			if code != -int(tc.want) || err != nil {
				t.Errorf("Wait = %d, %v; want %d", code, err, -int(tc.want))
			}
			if err := tc.send(p); err != nil {
				t.Errorf("signal after reaping = %v, want nil as in Python", err)
			}
		})
	}
}

func TestKillReachesTheTree(t *testing.T) {
	ready := newSignalWriter()
	p, err := subprocess.Start([]string{"sh", "-c", "sleep 1000 & echo $!; wait"}, subprocess.Stdout(subprocess.To(ready)))
	if err != nil {
		t.Fatal(err)
	}
	<-ready.Ready
	p.Kill()
	if code, _ := p.Wait(t.Context()); code != -9 {
		t.Errorf("code %d", code)
	}
	waitGone(t, pidLine(t, ready.FirstLine()))
}

func TestWaitTimeoutStopsTheChild(t *testing.T) {
	p, err := subprocess.Start([]string{"sleep", "1000"})
	if err != nil {
		t.Fatal(err)
	}
	code, err := p.Wait(canceled())
	var te *subprocess.TimeoutExpired
	if code != -9 || !errors.As(err, &te) || !errors.Is(err, context.Canceled) {
		t.Errorf("Wait = %d, %v", code, err)
	}
}

func TestCommunicateLargeOutputs(t *testing.T) {
	// 10 MB in, and the same 10 MB back on both stdout and stderr at once:
	// reading one pipe at a time, or writing all input before reading,
	// deadlocks as soon as any pipe buffer fills.
	input := bytes.Repeat([]byte("0123456789abcdef"), 10<<20/16)
	argv, env := helper(t, "mirror")
	p, err := subprocess.Start(argv, subprocess.Env(env),
		subprocess.Stdin(subprocess.Pipe), subprocess.Stdout(subprocess.Pipe), subprocess.Stderr(subprocess.Pipe))
	if err != nil {
		t.Fatal(err)
	}
	stdout, stderr, err := p.Communicate(t.Context(), input)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(stdout, input) || !bytes.Equal(stderr, input) {
		t.Errorf("got %d and %d bytes back, want %d each", len(stdout), len(stderr), len(input))
	}
	if p.ReturnCode() != 0 {
		t.Errorf("ReturnCode = %d", p.ReturnCode())
	}
	// Later calls return the same results.
	if again, _, err := p.Communicate(t.Context(), nil); !bytes.Equal(again, stdout) || err != nil {
		t.Error("second Communicate differs")
	}
}

func TestCommunicateChildIgnoresInput(t *testing.T) {
	p, err := subprocess.Start([]string{"true"}, subprocess.Stdin(subprocess.Pipe), subprocess.Stdout(subprocess.Pipe))
	if err != nil {
		t.Fatal(err)
	}
	// More than a pipe buffer, to a child that exits without reading it:
	// a broken pipe, which Python ignores too.
	if _, _, err := p.Communicate(t.Context(), make([]byte, 1<<20)); err != nil {
		t.Error(err)
	}
}

func TestCommunicateInputWithoutPipePanics(t *testing.T) {
	p, err := subprocess.Start([]string{"true"}, subprocess.Stdin(subprocess.DevNull))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Wait(t.Context())
	defer func() {
		if recover() == nil {
			t.Error("no panic")
		}
	}()
	p.Communicate(t.Context(), []byte("x"))
}

func TestConcurrentUse(t *testing.T) {
	// Many children at once, each driven from several goroutines, for the
	// race detector.
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			p, err := subprocess.Start([]string{"cat"}, subprocess.Stdin(subprocess.Pipe), subprocess.Stdout(subprocess.Pipe))
			if err != nil {
				t.Error(err)
				return
			}
			var inner sync.WaitGroup
			inner.Go(func() { p.Poll() })
			inner.Go(func() { p.Wait(t.Context()) })
			inner.Go(func() {
				if out, _, err := p.Communicate(t.Context(), []byte("x")); string(out) != "x" || err != nil {
					t.Errorf("Communicate = %q, %v", out, err)
				}
			})
			inner.Go(func() { p.SendSignal(syscall.Signal(0)) })
			inner.Wait()
		})
	}
	wg.Wait()
}

// canceled returns a context that is already done.
func canceled() context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	return ctx
}

func TestCommunicateSkipsPipesTheCallerClosed(t *testing.T) {
	// The child leaves stdout alone, so closing our end cannot SIGPIPE it.
	p, err := subprocess.Start([]string{"sh", "-c", "echo err >&2"},
		subprocess.Stdout(subprocess.Pipe), subprocess.Stderr(subprocess.Pipe))
	if err != nil {
		t.Fatal(err)
	}
	p.Stdout.Close()
	stdout, stderr, err := p.Communicate(t.Context(), nil)
	if err != nil || len(stdout) != 0 || string(stderr) != "err\n" {
		t.Errorf("Communicate = %q, %q, %v", stdout, stderr, err)
	}
}

func TestStressCancelAtRandomMoments(t *testing.T) {
	// Cancellation racing the start, the first output and the exit: every
	// call must return, and no child may outlive it.
	var wg sync.WaitGroup
	for i := range 32 {
		wg.Go(func() {
			p, err := subprocess.Start([]string{"sh", "-c", "echo x; echo y >&2; sleep 1000"},
				subprocess.Stdin(subprocess.Pipe), subprocess.Stdout(subprocess.Pipe), subprocess.Stderr(subprocess.Pipe))
			if err != nil {
				t.Error(err)
				return
			}
			ctx, cancel := context.WithTimeout(t.Context(), time.Duration(i%8)*time.Millisecond)
			defer cancel()
			if _, _, err := p.Communicate(ctx, []byte("input")); !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("Communicate = %v", err)
			}
			if code := p.ReturnCode(); code != -9 {
				t.Errorf("return code %d", code)
			}
			waitGroupGone(t, p.Pid())
		})
	}
	wg.Wait()
}
