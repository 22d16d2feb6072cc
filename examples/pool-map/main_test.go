package main

import (
	"regexp"
	"strings"
	"testing"

	"github.com/concurgo/concur/examples/internal/exampletest"
)

func TestMain(m *testing.M) { exampletest.Main(m, main) }

func TestOutput(t *testing.T) {
	out := exampletest.Run(t).Stdout
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 6 || lines[5] != "[1, 4, 9, 16, 25]" {
		t.Fatalf("output:\n%s", out)
	}
	line := regexp.MustCompile(`^Процесс \d+ обрабатывает ([1-5])$`)
	xs := map[string]bool{}
	for _, l := range lines[:5] {
		m := line.FindStringSubmatch(l)
		if m == nil {
			t.Fatalf("line %q", l)
		}
		xs[m[1]] = true
	}
	if len(xs) != 5 {
		t.Errorf("want each number once:\n%s", out)
	}
}
