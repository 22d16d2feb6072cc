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
	var results, exceptions []string
	for line := range strings.Lines(out) {
		if strings.HasPrefix(line, "Результат: ") {
			results = append(results, line)
		} else {
			exceptions = append(exceptions, line)
		}
	}
	slices.Sort(results) // threads print in any order; main prints in thread order
	wantResults := []string{"Результат: 10.0\n", "Результат: 2.0\n", "Результат: 3.3333333333333335\n", "Результат: 5.0\n"}
	wantExceptions := []string{
		"Исключение в Thread-1: division by zero\n",
		"Исключение в Thread-5: unsupported operand type(s) for /: 'int' and 'str'\n",
	}
	if !slices.Equal(results, wantResults) || !slices.Equal(exceptions, wantExceptions) {
		t.Fatalf("output:\n%s", out)
	}
}
