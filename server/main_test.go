package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/concurgo/concur/process"
)

func TestMain(m *testing.M) {
	process.Main()
	if os.Getenv(crashChildEnv) != "" {
		crashChild() // the server as a child process, for crash tests
		return
	}
	goleak.VerifyTestMain(m)
}

// Functions the tests run, registered at package level as Register
// requires (process-mode children look them up before TestMain runs).
var (
	flakyMu    sync.Mutex
	flakyCalls = map[string]int{}
	release    = make(chan struct{})
)

type flakyArgs struct {
	Key   string `json:"key"`
	Fails int    `json:"fails"`
}

func init() {
	Register("test.noop", func(context.Context, struct{}) (struct{}, error) { return struct{}{}, nil })
	Register("test.add", func(_ context.Context, a struct{ X, Y int }) (int, error) { return a.X + a.Y, nil })
	Register("test.fail", func(context.Context, struct{}) (struct{}, error) { return struct{}{}, errors.New("it failed") })
	Register("test.skip", func(context.Context, struct{}) (struct{}, error) {
		return struct{}{}, fmt.Errorf("hopeless: %w", ErrSkipRetry)
	})
	Register("test.panic", func(context.Context, struct{}) (struct{}, error) { panic("boom") })
	Register("test.goexit", func(context.Context, struct{}) (struct{}, error) { runtime.Goexit(); return struct{}{}, nil })
	// test.flaky fails its first Fails calls for Key (thread mode only:
	// the count lives in this process).
	Register("test.flaky", func(_ context.Context, a flakyArgs) (int, error) {
		flakyMu.Lock()
		defer flakyMu.Unlock()
		flakyCalls[a.Key]++
		if n := flakyCalls[a.Key]; n <= a.Fails {
			return n, fmt.Errorf("call %d fails", n)
		}
		return flakyCalls[a.Key], nil
	})
	// test.block waits for cancellation.
	Register("test.block", func(ctx context.Context, _ struct{}) (struct{}, error) {
		<-ctx.Done()
		return struct{}{}, context.Cause(ctx)
	})
	// test.hold ignores its context and waits for the release channel.
	Register("test.hold", func(ctx context.Context, _ struct{}) (string, error) {
		<-release
		return "released", nil
	})
	Register("test.pid", func(context.Context, struct{}) (int, error) { return os.Getpid(), nil })
	// test.sigkill makes the worker process kill itself.
	Register("test.sigkill", func(context.Context, struct{}) (struct{}, error) {
		syscall.Kill(os.Getpid(), syscall.SIGKILL)
		select {}
	})
	Register("test.bigresult", func(_ context.Context, n int) (string, error) { return strings.Repeat("a", n), nil })
}

// testConfig is a configuration for a server on a loopback port with its
// store in a fresh temporary directory.
func testConfig(t testing.TB) Config {
	cfg := DefaultConfig()
	cfg.Listen = "127.0.0.1:0"
	cfg.DataDir = t.TempDir()
	cfg.Node = "test"
	cfg.MaxThreads, cfg.MaxProcesses, cfg.MaxCommands = 8, 2, 2
	cfg.BackoffBase, cfg.BackoffMax = Duration(10*time.Millisecond), Duration(50*time.Millisecond)
	cfg.AckWait = Duration(3 * time.Second)
	cfg.DrainTimeout = Duration(2 * time.Second)
	cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	if testing.Verbose() {
		cfg.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return cfg
}

// startServer runs a server until the test ends and returns a client of
// it, once the server is ready (its /readyz says 200).
func startServer(t testing.TB, cfg Config) (*Server, *Client) {
	t.Helper()
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s, runServer(t, s)
}

// runServer runs s until the test ends and returns a client of it, once
// the server is ready.
func runServer(t testing.TB, s *Server) *Client {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	for deadline := time.Now().Add(30 * time.Second); !s.ready.Load(); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the server did not become ready")
		}
	}
	return &Client{BaseURL: "http://" + s.Addr(), Token: s.cfg.Token}
}

// waitJob waits for job id to be final.
func waitJob(t testing.TB, c *Client, id string) *Job {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	j, err := c.Wait(ctx, id)
	if err != nil {
		t.Fatalf("waiting for %s: %v", id, err)
	}
	return j
}

func submit(t testing.TB, c *Client, req JobRequest) *Job {
	t.Helper()
	j, err := c.Submit(context.Background(), req)
	if err != nil {
		t.Fatalf("submit %+v: %v", req, err)
	}
	return j
}
