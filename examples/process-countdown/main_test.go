package main

import (
	"regexp"
	"testing"

	"github.com/concurgo/concur/examples/internal/exampletest"
)

func TestMain(m *testing.M) { exampletest.Main(m, main) }

// Timings vary; the test checks the shape of the report, not the speed-up.
func TestOutput(t *testing.T) {
	want := regexp.MustCompile(`^Без мультипроцессинга: выполнение заняло  \d+\.\d\d секунд\.
С мультипроцессингом: выполнение заняло  \d+\.\d\d секунд\.
$`)
	if out := exampletest.Run(t).Stdout; !want.MatchString(out) {
		t.Fatalf("output:\n%s", out)
	}
}
