package main

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/concurgo/concur/examples/internal/exampletest"
)

func TestMain(m *testing.M) { exampletest.Main(m, main) }

func TestOutput(t *testing.T) {
	lines := strings.Split(strings.TrimSpace(exampletest.Run(t).Stdout), "\n")
	slices.Sort(lines)
	var want []string
	for i := range 8 {
		want = append(want, fmt.Sprintf("Процесс %d выполняется", i))
	}
	if !slices.Equal(lines, want) {
		t.Fatalf("lines %q, want %q in any order", lines, want)
	}
}
