package main

import (
	"strings"
	"testing"

	"github.com/concurgo/concur/examples/internal/exampletest"
)

func TestMain(m *testing.M) { exampletest.Main(m, main) }

func TestLoopEndsWithProgram(t *testing.T) {
	out := exampletest.Run(t).Stdout // returns, so the endless loop ended with main
	lines := strings.Split(out, "\n")
	if len(lines) < 2 {
		t.Fatalf("the daemon printed nothing: %q", out)
	}
	for _, line := range lines[:len(lines)-2] { // the last may be cut short
		if line != "Фоновая задача завершилась через 3 секунды работы" {
			t.Fatalf("line %q", line)
		}
	}
}
