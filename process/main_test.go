package process_test

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/concurgo/concur/process"
)

// testModeEnv makes a re-executed test binary play a program other than
// the test suite. Only the tests that need it set it (with t.Setenv, so
// the children they start inherit it).
const testModeEnv = "CONCUR_PROCESS_TEST_MODE"

// TestMain is the package's only TestMain. It calls process.Main first,
// so that a child started by any test of the package runs its function
// instead of the tests; before Main, it lets a few tests turn the binary
// into a program that never calls Main, or that only starts and exits.
func TestMain(m *testing.M) {
	switch os.Getenv(testModeEnv) {
	case "exit": // the baseline of BenchmarkRawReexec
		os.Exit(0)
	case "nomain-spawn": // forgot Main and starts a process: refused at once
		process.New(square, 1).Start()
		time.Sleep(time.Hour) // the parent kills it
	case "nomain-hang": // forgot Main and does something else
		time.Sleep(time.Hour)
	}
	process.Main()
	// A race-enabled binary sleeps a second before exiting with status 0
	// (GORACE atexit_sleep_ms) to catch late reports; the children of
	// these tests are that binary, and need not.
	if !strings.Contains(os.Getenv("GORACE"), "atexit_sleep_ms") {
		os.Setenv("GORACE", strings.TrimSpace(os.Getenv("GORACE")+" atexit_sleep_ms=0"))
	}
	goleak.VerifyTestMain(m)
}

// background is the context of joins that should not time out.
var background = context.Background()
