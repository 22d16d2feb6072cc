package shutdown_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"syscall"
	"time"

	"github.com/concurgo/concur/shutdown"
)

// Python: signal.signal(signal.SIGTERM, handler), where the handler sets a
// flag the main loop checks. Here the context is the flag, and its cause
// names the signal.
func ExampleContext() {
	ctx, stop := shutdown.Context(context.Background(), shutdown.Grace(10*time.Second))
	defer stop()

	syscall.Kill(os.Getpid(), syscall.SIGTERM) // as `kill <pid>` would

	<-ctx.Done() // a server stops accepting work here and drains
	var se *shutdown.SignalError
	if errors.As(context.Cause(ctx), &se) {
		fmt.Println("draining after", se.Signal)
	}
	// Output: draining after terminated
}

// The hard stop cancels the context that in-flight work runs under,
// instead of exiting: the program decides how to stop it.
func ExampleOnHardStop() {
	work, kill := context.WithCancelCause(context.Background())
	defer kill(nil)
	ctx, stop := shutdown.Context(context.Background(), shutdown.OnHardStop(kill))
	defer stop()

	syscall.Kill(os.Getpid(), syscall.SIGINT) // Ctrl-C
	<-ctx.Done()
	fmt.Println("draining:", context.Cause(ctx))

	syscall.Kill(os.Getpid(), syscall.SIGINT) // Ctrl-C again: stop now
	<-work.Done()
	fmt.Println("work stopped:", context.Cause(work))
	// Output:
	// draining: shutdown: interrupt signal received
	// work stopped: shutdown: interrupt signal received
}
