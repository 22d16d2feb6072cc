// Command bench runs concur's full benchmark suite with the Go peers —
// ants, pond, conc and errgroup — as extra columns, and prints the table:
// workload, concur, baseline, ratio, Python, ratio, best Go peer, ratio,
// and the bar each ratio was promised to meet. From the repository root:
//
//	cd bench && go run . -format markdown -o ../docs/bench-latest.md
//
// It is a module of its own so that the peers' dependencies stay out of
// concur's go.mod. `concur bench` runs a quick version without them.
// docs/bench.md explains the method.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"regexp"
	"time"

	"github.com/concurgo/concur/internal/benchsuite"
	"github.com/concurgo/concur/process"
	"github.com/concurgo/concur/shutdown"
)

func main() {
	process.Main() // first: the process workloads' children run here
	ctx, stop := shutdown.Context(context.Background())
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "bench:", err)
		}
		os.Exit(2)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		format = fs.String("format", "markdown", "table `format`: markdown, json or text")
		out    = fs.String("o", "", "write the table to `file` instead of stdout")
		match  = fs.String("run", "", "run only the workloads whose id matches this `regexp`")
		python = fs.String("python", benchsuite.LookPython(), "Python `interpreter` (env CONCUR_PYTHON); empty leaves Python out")
		reps   = fs.Int("reps", benchsuite.FullOptions().Reps, "`rounds` per figure")
		target = fs.Duration("target", benchsuite.FullOptions().Target, "`length` of one sample")
	)
	if err := fs.Parse(args); err != nil {
		return err
	}
	opts := benchsuite.FullOptions()
	opts.Python, opts.Reps, opts.Target = *python, *reps, *target
	if *match != "" {
		re, err := regexp.Compile(*match)
		if err != nil {
			return fmt.Errorf("-run: %v", err)
		}
		opts.Match = re.MatchString
	}
	w := stdout
	if *out != "" {
		f, err := os.Create(*out)
		if err != nil {
			return err
		}
		defer f.Close()
		w = f
	}
	start := time.Now()
	opts.Progress = func(p benchsuite.Progress) {
		if p.Step == "calibrating" {
			fmt.Fprintf(stderr, "[%2d/%d] %s (%s)\n", p.Index, p.Total, p.Workload, time.Since(start).Round(time.Second))
		}
	}
	suite := benchsuite.Workloads()
	addPeers(suite)
	rep, err := benchsuite.Run(ctx, suite, opts)
	if err != nil {
		return err
	}
	fmt.Fprintf(stderr, "done in %s\n", time.Since(start).Round(time.Second))
	return rep.Write(w, *format)
}
