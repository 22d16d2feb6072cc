package main

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/concurgo/concur/examples/internal/exampletest"
)

func TestMain(m *testing.M) { exampletest.Main(m, main) }

func TestOutput(t *testing.T) {
	out := exampletest.Run(t).Stdout
	lines := strings.Split(strings.TrimSpace(out), "\n")
	slices.Sort(lines) // threads print in any order
	if len(lines) != 5 {
		t.Fatalf("output:\n%s", out)
	}
	line := regexp.MustCompile(`^Дочерний поток: имя=(Worker-\d), daemon=false, id=(\d+)$`)
	ids := map[string]bool{}
	for i, l := range lines {
		m := line.FindStringSubmatch(l)
		if m == nil || m[1] != fmt.Sprintf("Worker-%d", i+1) || ids[m[2]] {
			t.Fatalf("line %q", l)
		}
		ids[m[2]] = true
	}
}
