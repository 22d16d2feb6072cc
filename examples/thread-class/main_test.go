package main

import (
	"slices"
	"strings"
	"testing"

	"github.com/concurgo/concur/examples/internal/exampletest"
)

func TestMain(m *testing.M) { exampletest.Main(m, main) }

func TestOutput(t *testing.T) {
	lines := strings.Split(strings.TrimSpace(exampletest.Run(t).Stdout), "\n")
	if len(lines) != 6 {
		t.Fatalf("output:\n%s", strings.Join(lines, "\n"))
	}
	threadLines := slices.Sorted(slices.Values(lines[:5])) // threads print in any order
	want := []string{
		"Результат в потоке Thread-1: 0",
		"Результат в потоке Thread-2: 2",
		"Результат в потоке Thread-3: 4",
		"Результат в потоке Thread-4: 6",
		"Результат в потоке Thread-5: 8",
	}
	if !slices.Equal(threadLines, want) || lines[5] != "Все результаты: [0, 2, 4, 6, 8]" {
		t.Fatalf("output:\n%s", strings.Join(lines, "\n"))
	}
}
