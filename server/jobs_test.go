package server

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

func intp(n int) *int { return &n }

// flakyKey returns args for test.flaky with a key no other run shares (the
// call counts live as long as the test binary, across -count runs).
func flakyKey(t *testing.T, fails int) json.RawMessage {
	b, _ := json.Marshal(flakyArgs{Key: fmt.Sprintf("%s-%d", t.Name(), time.Now().UnixNano()), Fails: fails})
	return b
}

// waitState polls until job id is in state want.
func waitState(t *testing.T, c *Client, id string, want State) *Job {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		j, err := c.Get(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		if j.State == want {
			return j
		}
		if j.State.Final() || time.Now().After(deadline) {
			t.Fatalf("job %s is %s, waiting for %s: %+v", id, j.State, want, j.Error)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestRetriesWithBackoffThenSuccess(t *testing.T) {
	_, c := startServer(t, testConfig(t))
	j := submit(t, c, JobRequest{Function: "test.flaky", Args: flakyKey(t, 2), Retries: intp(3)})
	done := waitJob(t, c, j.ID)
	if done.State != Succeeded || done.Attempts != 3 || string(done.Result) != "3" || done.Error != nil {
		t.Errorf("job %+v", done)
	}
}

func TestRetriesExhaustedThenRetryNow(t *testing.T) {
	_, c := startServer(t, testConfig(t))
	j := submit(t, c, JobRequest{Function: "test.flaky", Args: flakyKey(t, 3), Retries: intp(1)})
	done := waitJob(t, c, j.ID)
	if done.State != Failed || done.Attempts != 2 || done.Error == nil || done.Error.Kind != "error" || done.Error.Message != "call 2 fails" {
		t.Fatalf("job %+v %+v", done, done.Error)
	}
	// The dead-letter set: failed jobs, listed by state; retry-now gives a
	// fresh budget.
	l, err := c.List(context.Background(), url.Values{"state": {"failed"}})
	if err != nil || len(l.Jobs) != 1 || l.Jobs[0].ID != j.ID {
		t.Fatalf("failed list %+v %v", l, err)
	}
	again, err := c.Retry(context.Background(), j.ID)
	if err != nil || again.State != Queued || again.Attempts != 0 {
		t.Fatalf("retry %+v %v", again, err)
	}
	done = waitJob(t, c, j.ID)
	if done.State != Succeeded || done.Attempts != 2 { // call 3 fails, call 4 succeeds
		t.Fatalf("after retry %+v", done)
	}
	if _, err := c.Retry(context.Background(), j.ID); !isAPIError(err, 409, "conflict") {
		t.Errorf("retry of a succeeded job: %v", err)
	}
}

func isAPIError(err error, status int, code string) bool {
	ae, ok := err.(*APIError)
	return ok && ae.Status == status && ae.Code == code
}

func TestFailureKinds(t *testing.T) {
	cfg := testConfig(t)
	_, c := startServer(t, cfg)
	for _, tc := range []struct {
		req      JobRequest
		kind     string
		attempts int
	}{
		{JobRequest{Function: "test.panic", Retries: intp(1)}, "panic", 2},
		{JobRequest{Function: "test.goexit"}, "panic", 1},
		{JobRequest{Function: "test.skip", Retries: intp(5)}, "error", 1},
		{JobRequest{Function: "test.block", Timeout: Duration(20 * time.Millisecond), Retries: intp(1)}, "timeout", 2},
		{JobRequest{Function: "test.bigresult", Args: json.RawMessage(`9000000`), Retries: intp(3)}, "error", 1},
	} {
		j := waitJob(t, c, submit(t, c, tc.req).ID)
		if j.State != Failed || j.Error == nil || j.Error.Kind != tc.kind || j.Attempts != tc.attempts {
			t.Errorf("%s: %+v %+v", tc.req.Function, j, j.Error)
		}
		if tc.kind == "panic" && tc.req.Function == "test.panic" && !strings.Contains(j.Error.Stack, "main_test.go") {
			t.Errorf("panic without its stack: %q", j.Error.Stack)
		}
	}
}

func TestCancel(t *testing.T) {
	cfg := testConfig(t)
	cfg.Commands = map[string]CommandSpec{"sleep": {Argv: []string{"sleep", "60"}}}
	_, c := startServer(t, cfg)
	ctx := context.Background()
	for _, req := range []JobRequest{
		{Function: "test.block", Mode: Thread, Retries: intp(3)},
		{Function: "test.block", Mode: Process, Retries: intp(3)},
		{Command: "sleep", Retries: intp(3)},
	} {
		t.Run(string(req.Mode)+req.Command, func(t *testing.T) {
			j := submit(t, c, req)
			waitState(t, c, j.ID, Running)
			got, err := c.Cancel(ctx, j.ID)
			if err != nil || !got.CancelRequested {
				t.Fatalf("cancel: %+v %v", got, err)
			}
			done := waitJob(t, c, j.ID)
			if done.State != Cancelled || done.Attempts != 1 || done.Error == nil || done.Error.Kind != "cancelled" {
				t.Errorf("cancelled job %+v %+v", done, done.Error)
			}
			if _, err := c.Cancel(ctx, j.ID); !isAPIError(err, 409, "conflict") {
				t.Errorf("second cancel: %v", err)
			}
		})
	}
	t.Run("queued", func(t *testing.T) {
		j := submit(t, c, JobRequest{Function: "test.noop", Delay: Duration(time.Hour)})
		if j.State != Scheduled {
			t.Fatalf("delayed job %+v", j)
		}
		got, err := c.Cancel(ctx, j.ID)
		if err != nil || got.State != Cancelled || got.Attempts != 0 {
			t.Fatalf("cancel: %+v %v", got, err)
		}
		// Retry of a cancelled job runs it.
		c.Retry(ctx, j.ID)
		if done := waitJob(t, c, j.ID); done.State != Succeeded {
			t.Errorf("retried %+v", done)
		}
	})
}

func TestProcessMode(t *testing.T) {
	_, c := startServer(t, testConfig(t))
	j := waitJob(t, c, submit(t, c, JobRequest{Function: "test.pid", Mode: Process}).ID)
	pid, _ := strconv.Atoi(string(j.Result))
	if j.State != Succeeded || pid == 0 || pid == os.Getpid() {
		t.Errorf("process job %+v", j)
	}
	j = waitJob(t, c, submit(t, c, JobRequest{Function: "test.add", Mode: Process, Args: json.RawMessage(`{"X":20,"Y":22}`)}).ID)
	if j.State != Succeeded || string(j.Result) != "42" {
		t.Errorf("add in a process %+v", j)
	}
	// A panic and ErrSkipRetry keep their meaning across the process boundary.
	j = waitJob(t, c, submit(t, c, JobRequest{Function: "test.panic", Mode: Process}).ID)
	if j.Error == nil || j.Error.Kind != "panic" || !strings.Contains(j.Error.Stack, "main_test.go") {
		t.Errorf("panic in a process %+v", j.Error)
	}
	j = waitJob(t, c, submit(t, c, JobRequest{Function: "test.skip", Mode: Process, Retries: intp(3)}).ID)
	if j.State != Failed || j.Attempts != 1 {
		t.Errorf("skip-retry in a process %+v", j)
	}
}

// A process worker killed by SIGKILL mid-job fails that attempt with a
// typed error naming the signal; the job is retried as its policy says and
// the server goes on.
func TestProcessWorkerSIGKILLed(t *testing.T) {
	_, c := startServer(t, testConfig(t))
	j := waitJob(t, c, submit(t, c, JobRequest{Function: "test.sigkill", Mode: Process, Retries: intp(1)}).ID)
	if j.State != Failed || j.Attempts != 2 || j.Error == nil || j.Error.Kind != "killed" || !strings.Contains(j.Error.Message, "signal 9") {
		t.Errorf("job %+v %+v", j, j.Error)
	}
	if j := waitJob(t, c, submit(t, c, JobRequest{Function: "test.noop", Mode: Process}).ID); j.State != Succeeded {
		t.Errorf("next job %+v", j)
	}
}

func TestCommandMode(t *testing.T) {
	cfg := testConfig(t)
	cfg.Commands = map[string]CommandSpec{
		"echo":  {Argv: []string{"echo", "hello"}, ExtraArgs: true},
		"false": {Argv: []string{"false"}},
		"env":   {Argv: []string{"env"}},
	}
	t.Setenv("CONCUR_SECRET_FOR_TEST", "leak")
	_, c := startServer(t, cfg)
	j := waitJob(t, c, submit(t, c, JobRequest{Command: "echo", Args: json.RawMessage(`["$HOME", "; ls"]`)}).ID)
	var res CommandResult
	json.Unmarshal(j.Result, &res)
	if j.State != Succeeded || res.Stdout != "hello $HOME ; ls\n" {
		t.Errorf("echo: %+v %s", j, j.Result)
	}
	j = waitJob(t, c, submit(t, c, JobRequest{Command: "false"}).ID)
	if j.State != Failed || j.Error.Kind != "exit" {
		t.Errorf("false: %+v", j.Error)
	}
	j = waitJob(t, c, submit(t, c, JobRequest{Command: "env"}).ID)
	if strings.Contains(string(j.Result), "CONCUR_") {
		t.Errorf("a command saw CONCUR_ variables: %s", j.Result)
	}
}

func TestPriorityOrder(t *testing.T) {
	cfg := testConfig(t)
	cfg.MaxThreads = 1
	_, c := startServer(t, cfg)
	hold := submit(t, c, JobRequest{Function: "test.hold"})
	waitState(t, c, hold.ID, Running)
	var ids []string
	for _, p := range []Priority{Low, Normal, High, Low, High} {
		ids = append(ids, submit(t, c, JobRequest{Function: "test.noop", Priority: p}).ID)
	}
	release <- struct{}{}
	var started []time.Time
	for _, id := range ids {
		started = append(started, waitJob(t, c, id).StartedAt)
	}
	// High (2, 4) before normal (1) before low (0, 3).
	order := [][2]int{{2, 1}, {4, 1}, {1, 0}, {1, 3}}
	for _, o := range order {
		if !started[o[0]].Before(started[o[1]]) {
			t.Errorf("job %d started at %v, not before job %d at %v", o[0], started[o[0]], o[1], started[o[1]])
		}
	}
}

func TestDelay(t *testing.T) {
	_, c := startServer(t, testConfig(t))
	j := submit(t, c, JobRequest{Function: "test.noop", Delay: Duration(200 * time.Millisecond)})
	done := waitJob(t, c, j.ID)
	if done.State != Succeeded || done.StartedAt.Sub(done.CreatedAt) < 200*time.Millisecond {
		t.Errorf("delayed job started %v after submission", done.StartedAt.Sub(done.CreatedAt))
	}
}

func TestListFilterPaginate(t *testing.T) {
	_, c := startServer(t, testConfig(t))
	ctx := context.Background()
	var ids []string
	for i := range 7 {
		f := "test.noop"
		if i%2 == 1 {
			f = "test.fail"
		}
		ids = append(ids, submit(t, c, JobRequest{Function: f}).ID)
	}
	for _, id := range ids {
		waitJob(t, c, id)
	}
	// The index follows the bucket closely but not instantly.
	var got []string
	deadline := time.Now().Add(10 * time.Second)
	for cursor := ""; ; {
		l, err := c.List(ctx, url.Values{"function": {"test.noop"}, "state": {"succeeded,failed"}, "limit": {"2"}, "cursor": {cursor}})
		if err != nil {
			t.Fatal(err)
		}
		for _, j := range l.Jobs {
			got = append(got, j.ID)
		}
		if cursor = l.NextCursor; cursor != "" {
			continue
		}
		if len(got) == 4 || time.Now().After(deadline) {
			break
		}
		got = nil
		time.Sleep(10 * time.Millisecond)
	}
	want := []string{ids[6], ids[4], ids[2], ids[0]} // newest first
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("pages = %v, want %v", got, want)
	}
}
