package main

import (
	"testing"

	"github.com/concurgo/concur/examples/internal/exampletest"
)

func TestMain(m *testing.M) { exampletest.Main(m, main) }

func TestOutput(t *testing.T) {
	want := "Результаты: [0, 2, 4, 6, 8]\nРезультаты: [0, 2, 4, 6, 8]\n"
	if out := exampletest.Run(t).Stdout; out != want {
		t.Fatalf("output %q", out)
	}
}
