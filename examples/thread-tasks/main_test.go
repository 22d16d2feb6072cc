package main

import (
	"slices"
	"strings"
	"testing"

	"github.com/concurgo/concur/examples/internal/exampletest"
)

func TestMain(m *testing.M) { exampletest.Main(m, main) }

func TestOutput(t *testing.T) {
	out := exampletest.Run(t).Stdout
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 7 || lines[6] != "All threads finished" {
		t.Fatalf("output:\n%s", out)
	}
	got := slices.Sorted(slices.Values(lines[:6]))
	want := []string{
		"Thread 0: Finishing", "Thread 0: Starting",
		"Thread 1: Finishing", "Thread 1: Starting",
		"Thread 2: Finishing", "Thread 2: Starting",
	}
	if !slices.Equal(got, want) {
		t.Fatalf("output:\n%s", out)
	}
	for i, line := range lines[:6] { // each thread starts before it finishes
		if strings.HasSuffix(line, "Finishing") && !slices.Contains(lines[:i], strings.Replace(line, "Finishing", "Starting", 1)) {
			t.Fatalf("%q before its start:\n%s", line, out)
		}
	}
}
