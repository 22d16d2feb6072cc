package main

import (
	"strings"
	"testing"

	"github.com/concurgo/concur/process"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	process.Main()
	goleak.VerifyTestMain(m)
}

func TestRun(t *testing.T) {
	var out strings.Builder
	if err := run(&out); err != nil {
		t.Fatal(err)
	}
	want := "map[0.25:0 1:1 2:2]\n[9 8 7 6 5 4 3 2 1 0]\n[0 1 4 9]\n"
	if got := out.String(); got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
}
