package aio

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// WaitFor calls fn with a context that ends after timeout and returns
// what fn returns: Python's asyncio.wait_for. fn runs in the caller's
// goroutine and must return when its context ends, as an awaited
// coroutine must let CancelledError through; WaitFor never abandons a
// running call.
//
// If the timeout expires and fn returns an error, the error matches
// context.DeadlineExceeded even if fn reported the cancellation in a way
// of its own, as Python turns the inner CancelledError into TimeoutError.
// A result fn returns despite the timeout is kept, as in Python.
//
// In Go this is context.WithTimeout and a call; WaitFor exists so that
// Python code ports line for line.
func WaitFor[T any](ctx context.Context, timeout time.Duration, fn func(context.Context) (T, error)) (T, error) {
	tctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	v, err := fn(tctx)
	if err != nil && ctx.Err() == nil && tctx.Err() == context.DeadlineExceeded && !errors.Is(err, context.DeadlineExceeded) {
		err = fmt.Errorf("%w: %w", context.DeadlineExceeded, err)
	}
	return v, err
}

// Timeout runs fn with a context that ends after d and returns fn's error:
// Python's "async with asyncio.timeout(d):" block. The error rules are
// WaitFor's.
func Timeout(ctx context.Context, d time.Duration, fn func(context.Context) error) error {
	_, err := WaitFor(ctx, d, func(ctx context.Context) (struct{}, error) { return struct{}{}, fn(ctx) })
	return err
}

// Sleep pauses the calling goroutine for d, or until ctx ends, and
// returns nil or ctx.Err(): Python's asyncio.sleep, which a task
// cancellation interrupts. A context that has already ended returns its
// error at once.
func Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
