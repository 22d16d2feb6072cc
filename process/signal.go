package process

import (
	"context"
	"os"
	"os/signal"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// WithGracePeriod lets the child clean up when it is asked to stop. With
// it, SIGTERM (Terminate) or SIGINT (Ctrl-C in a terminal reaches the
// whole process group) no longer ends the child at once: the context its
// function received is cancelled, with a *SignalError as its cause, and
// the function has d to return. If it does, its result or error is
// reported as usual and the child exits normally; if it does not, or a
// second signal arrives, the child dies of the signal (ExitCode -15 or
// -2). Kill is never delayed. Start returns only once the handler is in
// place, so a Terminate at any time after Start is graceful.
//
// Without this option the signals keep their default action, as in a
// Python child that installed no handler. A function can still handle
// them itself with os/signal (signal.NotifyContext) — Python's
// signal.signal. It panics if d is negative.
func WithGracePeriod(d time.Duration) Option {
	if d < 0 {
		panic("process: WithGracePeriod with a negative duration")
	}
	return func(c *config) { c.grace = d }
}

// SignalError is the cause of a child function's context when the child
// received a stop signal under WithGracePeriod:
//
//	<-ctx.Done()
//	var sig *process.SignalError
//	if errors.As(context.Cause(ctx), &sig) { ... clean up ... }
type SignalError struct {
	Signal syscall.Signal
}

func (e *SignalError) Error() string { return "process: received " + signalName(e.Signal) }

// signalName returns the conventional name of sig, such as "SIGTERM".
func signalName(sig syscall.Signal) string {
	if name := unix.SignalName(sig); name != "" {
		return name
	}
	return sig.String()
}

// stopOnSignals is the child's side of WithGracePeriod: it returns a
// context for the child's functions that SIGTERM or SIGINT cancels, and
// ends the process by that signal once grace has passed.
func stopOnSignals(grace time.Duration) context.Context {
	ctx, cancel := context.WithCancelCause(context.Background())
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT)
	go func() {
		sig := (<-sigs).(syscall.Signal)
		cancel(&SignalError{Signal: sig})
		timer := time.NewTimer(grace)
		select {
		case <-timer.C:
		case s := <-sigs:
			sig = s.(syscall.Signal)
		}
		dieOf(sig)
	}()
	return ctx
}

// dieOf ends the process by sig, so that its parent sees it killed by the
// signal, as it would have been without the grace period.
func dieOf(sig syscall.Signal) {
	signal.Reset(sig)
	syscall.Kill(os.Getpid(), sig)
	// The default action of SIGTERM and SIGINT ends the process before
	// this point is reached; should the signal be blocked, exit with the
	// status a shell reports for it.
	time.Sleep(time.Second)
	os.Exit(128 + int(sig))
}
