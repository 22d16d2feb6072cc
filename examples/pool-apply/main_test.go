package main

import (
	"testing"

	"github.com/concurgo/concur/examples/internal/exampletest"
)

func TestMain(m *testing.M) { exampletest.Main(m, main) }

func TestOutput(t *testing.T) {
	if out := exampletest.Run(t).Stdout; out != "333333833333500000\n" {
		t.Fatalf("output %q", out)
	}
}
