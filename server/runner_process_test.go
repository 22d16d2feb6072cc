package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/concurgo/concur/process"
)

// gateArgs are the arguments of test.gate.
type gateArgs struct {
	Pids string `json:"pids"` // a file to append the worker's pid to
	Gate string `json:"gate"` // a file whose creation lets the call return
}

func init() {
	// test.gate appends its worker's pid to a file, then waits, ignoring
	// its context, until the gate file exists; it returns the pid. A test
	// learns from the file which process runs an attempt, kills it or
	// cancels it, and opens the gate to let the attempts return.
	Register("test.gate", func(_ context.Context, a gateArgs) (int, error) {
		f, err := os.OpenFile(a.Pids, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
		if err != nil {
			return 0, err
		}
		_, err = fmt.Fprintln(f, os.Getpid())
		f.Close()
		if err != nil {
			return 0, err
		}
		for {
			if _, err := os.Stat(a.Gate); err == nil {
				return os.Getpid(), nil
			}
			time.Sleep(2 * time.Millisecond)
		}
	})
	// test.exit ends its worker process with exit status 3.
	Register("test.exit", func(context.Context, struct{}) (struct{}, error) {
		os.Exit(3)
		return struct{}{}, nil
	})
}

// gate returns the arguments of a test.gate call writing its pids to a
// file of its own, behind the gate file g.
func gate(t *testing.T, g string) (args json.RawMessage, pids string) {
	t.Helper()
	pids = filepath.Join(t.TempDir(), "pids")
	args, _ = json.Marshal(gateArgs{Pids: pids, Gate: g})
	return args, pids
}

// waitPids waits until the file of a test.gate call lists n pids, and
// returns them.
func waitPids(t *testing.T, file string, n int) []int {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		b, _ := os.ReadFile(file)
		if strings.Count(string(b), "\n") >= n {
			var pids []int
			for _, f := range strings.Fields(string(b)) {
				pid, err := strconv.Atoi(f)
				if err != nil {
					t.Fatalf("pid file %s: %q", file, b)
				}
				pids = append(pids, pid)
			}
			return pids
		}
		if time.Now().After(deadline) {
			t.Fatalf("pid file %s holds %q, waiting for %d pids", file, b, n)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// alive reports whether process pid exists (a zombie counts: it has not
// been reaped).
func alive(pid int) bool {
	return syscall.Kill(pid, 0) == nil
}

// waitGone waits until process pid has exited and been reaped.
func waitGone(t *testing.T, pid int) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for alive(pid) {
		if time.Now().After(deadline) {
			t.Fatalf("process %d is still there", pid)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func resultPid(t *testing.T, j *Job) int {
	t.Helper()
	pid, err := strconv.Atoi(string(j.Result))
	if j.State != Succeeded || err != nil || pid <= 0 || pid == os.Getpid() {
		t.Fatalf("job %+v %+v", j, j.Error)
	}
	return pid
}

// A process job runs on a warm worker: with MaxTasksPerChild 0, jobs in
// turn find the same process; with 1, each gets a fresh one, as each did
// before the pool. Shutdown leaves no worker behind.
func TestProcessWorkersAreWarm(t *testing.T) {
	for _, tc := range []struct {
		maxTasks int
		same     bool
	}{{0, true}, {1, false}, {2, true}} {
		t.Run(fmt.Sprintf("max-tasks-%d", tc.maxTasks), func(t *testing.T) {
			cfg := testConfig(t)
			cfg.MaxProcesses = 1 // one worker, so that warm means the same pid
			cfg.MaxTasksPerChild = tc.maxTasks
			_, c, stop := runUntil(t, cfg)
			first := resultPid(t, waitJob(t, c, submit(t, c, JobRequest{Function: "test.pid", Mode: Process}).ID))
			second := resultPid(t, waitJob(t, c, submit(t, c, JobRequest{Function: "test.pid", Mode: Process}).ID))
			if (first == second) != tc.same {
				t.Errorf("jobs ran in pids %d and %d; want the same pid: %v", first, second, tc.same)
			}
			if tc.same && !alive(first) {
				t.Errorf("the warm worker %d is gone between jobs", first)
			}
			stop()
			for _, pid := range []int{first, second} {
				if alive(pid) {
					t.Errorf("worker %d outlived the server's shutdown", pid)
				}
			}
		})
	}
}

// A worker killed from outside mid-job fails that attempt with kind
// "killed", naming the pid and the signal; the job is retried as its
// policy says, on a fresh worker; the job running on the other worker
// carries on undisturbed; and the jobs after succeed.
func TestProcessWorkerKilledMidJob(t *testing.T) {
	cfg := testConfig(t)
	cfg.MaxProcesses = 2
	_, c := startServer(t, cfg)
	g := filepath.Join(t.TempDir(), "gate")
	argsA, pidsA := gate(t, g)
	argsB, pidsB := gate(t, g)
	a := submit(t, c, JobRequest{Function: "test.gate", Mode: Process, Args: argsA, Retries: intp(1)})
	b := submit(t, c, JobRequest{Function: "test.gate", Mode: Process, Args: argsB})
	victim := waitPids(t, pidsA, 1)[0]
	other := waitPids(t, pidsB, 1)[0]
	if victim == other {
		t.Fatalf("two running jobs share worker %d", victim)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var (
		sent   bool
		killed *JobError
		final  *Job
	)
	for j, err := range c.Watch(ctx, a.ID) {
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case j.State == Running && j.Attempts == 1 && !sent:
			// The stream is open (the first event is the job as it is):
			// no change can be missed from here on.
			sent = true
			if err := syscall.Kill(victim, syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
		case j.State == Retrying:
			killed = j.Error
		case j.State == Running && j.Attempts == 2:
			// Open the gate once the retry runs in a process, so that
			// it cannot be the other job's worker, freed by the gate.
			waitPids(t, pidsA, 2)
			if err := os.WriteFile(g, nil, 0o600); err != nil {
				t.Fatal(err)
			}
		}
		final = j
	}
	if killed == nil || killed.Kind != "killed" || !strings.Contains(killed.Message, "signal 9") ||
		!strings.Contains(killed.Message, strconv.Itoa(victim)) {
		t.Errorf("the killed attempt's error: %+v", killed)
	}
	pids := waitPids(t, pidsA, 2)
	if final == nil || final.Attempts != 2 || resultPid(t, final) != pids[1] || pids[1] == victim || pids[1] == other {
		t.Errorf("job %+v ran in pids %v; killed %d, other job in %d", final, pids, victim, other)
	}
	waitGone(t, victim)

	jb := waitJob(t, c, b.ID)
	if resultPid(t, jb) != other || jb.Attempts != 1 {
		t.Errorf("the job on the other worker: %+v", jb)
	}
	if !alive(other) {
		t.Errorf("the other worker %d died", other)
	}
	// A worker that exits on its own is a death like a kill.
	j := waitJob(t, c, submit(t, c, JobRequest{Function: "test.exit", Mode: Process}).ID)
	if j.State != Failed || j.Attempts != 1 || j.Error == nil || j.Error.Kind != "killed" || !strings.Contains(j.Error.Message, "status 3") {
		t.Errorf("exit job %+v %+v", j, j.Error)
	}
	for range 3 {
		resultPid(t, waitJob(t, c, submit(t, c, JobRequest{Function: "test.pid", Mode: Process}).ID))
	}
}

// Cancelling a running process job, or its timeout, kills its worker:
// the process is gone, not left running a job nobody wants. The pool
// starts another worker for the next job.
func TestProcessCancelKillsWorker(t *testing.T) {
	cfg := testConfig(t)
	cfg.MaxProcesses = 1
	_, c := startServer(t, cfg)
	g := filepath.Join(t.TempDir(), "never") // never opened
	for _, tc := range []struct {
		name    string
		timeout time.Duration
		state   State
		kind    string
	}{
		{"cancel", 0, Cancelled, "cancelled"},
		{"timeout", 2 * time.Second, Failed, "timeout"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args, pids := gate(t, g)
			j := submit(t, c, JobRequest{Function: "test.gate", Mode: Process, Args: args, Timeout: Duration(tc.timeout)})
			pid := waitPids(t, pids, 1)[0]
			if tc.timeout == 0 {
				if _, err := c.Cancel(context.Background(), j.ID); err != nil {
					t.Fatal(err)
				}
			}
			done := waitJob(t, c, j.ID)
			if done.State != tc.state || done.Attempts != 1 || done.Error == nil || done.Error.Kind != tc.kind {
				t.Errorf("job %+v %+v", done, done.Error)
			}
			waitGone(t, pid)
			if next := resultPid(t, waitJob(t, c, submit(t, c, JobRequest{Function: "test.pid", Mode: Process}).ID)); next == pid {
				t.Errorf("the next job ran in the killed worker's pid %d", pid)
			}
		})
	}
}

func TestMaxTasksPerChildSetting(t *testing.T) {
	cfg, _, err := LoadConfig("test", DefaultConfig(), []string{"-max-tasks-per-child", "1"}, func(string) string { return "" })
	if err != nil || cfg.MaxTasksPerChild != 1 {
		t.Fatalf("-max-tasks-per-child 1: %d %v", cfg.MaxTasksPerChild, err)
	}
	cfg, _, err = LoadConfig("test", DefaultConfig(), nil, func(k string) string {
		if k == "CONCUR_MAX_TASKS_PER_CHILD" {
			return "50"
		}
		return ""
	})
	if err != nil || cfg.MaxTasksPerChild != 50 {
		t.Fatalf("CONCUR_MAX_TASKS_PER_CHILD=50: %d %v", cfg.MaxTasksPerChild, err)
	}
	cfg = testConfig(t)
	cfg.MaxTasksPerChild = -1
	if _, err := New(cfg); err == nil || !strings.Contains(err.Error(), "max-tasks-per-child") {
		t.Errorf("a negative max-tasks-per-child: %v", err)
	}
}

// The outcomes of a process-mode call, as the job records them.
func TestSettleProcess(t *testing.T) {
	cancelled, cancel := context.WithCancelCause(context.Background())
	cancel(errCancelRequested)
	for _, tc := range []struct {
		name      string
		ctx       context.Context
		out       processOutcome
		err       error
		kind      string
		retryable bool
	}{
		{"result", context.Background(), processOutcome{Result: []byte("1")}, nil, "", false},
		{"settled in the worker", context.Background(), processOutcome{Err: &JobError{Kind: "bad_args", Message: "x"}}, nil, "bad_args", false},
		{"worker died", context.Background(), processOutcome{},
			&process.ExitError{Name: "SpawnPoolWorker-1", Pid: 42, ExitCode: -9, Signal: syscall.SIGKILL}, "killed", true},
		{"main not called", context.Background(), processOutcome{},
			fmt.Errorf("%w: a worker could not be started: %w", process.ErrBrokenPool, process.ErrMainNotCalled), "error", false},
		{"pool broken otherwise", context.Background(), processOutcome{},
			fmt.Errorf("%w: a worker could not be started: %w", process.ErrBrokenPool, syscall.EAGAIN), "error", true},
		{"cancelled", cancelled, processOutcome{}, errCancelRequested, "cancelled", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, err := settleProcess(tc.ctx, tc.out, tc.err)
			var cause error
			if tc.ctx.Err() != nil {
				cause = context.Cause(tc.ctx)
			}
			jerr, retryable := classify(err, cause, 0)
			switch {
			case tc.kind == "":
				if err != nil || string(res) != "1" {
					t.Errorf("got %s, %v", res, err)
				}
			case jerr == nil || jerr.Kind != tc.kind || retryable != tc.retryable:
				t.Errorf("got %+v retryable %v, want kind %s retryable %v", jerr, retryable, tc.kind, tc.retryable)
			}
		})
	}
}

// stopped reports whether err is that of a call on a closed or
// terminated pool.
func stopped(err error) bool {
	return errors.Is(err, process.ErrPoolClosed) || errors.Is(err, process.ErrPoolTerminated)
}

// A broken pool is replaced once, by the first attempt that meets it; a
// stopped runner replaces nothing, and leaves no pool behind.
func TestProcessRunnerRenewsBrokenPool(t *testing.T) {
	cfg := testConfig(t)
	p := newProcessRunner(&cfg, cfg.Logger)
	if err := p.start(); err != nil {
		t.Fatal(err)
	}
	first := p.current()
	why := fmt.Errorf("%w: test", process.ErrBrokenPool)
	p.renew(first, why)
	second := p.current()
	if second == nil || second == first {
		t.Fatalf("pool %p after renewing %p", second, first)
	}
	if _, err := process.Apply(context.Background(), first, lookup("test.noop").proc, []byte(`{}`)); !stopped(err) {
		t.Errorf("the replaced pool still takes calls: %v", err)
	}
	p.renew(first, why) // a second attempt that met the broken pool
	if p.current() != second {
		t.Error("a stale renewal replaced the new pool")
	}
	p.stop()
	p.renew(second, why)
	if p.current() != nil {
		t.Error("a renewal after stop made a pool")
	}
	if _, err := process.Apply(context.Background(), second, lookup("test.noop").proc, []byte(`{}`)); !stopped(err) {
		t.Errorf("the stopped pool still takes calls: %v", err)
	}
	if err := p.start(); err == nil {
		t.Error("a stopped runner started again")
	}
}
