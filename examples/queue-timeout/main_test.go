package main

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/concurgo/concur/examples/internal/exampletest"
	"github.com/concurgo/concur/queue"
)

func TestMain(m *testing.M) { exampletest.Main(m, main) }

func TestRun(t *testing.T) {
	var out strings.Builder
	err := run(&out)
	if !errors.Is(err, queue.ErrEmpty) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("run ended with %v, want queue.ErrEmpty and context.DeadlineExceeded", err)
	}
	want := "(2, 'вторая задача')\n(1, 'первая задача')\n(3, 'третья задача')\n"
	if out.String() != want {
		t.Fatalf("output %q, want %q", out.String(), want)
	}
}
