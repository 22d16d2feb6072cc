package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"regexp"
	"slices"
	"time"

	"github.com/concurgo/concur/internal/benchsuite"
)

func init() {
	commands = append(commands, command{"bench", "measure concur against Go baselines and Python (quick)", bench})
}

const benchUsage = `usage: concur bench [flags]

Runs a quick version of concur's benchmark suite on this machine: each
workload done by concur, by the baseline a Go programmer would write
without it and by Python 3, interleaved, with the ratios between them
(above 1x, concur is faster). Progress goes to stderr, the table to
stdout or -o. It takes a minute or two; -full runs every workload with
longer samples (the bench module, run with cd bench && go run ., adds
the Go peers ants, pond, conc and errgroup). docs/bench.md explains the
method.

  concur bench
  concur bench -format markdown -o bench.md
  concur bench -run 'lock|queue'

flags:
`

// bench is `concur bench`.
func bench(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("concur bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		io.WriteString(stderr, benchUsage)
		fs.PrintDefaults()
	}
	var (
		format = fs.String("format", "text", "table `format`: text, markdown or json")
		out    = fs.String("o", "", "write the table to `file` instead of stdout")
		match  = fs.String("run", "", "run only the workloads whose id matches this `regexp`")
		python = fs.String("python", benchsuite.LookPython(), "Python `interpreter` (env CONCUR_PYTHON); empty leaves Python out")
		full   = fs.Bool("full", false, "every workload, longer samples: several minutes")
	)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return errUsage
	}
	if !slices.Contains([]string{"text", "markdown", "json"}, *format) {
		fmt.Fprintf(stderr, "concur bench: -format %q: want text, markdown or json\n", *format)
		return errUsage
	}
	opts := benchsuite.QuickOptions()
	if *full {
		opts = benchsuite.FullOptions()
	}
	opts.Python = *python
	if *match != "" {
		re, err := regexp.Compile(*match)
		if err != nil {
			fmt.Fprintf(stderr, "concur bench: -run: %v\n", err)
			return errUsage
		}
		opts.Match = re.MatchString
	}
	// Open the output first, so that a bad -o fails before minutes of work.
	w := stdout
	var file *os.File
	if *out != "" {
		var err error
		if file, err = os.Create(*out); err != nil {
			return err
		}
		w = file
	}
	p := newBenchProgress(stderr)
	opts.Progress = p.show
	rep, err := benchsuite.Run(ctx, benchsuite.Workloads(), opts)
	p.end()
	if err == nil {
		err = rep.Write(w, *format)
	}
	if file != nil {
		err = errors.Join(err, file.Close())
	}
	return err
}

// benchProgress shows which workload runs: on a terminal, one line
// redrawn in place; elsewhere, a line per workload.
type benchProgress struct {
	w     io.Writer
	tty   bool
	start time.Time
}

func newBenchProgress(w io.Writer) *benchProgress {
	return &benchProgress{w: w, tty: isTerminal(w), start: time.Now()}
}

func (p *benchProgress) show(pr benchsuite.Progress) {
	elapsed := time.Since(p.start).Round(time.Second)
	switch {
	case p.tty:
		fmt.Fprintf(p.w, "\r\033[K[%2d/%d] %-20s %-12s %s", pr.Index, pr.Total, pr.Workload, pr.Step, elapsed)
	case pr.Step == "calibrating":
		fmt.Fprintf(p.w, "[%2d/%d] %s (%s)\n", pr.Index, pr.Total, pr.Workload, elapsed)
	}
}

func (p *benchProgress) end() {
	if p.tty {
		fmt.Fprint(p.w, "\r\033[K")
	}
	fmt.Fprintf(p.w, "done in %s\n", time.Since(p.start).Round(time.Second))
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
