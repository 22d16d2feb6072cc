// Command concur is the concur toolkit's command line:
//
//	concur serve    the HTTP job service: run registered functions in a
//	                goroutine or a worker process, or allow-listed commands,
//	                on request, with durable jobs on embedded NATS JetStream
//	concur worker   take jobs from a server's JetStream on another machine
//	concur submit   submit a job and watch it to the end
//	concur bench    measure concur against Go baselines and Python on this machine
//	concur version  print the version
//
// `concur <command> -h` lists a command's flags. The demo functions
// (countdown, sleep, square, echo) are built in; to serve your own
// functions, build your own binary: see the server package's example.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/concurgo/concur/process"
	"github.com/concurgo/concur/shutdown"

	_ "github.com/concurgo/concur/server/demo"
)

// command is a subcommand. A new one is a file of its own whose init
// appends to commands.
type command struct {
	name, summary string
	run           func(ctx context.Context, args []string, stdout, stderr io.Writer) error
}

var commands = []command{
	{"serve", "run the HTTP job service", serve},
	{"worker", "take jobs from a server's JetStream", worker},
	{"submit", "submit a job and watch it to the end", submit},
	{"version", "print the version", func(_ context.Context, _ []string, stdout, _ io.Writer) error {
		fmt.Fprintln(stdout, "concur (development)")
		return nil
	}},
}

// errUsage reports a command line the command could not use; its message
// has been printed.
var errUsage = errors.New("usage")

// exitError ends the program with a chosen status and no message.
type exitError int

func (e exitError) Error() string { return fmt.Sprintf("exit status %d", int(e)) }

func main() {
	process.Main() // first: in a process-mode worker child, this runs the job and exits
	ctx, stop := shutdown.Context(context.Background())
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	var code exitError
	switch {
	case err == nil:
	case errors.As(err, &code):
		os.Exit(int(code))
	case errors.Is(err, errUsage), errors.Is(err, flag.ErrHelp):
		os.Exit(2)
	default:
		fmt.Fprintln(os.Stderr, "concur:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 {
		i := slices.IndexFunc(commands, func(c command) bool { return c.name == args[0] })
		if i >= 0 {
			return commands[i].run(ctx, args[1:], stdout, stderr)
		}
		if a := args[0]; a != "-h" && a != "-help" && a != "--help" && a != "help" {
			fmt.Fprintf(stderr, "concur: unknown command %q\n\n", a)
		}
	}
	usage(stderr)
	return errUsage
}

func usage(w io.Writer) {
	var b strings.Builder
	b.WriteString("usage: concur <command> [flags]\n\ncommands:\n")
	cmds := slices.Clone(commands)
	slices.SortFunc(cmds, func(a, b command) int { return strings.Compare(a.name, b.name) })
	for _, c := range cmds {
		fmt.Fprintf(&b, "  %-8s %s\n", c.name, c.summary)
	}
	b.WriteString("\n'concur <command> -h' lists a command's flags.\n")
	io.WriteString(w, b.String())
}
