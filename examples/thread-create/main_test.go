package main

import (
	"testing"

	"github.com/concurgo/concur/examples/internal/exampletest"
)

func TestMain(m *testing.M) { exampletest.Main(m, main) }

func TestOutput(t *testing.T) {
	out := exampletest.Run(t).Stdout
	if want := "1\n2\n3\n4\n5\nПерезапуск: thread: already started\n"; out != want {
		t.Fatalf("output %q, want %q", out, want)
	}
}
