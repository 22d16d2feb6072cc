package process_test

import (
	"os"
	"os/exec"
	"testing"

	"github.com/concurgo/concur/process"
)

// BenchmarkProcessStartJoin starts a child, runs a registered function in
// it and joins it, result included: the cost of one process.Run. Compare
// with BenchmarkRawReexec, the floor for any spawn-by-re-exec design
// (Python's spawn takes ~58 ms here).
func BenchmarkProcessStartJoin(b *testing.B) {
	for b.Loop() {
		v, err := process.Run(background, square, 3)
		if err != nil || v != 9 {
			b.Fatal(v, err)
		}
	}
}

// BenchmarkRawReexec re-executes the test binary, which exits at once
// from TestMain, and waits for it: fork, exec, Go runtime start-up,
// package initialization, exit.
func BenchmarkRawReexec(b *testing.B) {
	env := append(os.Environ(), testModeEnv+"=exit")
	for b.Loop() {
		cmd := exec.Command("/proc/self/exe")
		cmd.Env = env
		if err := cmd.Run(); err != nil {
			b.Fatal(err)
		}
	}
}
