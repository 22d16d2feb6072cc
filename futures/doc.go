// Package futures is Python's concurrent.futures for Go: a Future that
// stands for the result of a call running elsewhere, Executors that run
// such calls, and Wait and AsCompleted over many futures.
//
//	pool := futures.NewThreadPoolExecutor(futures.WithMaxWorkers(4))
//	defer pool.Shutdown(context.Background())
//
//	f, err := futures.Submit(ctx, pool, func(ctx context.Context) (int, error) {
//		return fetch(ctx, url)
//	})
//	if err != nil {
//		return err // the pool was shut down
//	}
//	n, err := f.Result(ctx) // future.result(timeout=...): the timeout is ctx's deadline
//
// # Submitting typed calls
//
// Go has no generic methods, so an Executor is a small non-generic
// interface that runs type-erased Tasks, and the typed front ends are
// package-level generic functions: Submit(ctx, e, fn) returns a
// *Future[T], and Map(ctx, e, fn, inputs) yields results in input order.
// Any Executor — the ThreadPoolExecutor here, or a process-backed one —
// accepts the Tasks these functions make, as long as it can run them.
// Executor and Task document the contract for writing another executor or
// another front end.
//
// # Differences from Python
//
// Timeouts are context deadlines and are reported as
// context.DeadlineExceeded. The context given to Submit is also the
// call's context: when it is done before the call starts, the future is
// cancelled at once. A cancelled future is done, everywhere, at once: Wait
// and AsCompleted count it as done the moment Cancel returns (CPython's
// wait() does not, gh-92001). A panic or runtime.Goexit in a call fails
// its future with a *concur.PanicError or concur.ErrGoexit instead of
// killing the worker's caller, and the worker is replaced.
package futures
