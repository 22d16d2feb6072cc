package process_test

import (
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/concurgo/concur/process"
)

// BenchmarkProcessStartJoin starts a child, runs a registered function in
// it and joins it, result included: the cost of one process.Run. Compare
// with BenchmarkRawReexec, the floor for any spawn-by-re-exec design
// (Python's spawn takes ~58 ms here).
func BenchmarkProcessStartJoin(b *testing.B) {
	for b.Loop() {
		runSquare(b)
	}
}

// BenchmarkRawReexec re-executes the test binary, which exits at once
// from TestMain, and waits for it: fork, exec, Go runtime start-up,
// package initialization, exit.
func BenchmarkRawReexec(b *testing.B) {
	env := rawEnv()
	for b.Loop() {
		rawReexec(b, env)
	}
}

// BenchmarkProcessStartJoinVsRaw alternates the two in one loop and
// reports their ratio (process/raw), which the load of a shared machine
// skews far less than it does two separate benchmarks.
func BenchmarkProcessStartJoinVsRaw(b *testing.B) {
	env := rawEnv()
	var inProcess, raw time.Duration
	for b.Loop() {
		t0 := time.Now()
		runSquare(b)
		t1 := time.Now()
		rawReexec(b, env)
		inProcess += t1.Sub(t0)
		raw += time.Since(t1)
	}
	b.ReportMetric(float64(inProcess)/float64(raw), "process/raw")
	b.ReportMetric(float64(inProcess.Nanoseconds())/float64(b.N), "process-ns/op")
	b.ReportMetric(float64(raw.Nanoseconds())/float64(b.N), "raw-ns/op")
}

func runSquare(b *testing.B) {
	v, err := process.Run(background, square, 3)
	if err != nil || v != 9 {
		b.Fatal(v, err)
	}
}

func rawEnv() []string { return append(os.Environ(), testModeEnv+"=exit") }

func rawReexec(b *testing.B, env []string) {
	cmd := exec.Command("/proc/self/exe")
	cmd.Env = env
	if err := cmd.Run(); err != nil {
		b.Fatal(err)
	}
}
