package main

import (
	"bytes"
	"context"
	"slices"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// Under synctest the delay is exact and instant: all three coroutines
// start, then all three finish, 200 ms later, in one go.
func TestOutput(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var out bytes.Buffer
		start := time.Now()
		if err := run(context.Background(), &out); err != nil {
			t.Fatal(err)
		}
		if d := time.Since(start); d != delay {
			t.Fatalf("gather took %v, want %v: the coroutines did not run concurrently", d, delay)
		}
		lines := strings.Split(strings.TrimSpace(out.String()), "\n")
		if len(lines) != 6 {
			t.Fatalf("output:\n%s", out.String())
		}
		starts, finishes := slices.Sorted(slices.Values(lines[:3])), slices.Sorted(slices.Values(lines[3:]))
		if !slices.Equal(starts, []string{"Coroutine 0: Starting", "Coroutine 1: Starting", "Coroutine 2: Starting"}) ||
			!slices.Equal(finishes, []string{"Coroutine 0: Finishing", "Coroutine 1: Finishing", "Coroutine 2: Finishing"}) {
			t.Fatalf("output:\n%s", out.String())
		}
	})
}
