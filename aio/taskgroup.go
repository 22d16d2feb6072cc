package aio

import (
	"context"
	"errors"
	"sync"

	"github.com/concurgo/concur"
)

// TaskGroup runs functions in goroutines and waits for them all:
// Python's asyncio.TaskGroup. The first function to fail cancels the
// group's context, with its error as the cause, so the others can stop;
// Wait returns every failure, joined with errors.Join.
//
// As in Python, an error that is only the consequence of that
// cancellation — one matching context.Canceled or the cause — is not
// reported again. A panic in a function is a failure, reported as a
// *concur.PanicError; so is runtime.Goexit (concur.ErrGoexit).
//
// Functions may start more functions with Go while the group runs; Go
// after Wait has returned panics, as Python raises RuntimeError. A
// TaskGroup must be made with NewTaskGroup.
type TaskGroup struct {
	ctx    context.Context
	cancel context.CancelCauseFunc

	mu       sync.Mutex
	active   int
	errs     []error       // failures, in the order they happened
	idle     chan struct{} // made by a blocked Wait; closed when active reaches 0
	finished bool          // Wait has seen the group idle
}

// NewTaskGroup returns a group and its context, derived from ctx, which
// every function receives and which is cancelled when a function fails or
// Wait returns.
func NewTaskGroup(ctx context.Context) (*TaskGroup, context.Context) {
	ctx, cancel := context.WithCancelCause(ctx)
	return &TaskGroup{ctx: ctx, cancel: cancel}, ctx
}

// Go runs fn(ctx) in a new goroutine, ctx being the group's context:
// Python's TaskGroup.create_task. It panics if fn is nil or the group has
// finished.
func (g *TaskGroup) Go(fn func(ctx context.Context) error) {
	if fn == nil {
		panic("aio: TaskGroup.Go with a nil func")
	}
	g.add()
	go g.run(fn)
}

// add counts a call about to start.
func (g *TaskGroup) add() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.finished {
		panic("aio: TaskGroup.Go after Wait returned")
	}
	g.active++
}

// run calls fn in the calling goroutine and reports its outcome.
func (g *TaskGroup) run(fn func(ctx context.Context) error) {
	concur.Guard(func() error { return fn(g.ctx) }, g.done)
}

func (g *TaskGroup) done(err error) {
	g.mu.Lock()
	first := false
	if err != nil {
		if len(g.errs) == 0 {
			first = true
			g.errs = append(g.errs, err)
		} else if !errors.Is(err, context.Canceled) && !errors.Is(err, g.errs[0]) {
			g.errs = append(g.errs, err)
		}
	}
	g.active--
	if g.active == 0 && g.idle != nil {
		close(g.idle)
		g.idle = nil
	}
	g.mu.Unlock()
	if first {
		g.cancel(err)
	}
}

// Wait waits for every function, including those started while it waits,
// cancels the group's context and returns the failures: nil, the one
// error, or all of them joined in the order they happened.
func (g *TaskGroup) Wait() error {
	errs := g.wait()
	switch len(errs) {
	case 0:
		return nil
	case 1:
		return errs[0]
	default:
		return errors.Join(errs...)
	}
}

// wait waits for the group and returns its failures in order.
func (g *TaskGroup) wait() []error {
	g.mu.Lock()
	for g.active > 0 {
		if g.idle == nil {
			g.idle = make(chan struct{})
		}
		idle := g.idle
		g.mu.Unlock()
		<-idle
		g.mu.Lock()
	}
	g.finished = true
	errs := g.errs
	g.mu.Unlock()
	g.cancel(nil)
	return errs
}
