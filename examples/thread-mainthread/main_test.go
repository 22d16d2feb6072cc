package main

import (
	"regexp"
	"testing"

	"github.com/concurgo/concur/examples/internal/exampletest"
)

func TestMain(m *testing.M) { exampletest.Main(m, main) }

func TestOutput(t *testing.T) {
	out := exampletest.Run(t).Stdout
	want := regexp.MustCompile(`^Это главный поток
Главный потока: MainThread \(daemon=false, id=(\d+)\)
Текущий потока: MainThread \(daemon=false, id=(\d+)\)
Это главный поток
$`)
	m := want.FindStringSubmatch(out)
	if m == nil || m[1] != m[2] {
		t.Fatalf("output:\n%s", out)
	}
}
