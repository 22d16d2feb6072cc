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
	got := slices.Sorted(slices.Values(strings.Split(strings.TrimSpace(out), "\n")))
	want := slices.Sorted(slices.Values([]string{
		"Ошибка в потоке Thread-1 (main.func1): division by zero",
		"Результат: 10.0",
		"Результат: 5.0",
		"Результат: 3.3333333333333335",
		"Неизвестная ошибка в потоке Thread-5 (main.func1): unsupported operand type(s) for /: 'int' and 'str'",
		"Результат: 2.0",
	}))
	if !slices.Equal(got, want) {
		t.Fatalf("output:\n%s", out)
	}
}
