package main

import (
	"testing"

	"github.com/concurgo/concur/examples/internal/exampletest"
)

func TestMain(m *testing.M) { exampletest.Main(m, main) }

func TestOutput(t *testing.T) {
	want := "Сумма чисел от 1 до 1000: 500500\nПроизведение чисел от 1 до 10: 3628800\n"
	if out := exampletest.Run(t).Stdout; out != want {
		t.Fatalf("output %q", out)
	}
}
