package aio

import (
	"context"
	"errors"
	"io"
	"slices"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/concurgo/concur"
)

func TestAsCompletedOrder(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var got []string
		for v, err := range AsCompleted(bg, after(3*time.Second, "slow"), failAfter[string](time.Second, io.EOF), after(2*time.Second, "medium")) {
			if err != nil {
				v = err.Error()
			}
			got = append(got, v)
		}
		if want := []string{"EOF", "medium", "slow"}; !slices.Equal(got, want) {
			t.Fatalf("AsCompleted order %v, want %v", got, want)
		}
	})
}

// When ctx ends, one error says how many calls are unfinished; the calls
// still running see their context end and are waited for.
func TestAsCompletedTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithTimeout(bg, 2*time.Second)
		defer cancel()
		var stopped atomic.Int32
		slow := func(ctx context.Context) (int, error) {
			err := Sleep(ctx, time.Hour)
			stopped.Add(1)
			return 0, err
		}
		var got []int
		var last error
		for v, err := range AsCompleted(ctx, after(time.Second, 1), slow, slow) {
			if err != nil {
				last = err
				continue
			}
			got = append(got, v)
		}
		if !slices.Equal(got, []int{1}) {
			t.Fatalf("yielded %v", got)
		}
		if !errors.Is(last, context.DeadlineExceeded) || last.Error() != "aio: 2 (of 3) calls unfinished: context deadline exceeded" {
			t.Fatalf("last error %q", last)
		}
		if stopped.Load() != 2 {
			t.Fatalf("AsCompleted returned with %d calls still running", 2-stopped.Load())
		}
	})
}

// Stopping the range early cancels the calls still running and waits for
// them: the first response wins.
func TestAsCompletedStopEarly(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var cancelled atomic.Int32
		slow := func(ctx context.Context) (string, error) {
			<-ctx.Done()
			cancelled.Add(1)
			return "", ctx.Err()
		}
		for v := range AsCompleted(bg, slow, after(time.Second, "fast"), slow) {
			if v != "fast" {
				t.Fatalf("first = %q", v)
			}
			break
		}
		if cancelled.Load() != 2 {
			t.Fatalf("%d of 2 slow calls cancelled when the range stopped", cancelled.Load())
		}
	})
}

func TestAsCompletedPanic(t *testing.T) {
	for _, err := range AsCompleted(bg, func(context.Context) (int, error) { panic("boom") }) {
		var pe *concur.PanicError
		if !errors.As(err, &pe) {
			t.Fatalf("err = %v, want *concur.PanicError", err)
		}
	}
}

func TestAsCompletedNothing(t *testing.T) {
	for range AsCompleted[int](bg) {
		t.Fatal("yielded from no calls")
	}
}
