package main

import (
	"fmt"
	"runtime"
	"testing"

	"github.com/concurgo/concur/examples/internal/exampletest"
)

func TestMain(m *testing.M) { exampletest.Main(m, main) }

func TestOutput(t *testing.T) {
	want := fmt.Sprintf("Доступное количество ядер: %d\n", runtime.NumCPU())
	if out := exampletest.Run(t).Stdout; out != want {
		t.Fatalf("output %q, want %q", out, want)
	}
}
