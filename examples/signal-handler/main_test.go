package main

import (
	"bufio"
	"context"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/concurgo/concur/subprocess"
)

// asMain makes the test binary run main instead of the tests, so that the
// example receives real signals as a real process.
const asMain = "SIGNAL_HANDLER_AS_MAIN"

func TestMain(m *testing.M) {
	if os.Getenv(asMain) != "" {
		main()
		return
	}
	goleak.VerifyTestMain(m)
}

// start runs the example as a child and returns it with a reader of its
// stdout, once it has said it is working.
func start(t *testing.T) (*subprocess.Popen, *bufio.Reader) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	p, err := subprocess.Start([]string{exe},
		subprocess.Env(append(os.Environ(), asMain+"=1", "GORACE=atexit_sleep_ms=0")),
		subprocess.Stdout(subprocess.Pipe), subprocess.Stderr(subprocess.Pipe))
	if err != nil {
		t.Fatal(err)
	}
	out := bufio.NewReader(p.Stdout)
	if line := readLine(t, out); !strings.HasSuffix(line, "working; press Ctrl-C or run kill "+strings.Fields(line)[1]) {
		t.Fatalf("first line %q", line)
	}
	return p, out
}

func readLine(t *testing.T, r *bufio.Reader) string {
	t.Helper()
	line, err := r.ReadString('\n')
	if err != nil {
		t.Fatalf("read %q: %v", line, err)
	}
	return strings.TrimSuffix(line, "\n")
}

// finish collects the rest of the child's output and its return code.
func finish(t *testing.T, p *subprocess.Popen, out *bufio.Reader) (rest, stderr string, code int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	var b strings.Builder
	out.WriteTo(&b) // reads to EOF: the child has exited
	_, errOut, err := p.Communicate(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	return b.String(), string(errOut), p.ReturnCode()
}

func TestSignalCleanUp(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT} {
		t.Run(sig.String(), func(t *testing.T) {
			p, out := start(t)
			syscall.Kill(p.Pid(), sig)
			rest, stderr, code := finish(t, p, out)
			want := "received " + sig.String() + ": cleaning up\nclean exit\n"
			if rest != want || code != 0 || stderr != "" {
				t.Errorf("output %q, stderr %q, code %d; want %q, 0", rest, stderr, code, want)
			}
		})
	}
}

func TestSecondSignalSkipsCleanUp(t *testing.T) {
	p, out := start(t)
	syscall.Kill(p.Pid(), syscall.SIGTERM)
	if line := readLine(t, out); line != "received terminated: cleaning up" {
		t.Fatalf("line %q", line)
	}
	syscall.Kill(p.Pid(), syscall.SIGINT)
	rest, stderr, code := finish(t, p, out)
	if rest != "" || code != 128+int(syscall.SIGINT) || stderr != "shutdown: interrupt signal received; exiting\n" {
		t.Errorf("output %q, stderr %q, code %d", rest, stderr, code)
	}
}
