package main

import (
	"testing"

	"github.com/concurgo/concur/examples/internal/exampletest"
)

func TestMain(m *testing.M) { exampletest.Main(m, main) }

func TestOutput(t *testing.T) {
	// The child prints before it answers, and children write straight to
	// the program's standard output, so the order is fixed.
	got := exampletest.Run(t).Stdout
	want := "Received: Hello from main process!\nMessage received!\n"
	if got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
}
