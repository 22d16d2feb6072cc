package server

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// The crash test runs the server as a real child process — this test
// binary re-executed — and kills it with SIGKILL under load.

const (
	crashChildEnv = "CONCUR_TEST_CRASH_CHILD" // set: this process is the child server
	crashDataEnv  = "CONCUR_TEST_CRASH_DATA"  // its data directory
	crashLogEnv   = "CONCUR_TEST_CRASH_LOG"   // where test.work appends a line per completed call
)

func init() {
	// test.work pretends to work for a few milliseconds, then appends its
	// token to the log: the record of every completed call, which survives
	// a SIGKILL of the process (the write is done before the kill can
	// matter, and the page cache outlives the process).
	Register("test.work", func(ctx context.Context, a struct {
		Token string `json:"token"`
		Ms    int    `json:"ms"`
	}) (string, error) {
		select {
		case <-time.After(time.Duration(a.Ms) * time.Millisecond):
		case <-ctx.Done():
			return "", context.Cause(ctx)
		}
		f, err := os.OpenFile(os.Getenv(crashLogEnv), os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
		if err != nil {
			return "", err
		}
		defer f.Close()
		_, err = f.WriteString(a.Token + "\n")
		return a.Token, err
	})
}

// crashChild is the child's main: a server on a loopback port that prints
// its address and runs until SIGTERM.
func crashChild() {
	cfg := DefaultConfig()
	cfg.Listen = "127.0.0.1:0"
	cfg.DataDir = os.Getenv(crashDataEnv)
	cfg.Node = fmt.Sprintf("crash-%d", os.Getpid())
	cfg.MaxThreads = 16
	cfg.AckWait = Duration(time.Second)
	cfg.BackoffBase, cfg.BackoffMax = Duration(10*time.Millisecond), Duration(100*time.Millisecond)
	cfg.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))
	s, err := New(cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Printf("ADDR %s\n", s.Addr())
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer stop()
	if err := s.Run(ctx); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Exit(0)
}

// startChild starts the child server on dir and returns it with a client.
func startChild(t *testing.T, dir, log string) (*exec.Cmd, *Client) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), crashChildEnv+"=1", crashDataEnv+"="+dir, crashLogEnv+"="+log)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	addr, ok := strings.CutPrefix(strings.TrimSpace(line), "ADDR ")
	if err != nil || !ok {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("child server did not start: %q %v", line, err)
	}
	go io.Copy(io.Discard, out)
	return cmd, &Client{BaseURL: "http://" + addr}
}

func TestSIGKILLUnderLoadLosesNoAcceptedJob(t *testing.T) {
	if testing.Short() {
		t.Skip("starts and kills server processes")
	}
	dir, log := t.TempDir(), filepath.Join(t.TempDir(), "completions")
	cmd, c := startChild(t, dir, log)
	var client atomic.Pointer[Client]
	client.Store(c)

	// Submitters keep submitting through the crash: a submission that
	// gets no answer is repeated, with the same idempotency key, until the
	// restarted server accepts it — so every job is accepted exactly once,
	// and some were stored by the killed server without an answer.
	const jobs, submitters, retries = 1000, 8, 3
	var (
		mu       sync.Mutex
		accepted = map[string]string{} // job ID → token
		next     atomic.Int64
		wg       sync.WaitGroup
		errs     atomic.Int64
	)
	for range submitters {
		wg.Go(func() {
			for i := next.Add(1); i <= jobs; i = next.Add(1) {
				token := fmt.Sprintf("job-%d", i)
				args, _ := json.Marshal(map[string]any{"token": token, "ms": i % 7})
				r := retries
				for {
					ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
					j, err := client.Load().Submit(ctx, JobRequest{Function: "test.work", Args: args, Retries: &r, IdempotencyKey: token})
					cancel()
					if err == nil {
						mu.Lock()
						if old, dup := accepted[j.ID]; dup && old != token {
							t.Errorf("job %s accepted for %s and %s", j.ID, old, token)
						}
						accepted[j.ID] = token
						mu.Unlock()
						break
					}
					errs.Add(1)
					time.Sleep(20 * time.Millisecond)
				}
			}
		})
	}
	for next.Load() < jobs/2 {
		time.Sleep(time.Millisecond)
	}
	cmd.Process.Kill() // half the load is in: jobs are queued, running and being submitted
	cmd.Wait()
	cmd, c = startChild(t, dir, log)
	client.Store(c)
	defer func() {
		cmd.Process.Signal(syscall.SIGTERM)
		cmd.Wait()
	}()
	wg.Wait()
	if len(accepted) != jobs {
		t.Fatalf("%d jobs accepted for %d tokens", len(accepted), jobs)
	}
	t.Logf("%d submissions failed around the kill and were repeated", errs.Load())

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	final := map[string]*Job{}
	for id := range accepted {
		j, err := c.Wait(ctx, id)
		if err != nil {
			t.Fatalf("accepted job %s: %v", id, err)
		}
		final[id] = j
	}

	b, err := os.ReadFile(log)
	if err != nil {
		t.Fatal(err)
	}
	completions := map[string]int{}
	for line := range strings.Lines(string(b)) {
		completions[strings.TrimSpace(line)]++
	}
	rerun := 0
	for id, j := range final {
		token := accepted[id]
		n := completions[token]
		switch {
		case j.State != Succeeded:
			t.Errorf("job %s (%s) ended %s after %d attempts: %+v", id, token, j.State, j.Attempts, j.Error)
		case j.Attempts > retries+1:
			t.Errorf("job %s ran %d attempts; its policy allows %d", id, j.Attempts, retries+1)
		case n == 0 || n > j.Attempts:
			t.Errorf("job %s completed %d times in %d attempts", id, n, j.Attempts)
		}
		if j.Attempts > 1 {
			rerun++
		}
	}
	t.Logf("%d jobs were re-run after the crash", rerun)
}
