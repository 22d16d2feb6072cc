package main

import (
	"os"
	"os/exec"
	"strings"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// needPython skips the test when python3 is missing, unless the
// environment requires the tools.
func needPython(t *testing.T) {
	if _, err := exec.LookPath("python3"); err != nil {
		if os.Getenv("CONCUR_REQUIRE_TOOLS") == "1" {
			t.Fatal("python3 is required:", err)
		}
		t.Skip("python3 not installed")
	}
}

func TestRun(t *testing.T) {
	needPython(t)
	var stdout, stderr strings.Builder
	if err := run(t.Context(), &stdout, &stderr); err != nil {
		t.Fatal(err, stderr.String())
	}
	lines := strings.Split(stdout.String(), "\n")
	if len(lines) != 4 || !strings.HasPrefix(lines[0], "Hello from the external program (Python 3.") ||
		lines[1] != "args: ['--from', 'Go']" || lines[2] != "external program returned 0" {
		t.Errorf("output:\n%s", stdout.String())
	}
}

func TestRunReportsReturnCode(t *testing.T) {
	needPython(t)
	t.Setenv("EXIT_CODE", "3")
	var stdout strings.Builder
	if err := run(t.Context(), &stdout, &stdout); err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(stdout.String(), "external program returned 3\n") {
		t.Errorf("output:\n%s", stdout.String())
	}
}

func TestRunWithoutPython(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	err := run(t.Context(), &strings.Builder{}, &strings.Builder{})
	if err == nil || !strings.HasPrefix(err.Error(), "python3 is not installed") {
		t.Errorf("err = %v", err)
	}
}
