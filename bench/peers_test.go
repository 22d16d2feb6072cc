package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/concurgo/concur/process"
)

func TestMain(m *testing.M) {
	process.Main()
	m.Run()
}

// The peers run their workloads for a moment, without error, and appear
// in the table.
func TestPeers(t *testing.T) {
	var stdout, stderr bytes.Buffer
	args := []string{"-run", "^(thread-executor|io-fanout-aio)$", "-python", "", "-reps", "1", "-target", "1ms", "-format", "text"}
	if err := run(context.Background(), args, &stdout, &stderr); err != nil {
		t.Fatalf("%v\n%s", err, stderr.String())
	}
	out := stdout.String()
	for _, want := range []string{"ants ", "pond ", "conc ", "errgroup "} {
		if !strings.Contains(out, want) {
			t.Errorf("no %q in:\n%s", want, out)
		}
	}
	if strings.Contains(out, "failed") {
		t.Errorf("a peer failed:\n%s", out)
	}
}
