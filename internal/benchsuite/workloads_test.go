package benchsuite

import (
	"context"
	"os"
	"testing"
	"time"
)

// The real workloads, each run for a moment: every implementation must
// do its ops without error. Timing is not checked; that is the suite's
// job. The countdowns, the I/O fan-out through threads and the server
// are left out to keep the test quick (`concur bench` runs them), and so
// are the process workloads under -race (see raceEnabled).
func TestWorkloadsRun(t *testing.T) {
	cheap := map[string]bool{
		"lock": true, "rlock": true, "queue-1p1c": true, "priority": true, "thread-start-join": true,
		"thread-executor": true, "pipe-rt-64": true, "pipe-echo-1mib": true, "io-fanout-aio": true,
	}
	if !raceEnabled {
		for _, id := range []string{"process-start-join", "value-locked-2proc", "value-add-2proc",
			"mp-queue", "manager-dict", "pool-apply", "process-executor"} {
			cheap[id] = true
		}
	}
	rep, err := Run(context.Background(), Workloads(), Options{Target: time.Millisecond, Reps: 2, Match: func(id string) bool { return cheap[id] }})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rep.Rows {
		for _, f := range append([]*Figure{r.Concur, r.Baseline}, r.Peers...) {
			if f != nil && (f.Err != "" || f.Value <= 0) {
				t.Errorf("%s, %s: value %v, error %q", r.ID, f.Name, f.Value, f.Err)
			}
		}
		if r.Missing == "" && r.Concur == nil {
			t.Errorf("%s: no concur figure", r.ID)
		}
	}
}

// One Python workload through the real interpreter, when there is one.
func TestPythonWorkload(t *testing.T) {
	python := LookPython()
	if python == "" {
		if os.Getenv("CONCUR_REQUIRE_TOOLS") == "1" {
			t.Fatal("python3 not found and CONCUR_REQUIRE_TOOLS=1")
		}
		t.Skip("python3 not found")
	}
	s := Suite{lockWorkload()}
	rep, err := Run(context.Background(), s, Options{Target: time.Millisecond, Reps: 2, Python: python})
	if err != nil {
		t.Fatal(err)
	}
	r := rep.Rows[0]
	if r.Python == nil || r.Python.Err != "" || len(r.Python.Samples) != 2 || r.Python.Value <= 0 || r.PythonRatio <= 0 {
		t.Fatalf("Python figure %+v, ratio %v", r.Python, r.PythonRatio)
	}
	if rep.Machine.Python == "" {
		t.Error("the machine's Python version is missing")
	}
	py, err := newPythonRunner(python)
	if err != nil {
		t.Fatal(err)
	}
	defer py.close()
	if f := py.run(context.Background(), "no-such-workload", time.Millisecond, 1); f.Err == "" {
		t.Errorf("an unknown Python workload gave %+v", f)
	}
}
