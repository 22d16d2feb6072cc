package main

import (
	"testing"

	"github.com/concurgo/concur/examples/internal/exampletest"
)

func TestMain(m *testing.M) { exampletest.Main(m, main) }

func TestOutput(t *testing.T) {
	if got, want := exampletest.Run(t).Stdout, "Received data in worker: Hello from main process!\n"; got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
}
