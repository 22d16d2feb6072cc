package main

import (
	"testing"

	"github.com/concurgo/concur/examples/internal/exampletest"
)

func TestMain(m *testing.M) { exampletest.Main(m, main) }

func TestOutput(t *testing.T) {
	want := "put(4): queue: full: context deadline exceeded\n4\n"
	if out := exampletest.Run(t).Stdout; out != want {
		t.Fatalf("output %q, want %q", out, want)
	}
}
