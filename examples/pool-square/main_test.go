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
	want := "[0, 1, 4, 9, 16, 25, 36, 49, 64, 81, 100, 121, 144, 169, 196, 225, 256, 289, 324, 361]"
	if len(lines) != 21 || lines[20] != want {
		t.Fatalf("output:\n%s", out)
	}
	line := regexp.MustCompile(`^Процесс (\d+) обрабатывает (\d+)$`)
	pids, xs := map[string]bool{}, map[string]bool{}
	for _, l := range lines[:20] {
		m := line.FindStringSubmatch(l)
		if m == nil {
			t.Fatalf("line %q", l)
		}
		pids[m[1]], xs[m[2]] = true, true
	}
	if len(xs) != 20 || len(pids) > 4 {
		t.Errorf("want twenty numbers from at most four workers:\n%s", out)
	}
}
