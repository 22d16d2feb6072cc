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
	want := `child holds the lock mid-transfer: [70 0]
child killed
the previous holder died; repairing from the journal
books: [70 30]
`
	if out.String() != want {
		t.Fatalf("got:\n%s\nwant:\n%s", out.String(), want)
	}
}
