package main

import (
	"testing"

	"github.com/concurgo/concur/examples/internal/exampletest"
)

func TestMain(m *testing.M) { exampletest.Main(m, main) }

func TestDaemonDiesWithProgram(t *testing.T) {
	if out := exampletest.Run(t).Stdout; out != "" {
		t.Fatalf("the daemon thread outlived the program: %q", out)
	}
}
