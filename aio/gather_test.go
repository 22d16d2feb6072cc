package aio

import (
	"context"
	"errors"
	"io"
	"runtime"
	"slices"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/concurgo/concur"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var bg = context.Background()

// after returns a call that sleeps d (honouring ctx) and returns v.
func after[T any](d time.Duration, v T) func(context.Context) (T, error) {
	return func(ctx context.Context) (T, error) {
		if err := Sleep(ctx, d); err != nil {
			var zero T
			return zero, err
		}
		return v, nil
	}
}

func failAfter[T any](d time.Duration, err error) func(context.Context) (T, error) {
	return func(ctx context.Context) (T, error) {
		var zero T
		if e := Sleep(ctx, d); e != nil {
			return zero, e
		}
		return zero, err
	}
}

// The seed's gather of three tasks: results in argument order, all
// running at once.
func TestGather(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		got, err := Gather(bg, after(3*time.Second, "a"), after(time.Second, "b"), after(2*time.Second, "c"))
		if err != nil || !slices.Equal(got, []string{"a", "b", "c"}) {
			t.Fatalf("Gather = %v, %v", got, err)
		}
		if d := time.Since(start); d != 3*time.Second {
			t.Fatalf("Gather took %v, want 3s: the calls did not run at once", d)
		}
	})
}

func TestGatherNothing(t *testing.T) {
	got, err := Gather[int](bg)
	if err != nil || len(got) != 0 {
		t.Fatalf("Gather() = %v, %v", got, err)
	}
}

// The first failure cancels the others, with itself as the cause, and is
// returned once every call has returned.
func TestGatherFirstErrorCancels(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var cause error
		var stubbornDone atomic.Bool
		start := time.Now()
		_, err := Gather(bg,
			failAfter[int](time.Second, io.ErrUnexpectedEOF),
			func(ctx context.Context) (int, error) {
				<-ctx.Done()
				cause = context.Cause(ctx)
				return 0, ctx.Err()
			},
			func(context.Context) (int, error) { // ignores ctx
				time.Sleep(5 * time.Second)
				stubbornDone.Store(true)
				return 1, nil
			},
			failAfter[int](2*time.Second, io.EOF), // cancelled before it fails
		)
		if err != io.ErrUnexpectedEOF {
			t.Fatalf("Gather err = %v, want the first failure", err)
		}
		if cause != io.ErrUnexpectedEOF {
			t.Fatalf("siblings saw cause %v", cause)
		}
		if !stubbornDone.Load() || time.Since(start) != 5*time.Second {
			t.Fatal("Gather returned before every call had returned")
		}
	})
}

func TestGatherPanic(t *testing.T) {
	_, err := Gather(bg, func(context.Context) (int, error) { panic("boom") })
	var pe *concur.PanicError
	if !errors.As(err, &pe) || pe.Value != "boom" {
		t.Fatalf("Gather err = %v, want *concur.PanicError", err)
	}
}

// runtime.Goexit in a call (t.FailNow from it, say) is that call's error,
// in every form.
func TestGoexitInCalls(t *testing.T) {
	exit := func(context.Context) (int, error) { runtime.Goexit(); return 0, nil }
	if _, err := Gather(bg, exit, after(0, 1)); !errors.Is(err, concur.ErrGoexit) {
		t.Fatalf("Gather: %v", err)
	}
	if _, errs := GatherAll(bg, after(0, 1), exit); errs[0] != nil || !errors.Is(errs[1], concur.ErrGoexit) {
		t.Fatalf("GatherAll: %v", errs)
	}
	for _, err := range AsCompleted(bg, exit) {
		if !errors.Is(err, concur.ErrGoexit) {
			t.Fatalf("AsCompleted: %v", err)
		}
	}
}

func TestGatherNilFuncPanicsBeforeStarting(t *testing.T) {
	var started atomic.Bool
	defer func() {
		if recover() == nil {
			t.Fatal("Gather with a nil func did not panic")
		}
		if started.Load() {
			t.Fatal("a call started before the panic")
		}
	}()
	Gather(bg, func(context.Context) (int, error) { started.Store(true); return 0, nil }, nil)
}

// return_exceptions=True: every outcome in its slot, nothing cancelled.
func TestGatherAll(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var sawCancel atomic.Bool
		results, errs := GatherAll(bg,
			after(time.Second, 1),
			failAfter[int](0, io.EOF),
			func(ctx context.Context) (int, error) {
				err := Sleep(ctx, 2*time.Second)
				sawCancel.Store(err != nil)
				return 3, err
			},
			func(context.Context) (int, error) { panic(io.ErrClosedPipe) },
		)
		if !slices.Equal(results, []int{1, 0, 3, 0}) {
			t.Fatalf("results %v", results)
		}
		if errs[0] != nil || errs[1] != io.EOF || errs[2] != nil || !errors.Is(errs[3], io.ErrClosedPipe) {
			t.Fatalf("errs %v", errs)
		}
		if sawCancel.Load() {
			t.Fatal("a failure cancelled a sibling in GatherAll")
		}
	})
}
