package main

import (
	"strings"
	"testing"

	"github.com/concurgo/concur/examples/internal/exampletest"
)

func TestMain(m *testing.M) { exampletest.Main(m, main) }

func TestOutput(t *testing.T) {
	out := exampletest.Run(t).Stdout
	if !strings.HasPrefix(out, "process: process.Main was not called") ||
		!strings.HasSuffix(out, "Исправление: вызовите process.Main() первой строкой main.\n") {
		t.Fatalf("output:\n%s", out)
	}
}
