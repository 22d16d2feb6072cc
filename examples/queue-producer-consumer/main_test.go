package main

import (
	"fmt"
	"strings"
	"testing"

	"github.com/concurgo/concur/examples/internal/exampletest"
)

func TestMain(m *testing.M) { exampletest.Main(m, main) }

// TestOutput: every task is added, then processed, exactly once, and the
// last line comes after all of them.
func TestOutput(t *testing.T) {
	out := exampletest.Run(t).Stdout
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) != 21 || lines[20] != "Все задачи завершены." {
		t.Fatalf("output:\n%s", out)
	}
	added := map[int]int{}
	for i, l := range lines[:20] {
		var task int
		if _, err := fmt.Sscanf(l, "Производитель добавляет задачу %d", &task); err == nil {
			added[task] = i
			continue
		}
		if _, err := fmt.Sscanf(l, "Потребитель обрабатывает задачу %d", &task); err != nil {
			t.Fatalf("unexpected line %q", l)
		}
		at, ok := added[task]
		if !ok {
			t.Fatalf("task %d processed before it was added:\n%s", task, out)
		}
		if at < 0 {
			t.Fatalf("task %d processed twice:\n%s", task, out)
		}
		added[task] = -1
	}
	for task, at := range added {
		if at >= 0 {
			t.Fatalf("task %d never processed:\n%s", task, out)
		}
	}
	if len(added) != 10 {
		t.Fatalf("%d tasks, want 10:\n%s", len(added), out)
	}
}
