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
	if len(lines) != 7 || lines[6] != "All processes finished" {
		t.Fatalf("output:\n%s", out)
	}
	for _, name := range []string{"0", "1", "2"} {
		s := slices.Index(lines, "Process "+name+": Starting")
		f := slices.Index(lines, "Process "+name+": Finishing")
		if s < 0 || f < s {
			t.Errorf("process %s did not start, then finish:\n%s", name, out)
		}
	}
}
