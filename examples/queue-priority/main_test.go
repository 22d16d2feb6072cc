package main

import (
	"testing"

	"github.com/concurgo/concur/examples/internal/exampletest"
)

func TestMain(m *testing.M) { exampletest.Main(m, main) }

func TestOutput(t *testing.T) {
	want := "(1, 'первая задача')\n(2, 'вторая задача')\n(3, 'третья задача')\n"
	if out := exampletest.Run(t).Stdout; out != want {
		t.Fatalf("output %q", out)
	}
}
