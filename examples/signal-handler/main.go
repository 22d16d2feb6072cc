// Command signal-handler is the Go twin of "4. Сигналы (signals)" in
// "Обмен данными между процессами", shared/seeds/004_185cbd479786a44e.txt:
// a program that installs a handler for SIGINT and SIGTERM and, when one
// arrives, finishes what it is doing instead of dying mid-job. The seed
// describes it without code; in Python it would read
//
//	import signal, time
//
//	stopping = False
//	def handler(signum, frame):
//	    global stopping
//	    print(f"received {signal.Signals(signum).name}: cleaning up")
//	    stopping = True
//
//	signal.signal(signal.SIGINT, handler)
//	signal.signal(signal.SIGTERM, handler)
//	while not stopping:
//	    do_job()
//	clean_up()
//
// In Go the handler is shutdown.Context: the first signal cancels the
// context (the stopping flag), and its cause names the signal. What Python
// leaves to the handler's author comes built in: a second Ctrl-C during
// the clean-up, or the clean-up outlasting its grace period, exits at once.
//
// Try it: go run ./examples/signal-handler, then press Ctrl-C (twice to
// skip the clean-up), or run kill <pid> from another terminal.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/concurgo/concur/shutdown"
)

// Short job and clean-up times keep the example quick; a real program's
// would be whatever its work takes.
const (
	jobTime     = 100 * time.Millisecond
	cleanUpTime = time.Second
	grace       = 5 * time.Second
)

func main() {
	if err := run(context.Background(), os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func run(ctx context.Context, out io.Writer) error {
	ctx, stop := shutdown.Context(ctx, shutdown.Grace(grace))
	defer stop()
	fmt.Fprintf(out, "pid %d working; press Ctrl-C or run kill %[1]d\n", os.Getpid())

	for ctx.Err() == nil {
		doJob() // a job, once started, runs to its end
	}

	var se *shutdown.SignalError
	if !errors.As(context.Cause(ctx), &se) {
		return context.Cause(ctx)
	}
	fmt.Fprintf(out, "received %v: cleaning up\n", se.Signal)
	time.Sleep(cleanUpTime) // flush, close, say goodbye: a second signal cuts it short
	fmt.Fprintln(out, "clean exit")
	return nil
}

func doJob() { time.Sleep(jobTime) }
