// Package exampletest runs an example program as a user would, in a process
// of its own: main then runs on the main goroutine (so thread.Current() is
// MainThread and new threads are not daemons) and daemon threads die when
// main returns, which is the lesson some seed examples teach. The test
// binary itself serves as the program, so this needs no separate build.
package exampletest

import (
	"bytes"
	"os"
	"os/exec"
	"testing"

	"go.uber.org/goleak"
)

const childEnv = "CONCUR_EXAMPLE_RUN_MAIN"

// Main is an example's TestMain. In the process Run starts it runs the
// program's main and exits; otherwise it runs the tests with a goroutine
// leak check.
func Main(m *testing.M, main func()) {
	if os.Getenv(childEnv) == "1" {
		main()
		os.Exit(0)
	}
	goleak.VerifyTestMain(m)
}

// Result is what an example program left behind.
type Result struct {
	Stdout, Stderr string
	Dir            string // the working directory it ran in, with any files it wrote
}

// Run runs the example program in a new temporary directory. It fails the
// test if the program exits with an error, which includes the race
// detector's reports under go test -race.
func Run(t testing.TB) Result {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe)
	cmd.Dir = t.TempDir()
	// A program built with -race sleeps a second at exit so other goroutines
	// can still report races; daemon threads would print meanwhile.
	cmd.Env = append(os.Environ(), childEnv+"=1", "GORACE="+os.Getenv("GORACE")+" atexit_sleep_ms=0")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("example program: %v\nstdout:\n%s\nstderr:\n%s", err, stdout.String(), stderr.String())
	}
	return Result{Stdout: stdout.String(), Stderr: stderr.String(), Dir: cmd.Dir}
}
