package aio

import (
	"context"
	"errors"
	"io"
	"testing"
	"testing/synctest"
	"time"
)

func TestWaitFor(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		if v, err := WaitFor(bg, 2*time.Second, after(time.Second, 7)); v != 7 || err != nil {
			t.Fatalf("WaitFor = %v, %v", v, err)
		}
		start := time.Now()
		if _, err := WaitFor(bg, time.Second, after(time.Hour, 7)); err != context.DeadlineExceeded {
			t.Fatalf("WaitFor past its timeout = %v", err)
		}
		if time.Since(start) != time.Second {
			t.Fatalf("timed out after %v", time.Since(start))
		}
	})
}

// A call that reports its cancellation its own way still times out with
// an error matching context.DeadlineExceeded (Python: TimeoutError).
func TestWaitForWrapsOwnError(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		_, err := WaitFor(bg, time.Second, func(ctx context.Context) (int, error) {
			<-ctx.Done()
			return 0, io.ErrClosedPipe
		})
		if !errors.Is(err, context.DeadlineExceeded) || !errors.Is(err, io.ErrClosedPipe) {
			t.Fatalf("err = %v, want DeadlineExceeded wrapping the call's error", err)
		}
	})
}

// A result returned despite the timeout is kept; the parent's own
// cancellation is not a timeout.
func TestWaitForResultDespiteTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		v, err := WaitFor(bg, time.Second, func(ctx context.Context) (int, error) {
			<-ctx.Done()
			return 42, nil
		})
		if v != 42 || err != nil {
			t.Fatalf("WaitFor = %v, %v", v, err)
		}
		parent, cancel := context.WithCancel(bg)
		go func() {
			time.Sleep(time.Millisecond)
			cancel()
		}()
		if _, err := WaitFor(parent, time.Hour, after(2*time.Hour, 0)); err != context.Canceled {
			t.Fatalf("parent cancelled: err = %v", err)
		}
	})
}

func TestTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		err := Timeout(bg, time.Second, func(ctx context.Context) error { return Sleep(ctx, time.Minute) })
		if err != context.DeadlineExceeded {
			t.Fatalf("Timeout = %v", err)
		}
		if err := Timeout(bg, time.Minute, func(ctx context.Context) error { return Sleep(ctx, time.Second) }); err != nil {
			t.Fatalf("Timeout within time = %v", err)
		}
	})
}

func TestSleep(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		if err := Sleep(bg, 3*time.Second); err != nil || time.Since(start) != 3*time.Second {
			t.Fatalf("Sleep(3s) = %v after %v", err, time.Since(start))
		}
		ctx, cancel := context.WithTimeout(bg, time.Second)
		defer cancel()
		start = time.Now()
		if err := Sleep(ctx, time.Hour); err != context.DeadlineExceeded || time.Since(start) != time.Second {
			t.Fatalf("Sleep cut by a 1s deadline = %v after %v", err, time.Since(start))
		}
		if err := Sleep(ctx, 0); err != context.DeadlineExceeded {
			t.Fatalf("Sleep with an ended ctx = %v", err)
		}
		if err := Sleep(bg, -time.Second); err != nil {
			t.Fatalf("Sleep(-1s) = %v", err)
		}
	})
}
