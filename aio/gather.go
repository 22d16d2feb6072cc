package aio

import (
	"context"
	"sync"

	"github.com/concurgo/concur"
)

// Gather runs every fn concurrently, each in its own goroutine, and
// returns their results in the order of fns: Python's asyncio.gather. The
// first failure cancels the context the others were given and is returned
// (with nil results) once every fn has returned — unlike Python, whose
// gather leaves the other awaitables running. A panic is a failure, as a
// *concur.PanicError. Use GatherAll to collect every outcome instead
// (return_exceptions=True).
func Gather[T any](ctx context.Context, fns ...func(context.Context) (T, error)) ([]T, error) {
	mustFuncs("Gather", fns)
	g, _ := NewTaskGroup(ctx)
	results := make([]T, len(fns))
	for i, fn := range fns {
		g.add()
		go gatherOne(g, fn, &results[i])
	}
	if errs := g.wait(); len(errs) > 0 {
		return nil, errs[0]
	}
	return results, nil
}

// gatherOne is one of Gather's calls: TaskGroup.run with a result.
func gatherOne[T any](g *TaskGroup, fn func(context.Context) (T, error), result *T) {
	concur.Guard(func() (err error) {
		*result, err = fn(g.ctx)
		return err
	}, g.done)
}

// GatherAll runs every fn concurrently and returns every outcome, in the
// order of fns: results[i] and errs[i] are what fns[i] returned (a panic
// as a *concur.PanicError). A failure cancels nothing. Python's
// asyncio.gather(..., return_exceptions=True); errors.Join(errs...) is the
// one error for all of them.
func GatherAll[T any](ctx context.Context, fns ...func(context.Context) (T, error)) (results []T, errs []error) {
	mustFuncs("GatherAll", fns)
	results, errs = make([]T, len(fns)), make([]error, len(fns))
	var wg sync.WaitGroup
	wg.Add(len(fns))
	for i, fn := range fns {
		go settle(ctx, fn, &results[i], &errs[i], &wg)
	}
	wg.Wait()
	return results, errs
}

// settle is one of GatherAll's calls.
func settle[T any](ctx context.Context, fn func(context.Context) (T, error), result *T, err *error, wg *sync.WaitGroup) {
	defer wg.Done()
	concur.Guard(func() (e error) {
		*result, e = fn(ctx)
		return e
	}, func(e error) { *err = e })
}

// mustFuncs panics if a func is nil, before any goroutine starts.
func mustFuncs[F any](caller string, fns []func(context.Context) (F, error)) {
	for _, fn := range fns {
		if fn == nil {
			panic("aio: " + caller + " with a nil func")
		}
	}
}
