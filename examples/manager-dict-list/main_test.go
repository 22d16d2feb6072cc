package main

import (
	"testing"

	"github.com/concurgo/concur/examples/internal/exampletest"
)

func TestMain(m *testing.M) { exampletest.Main(m, main) }

func TestOutput(t *testing.T) {
	want := "map[1:1 2:2]\n[9 8 7 6 5 4 3 2 1 0]\n"
	if out := exampletest.Run(t).Stdout; out != want {
		t.Fatalf("output %q, want %q", out, want)
	}
}
