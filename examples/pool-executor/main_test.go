package main

import (
	"testing"

	"github.com/concurgo/concur/examples/internal/exampletest"
)

func TestMain(m *testing.M) { exampletest.Main(m, main) }

func TestOutput(t *testing.T) {
	want := "[0 1 4 9 16 25 36 49 64 81]\n[285 328350 332833500]\n"
	if out := exampletest.Run(t).Stdout; out != want {
		t.Fatalf("output:\n%s\nwant:\n%s", out, want)
	}
}
