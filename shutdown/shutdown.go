// Package shutdown turns SIGINT and SIGTERM into a graceful shutdown: the
// Go form of a Python program that installs handlers with signal.signal
// to finish its work before it exits.
//
// The first signal cancels a context, so that the program stops taking new
// work and drains what it has. A second signal, or a grace period running
// out, is a hard stop: by default the program exits at once; with
// OnHardStop it runs a hook instead, typically the cancel function of the
// context its in-flight work runs under. After the hard stop the signals
// have their default effect again, so a third Ctrl-C ends even a program
// whose hook hangs.
//
//	ctx, stop := shutdown.Context(context.Background(), shutdown.Grace(10*time.Second))
//	defer stop()
//	serve(ctx) // returns once ctx is done and the work in hand is finished
//
// Which signal arrived is the context's cause: context.Cause(ctx) is a
// *SignalError naming it.
package shutdown

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"github.com/concurgo/concur"
)

// SignalError is the cause of a context that Context cancelled because a
// signal arrived, and the cause a hard stop reports for a second signal:
// the signum a Python handler receives. Like the cause
// os/signal.NotifyContext gives, it matches context.Canceled with
// errors.Is; unlike that one, it names the signal.
type SignalError struct {
	Signal os.Signal
}

func (e *SignalError) Error() string { return "shutdown: " + e.Signal.String() + " signal received" }

// Is reports whether target is context.Canceled, so that a cause checked
// against it reads like the context's Err.
func (e *SignalError) Is(target error) bool { return target == context.Canceled }

// ErrGraceExpired is the cause a hard stop reports when the grace period
// set with Grace ran out before the program stopped. Python has no such
// thing built in; a handler arms a timer by hand.
var ErrGraceExpired = errors.New("shutdown: grace period expired")

// An Option configures Context.
type Option func(*config)

type config struct {
	signals []os.Signal
	grace   time.Duration
	hard    func(cause error)
}

func newConfig(opts []Option) *config {
	c := &config{signals: []os.Signal{syscall.SIGINT, syscall.SIGTERM}}
	for _, o := range opts {
		o(c)
	}
	return c
}

// Signals sets the signals that start and force a shutdown, those a Python
// program passes to signal.signal; the default is SIGINT and SIGTERM.
// Giving none panics.
func Signals(sigs ...os.Signal) Option {
	if len(sigs) == 0 {
		panic("shutdown: Signals needs at least one signal")
	}
	return func(c *config) { c.signals = sigs }
}

// Grace makes the hard stop come d after the first signal if no second
// signal has come by then, as a Python handler's hand-made timer would.
// Without it (or with 0) only a second signal forces a stop. d < 0 panics.
func Grace(d time.Duration) Option {
	if d < 0 {
		panic(fmt.Sprintf("shutdown: negative Grace %v", d))
	}
	return func(c *config) { c.grace = d }
}

// OnHardStop runs f at the hard stop instead of exiting — the part of a
// Python handler that runs on the second Ctrl-C — with the cause: a
// *SignalError for a second signal, ErrGraceExpired when the grace period
// ran out. f runs at most once, on a goroutine of its own, and it must make
// the program stop soon — typically it cancels the context that in-flight
// work runs under, whose CancelCauseFunc has just this signature:
//
//	work, kill := context.WithCancelCause(context.Background())
//	ctx, stop := shutdown.Context(context.Background(), shutdown.Grace(time.Minute), shutdown.OnHardStop(kill))
//
// A nil f panics.
func OnHardStop(f func(cause error)) Option {
	if f == nil {
		panic("shutdown: OnHardStop(nil)")
	}
	return func(c *config) { c.hard = f }
}

// Context returns a copy of parent that is cancelled when the first of the
// signals (SIGINT and SIGTERM unless Signals says otherwise) arrives, with
// a *SignalError as its cause — os/signal.NotifyContext, plus a hard stop.
// It stands for Python's signal.signal(sig, handler): Go runs no code in a
// signal handler, so the program watches ctx.Done() instead of being
// interrupted, and it drains at its own safe points.
// A later signal, or the end of the Grace period, is the hard stop: the
// OnHardStop hook, or by default a line on stderr and os.Exit(128+N), N
// being the number of the signal that forced the stop (of the first
// signal, if the grace period ran out), as a shell reports a process a
// signal killed. From the hard stop on, the signals have their default
// effect again.
//
// The first signal counts as such even if parent is done already: the
// grace period then starts with it.
//
// stop cancels the context, lets the signals have their default effect
// again, and rules out any later hard stop: call it once the work is done,
// typically deferred. It may be called more than once.
func Context(parent context.Context, opts ...Option) (ctx context.Context, stop context.CancelFunc) {
	c := newConfig(opts)
	sigs := make(chan os.Signal, 2) // the first and the second: all that matter
	signal.Notify(sigs, c.signals...)
	return watch(parent, c, sigs, func() { signal.Stop(sigs) })
}

// watch serves Context; it takes the signal channel and the function that
// stops its delivery as parameters so that tests can drive it with fake
// signals inside a synctest bubble.
func watch(parent context.Context, c *config, sigs <-chan os.Signal, release func()) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancelCause(parent)
	w := &watcher{config: c, cancel: cancel, stopped: make(chan struct{})}
	w.release = sync.OnceFunc(release)
	go w.run(sigs)
	return ctx, w.stop
}

type watcher struct {
	*config
	cancel   context.CancelCauseFunc
	release  func()
	stopped  chan struct{}
	stopOnce sync.Once
}

func (w *watcher) stop() {
	w.stopOnce.Do(func() {
		close(w.stopped)
		w.release()
		w.cancel(nil)
	})
}

func (w *watcher) run(sigs <-chan os.Signal) {
	var first os.Signal
	var graceUp <-chan time.Time
	for {
		select {
		case <-w.stopped:
			return
		case sig := <-sigs:
			if w.isStopped() {
				return
			}
			if first != nil {
				w.hardStop(&SignalError{Signal: sig}, sig)
				return
			}
			first = sig
			w.cancel(&SignalError{Signal: sig})
			if w.grace > 0 {
				t := time.NewTimer(w.grace)
				defer t.Stop()
				graceUp = t.C
			}
		case <-graceUp:
			if w.isStopped() {
				return
			}
			w.hardStop(ErrGraceExpired, first)
			return
		}
	}
}

// isStopped reports whether stop has been called, which takes precedence
// over a signal or timer that became ready at the same time.
func (w *watcher) isStopped() bool {
	select {
	case <-w.stopped:
		return true
	default:
		return false
	}
}

// hardStop gives the signals back their default effect and then runs the
// hook, or exits with the status a shell gives a process killed by sig. A
// hook that panics is reported and the exit happens after all: the program
// asked to stop, and nobody else would hear of the panic.
func (w *watcher) hardStop(cause error, sig os.Signal) {
	w.release()
	if w.hard != nil {
		err := concur.Catch(func() error { w.hard(cause); return nil })
		var pe *concur.PanicError
		if !errors.As(err, &pe) {
			return
		}
		fmt.Fprintf(os.Stderr, "shutdown: OnHardStop hook: %v\n%s", pe, pe.Stack)
	}
	fmt.Fprintf(os.Stderr, "%v; exiting\n", cause) // both causes start "shutdown: "
	code := 1
	if s, ok := sig.(syscall.Signal); ok {
		code = 128 + int(s)
	}
	os.Exit(code)
}
