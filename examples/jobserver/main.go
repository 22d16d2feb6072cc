// Command jobserver is a concur job server serving a function of its own:
// the seeds' idea of running a function "on the web, in a separate thread or
// process" (seed 003_c3bae16890c099e5.txt links the note «Запускаем функцию
// в вебе в отдельном потоке или процессе»), as a binary of yours rather than
// cmd/concur. It takes the same flags, environment and config file as
// `concur serve`, and with -listen "" and -nats URL it is a worker.
//
//	go run ./examples/jobserver
//	curl -H 'Content-Type: application/json' \
//	     -d '{"function": "primes", "args": {"below": 1000000}, "mode": "process"}' \
//	     http://127.0.0.1:8000/jobs
package main

import (
	"context"
	"log"
	"log/slog"
	"os"

	"github.com/concurgo/concur/process"
	"github.com/concurgo/concur/server"
	"github.com/concurgo/concur/shutdown"
)

// Register at package level: a process-mode job runs in this binary
// re-executed, which must know the function before main runs.
func init() {
	server.Register("primes", Primes)
}

// PrimesArgs are the arguments of primes.
type PrimesArgs struct {
	Below int `json:"below"`
}

// Primes counts the primes below a.Below with a sieve: CPU-bound work, the
// kind that process mode isolates and can kill.
func Primes(ctx context.Context, a PrimesArgs) (int, error) {
	composite := make([]bool, max(a.Below, 2))
	count := 0
	for i := 2; i < a.Below; i++ {
		if i%4096 == 0 && ctx.Err() != nil {
			return 0, context.Cause(ctx)
		}
		if composite[i] {
			continue
		}
		count++
		for j := i * i; j < a.Below; j += i {
			composite[j] = true
		}
	}
	return count, nil
}

func main() {
	process.Main() // first: a process-mode child runs its job here and exits
	ctx, stop := shutdown.Context(context.Background())
	defer stop()
	if err := run(ctx, os.Args[1:], slog.Default()); err != nil {
		log.Fatal(err)
	}
}

// run serves until ctx is done.
func run(ctx context.Context, args []string, logger *slog.Logger) error {
	cfg, _, err := server.LoadConfig("jobserver", server.DefaultConfig(), args, os.Getenv)
	if err != nil {
		return err
	}
	cfg.Logger = logger
	srv, err := server.New(cfg)
	if err != nil {
		return err
	}
	return srv.Run(ctx)
}
