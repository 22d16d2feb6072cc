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
	if got, want := out.String(), "Value in main process: 123\n"; got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
}
