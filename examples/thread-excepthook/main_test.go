package main

import (
	"slices"
	"strings"
	"testing"

	"github.com/concurgo/concur/examples/internal/exampletest"
)

func TestMain(m *testing.M) { exampletest.Main(m, main) }

func TestOutput(t *testing.T) {
	res := exampletest.Run(t)
	got := slices.Sorted(slices.Values(strings.Split(strings.TrimSpace(res.Stdout), "\n")))
	want := []string{
		"Исключение в Thread-1 (main.func1): ZeroDivisionError: division by zero",
		"Исключение в Thread-5 (main.func1): TypeError: unsupported operand type(s) for /: 'int' and 'str'",
	}
	if !slices.Equal(got, want) || res.Stderr != "" {
		t.Fatalf("stdout:\n%s\nstderr:\n%s", res.Stdout, res.Stderr)
	}
}
