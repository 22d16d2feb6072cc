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
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) != 5 || lines[4] != "Исключение в Thread-1 (main.func1): division by zero" {
		t.Fatalf("output:\n%s", out)
	}
	results := slices.Sorted(slices.Values(lines[:4]))
	want := []string{"Результат: 10.0", "Результат: 2.5", "Результат: 3.3333333333333335", "Результат: 5.0"}
	if !slices.Equal(results, want) {
		t.Fatalf("output:\n%s", out)
	}
}
