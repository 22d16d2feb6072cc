package main

import (
	"strings"
	"testing"

	"github.com/concurgo/concur/process"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	process.Main()
	goleak.VerifyTestMain(m)
}

// TestRun checks the two correct ways; how many unlocked increments are
// lost depends on scheduling.
func TestRun(t *testing.T) {
	var out strings.Builder
	if err := run(&out); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "unlocked: counter = ") ||
		lines[1] != "locked:  counter = 400000 (correct)" || lines[2] != "add:     counter = 400000 (correct)" {
		t.Fatalf("output:\n%s", out.String())
	}
}
