package aio

import (
	"context"
	"fmt"
	"iter"

	"github.com/concurgo/concur"
)

// AsCompleted runs every fn concurrently when the range begins and yields
// their outcomes in the order they complete: Python's asyncio.as_completed.
// A panic is yielded as a *concur.PanicError. A failure cancels nothing.
//
// If ctx ends before every fn has returned, AsCompleted yields one last
// zero value with an error that says how many calls are unfinished and
// matches ctx.Err() (context.DeadlineExceeded for a timeout). When the
// range ends — after the last call, at ctx's end, or because the loop
// stopped early — the calls still running see their context cancelled,
// and AsCompleted waits for them to return, so none outlives it.
func AsCompleted[T any](ctx context.Context, fns ...func(context.Context) (T, error)) iter.Seq2[T, error] {
	mustFuncs("AsCompleted", fns)
	return func(yield func(T, error) bool) {
		type outcome struct {
			v   T
			err error
		}
		callCtx, cancel := context.WithCancel(ctx)
		outcomes := make(chan outcome, len(fns))
		for _, fn := range fns {
			go func() {
				var o outcome
				concur.Guard(func() error {
					o.v, o.err = fn(callCtx)
					return o.err
				}, func(err error) {
					o.err = err
					outcomes <- o
				})
			}()
		}
		pending := len(fns)
		defer func() {
			cancel()
			for ; pending > 0; pending-- {
				<-outcomes
			}
		}()
		for pending > 0 {
			select {
			case o := <-outcomes:
				pending--
				if !yield(o.v, o.err) {
					return
				}
			case <-ctx.Done():
				// Not polling for outcomes that raced with ctx: the calls
				// see ctx end too, and their errors would race with this.
				var zero T
				yield(zero, fmt.Errorf("aio: %d (of %d) calls unfinished: %w", pending, len(fns), ctx.Err()))
				return
			}
		}
	}
}
