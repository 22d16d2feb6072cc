package benchsuite

import (
	"context"
	"fmt"
	"slices"
	"time"
)

// Options configure a run.
type Options struct {
	Target time.Duration // how long one sample lasts, roughly
	Reps   int           // samples per implementation; figures are their medians
	// Quick runs only the workloads marked Quick.
	Quick bool
	// Python is the interpreter; empty leaves Python out.
	Python string
	// Match selects workloads by ID; nil selects all.
	Match func(id string) bool
	// Progress, if set, is told what is about to run.
	Progress func(Progress)
}

// QuickOptions are those of `concur bench`: about a minute on two cores.
func QuickOptions() Options { return Options{Target: 40 * time.Millisecond, Reps: 3, Quick: true} }

// FullOptions are those of the bench module: a few minutes on two cores.
func FullOptions() Options { return Options{Target: 150 * time.Millisecond, Reps: 5} }

// Progress reports the step about to run.
type Progress struct {
	Index, Total int    // workload Index (1-based) of Total
	Workload     string // its ID
	Step         string // "calibrating", "round 2/5", "Python", "done"
}

// Run runs the selected workloads of s and returns the report. An
// implementation that fails is reported in its row, and the run goes on;
// Run itself fails only when ctx ends.
func Run(ctx context.Context, s Suite, opts Options) (*Report, error) {
	if opts.Reps < 1 || opts.Target <= 0 {
		panic("benchsuite: Run needs Reps >= 1 and Target > 0")
	}
	var selected Suite
	for _, w := range s {
		if (!opts.Quick || w.Quick) && (opts.Match == nil || opts.Match(w.ID)) {
			selected = append(selected, w)
		}
	}
	rep := &Report{Machine: DescribeMachine(opts.Python), Started: time.Now(), Reps: opts.Reps, Target: opts.Target.String()}
	rep.Mode = "full"
	if opts.Quick {
		rep.Mode = "quick"
	}
	py, err := newPythonRunner(opts.Python)
	if err != nil {
		return nil, err
	}
	defer py.close()
	progress := func(i int, id, step string) {
		if opts.Progress != nil {
			opts.Progress(Progress{Index: i + 1, Total: len(selected), Workload: id, Step: step})
		}
	}
	for i, w := range selected {
		target := opts.Target
		if w.Target > 0 {
			target = w.Target
		}
		row := measure(ctx, w, target, opts.Reps, func(step string) { progress(i, w.ID, step) })
		if w.Python && py != nil {
			progress(i, w.ID, "Python")
			row.Python = py.run(ctx, w.ID, target, opts.Reps)
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		row.settle(w)
		rep.Rows = append(rep.Rows, row)
		progress(i, w.ID, "done")
	}
	rep.Elapsed = Duration(time.Since(rep.Started))
	return rep, nil
}

// opened is an Impl ready to take samples.
type opened struct {
	impl  Impl
	fig   *Figure
	run   RunFunc
	close func() error
	n     int
}

// measure calibrates and samples the Go implementations of w,
// interleaved.
func measure(ctx context.Context, w *Workload, target time.Duration, reps int, step func(string)) Row {
	row := Row{ID: w.ID, Title: w.Title, Unit: w.Unit, Note: w.Note, Missing: w.Missing}
	var impls []*opened
	add := func(impl Impl) *Figure {
		o := &opened{impl: impl, fig: &Figure{Name: impl.Name}}
		impls = append(impls, o)
		return o.fig
	}
	if w.Missing == "" {
		row.Concur = add(w.Concur)
	}
	if w.Baseline != nil {
		row.Baseline = add(*w.Baseline)
	}
	for _, p := range w.Peers {
		row.Peers = append(row.Peers, add(p))
	}
	defer func() {
		for _, o := range impls {
			if o.close != nil {
				if err := o.close(); err != nil && o.fig.Err == "" {
					o.fig.Err = err.Error()
				}
			}
		}
	}()
	step("calibrating")
	for _, o := range impls {
		run, closeFn, err := o.impl.Open(ctx)
		o.close = closeFn
		if err == nil {
			o.run = run
			o.n, err = calibrate(ctx, run, target)
		}
		o.fail(err)
	}
	for r := range reps {
		step(fmt.Sprintf("round %d/%d", r+1, reps))
		for k := range impls {
			o := impls[(r+k)%len(impls)]
			if o.run == nil {
				o.fig.Samples = append(o.fig.Samples, 0) // keeps rounds aligned
				continue
			}
			d, err := o.run(ctx, o.n)
			o.fail(err)
			o.fig.Samples = append(o.fig.Samples, d.Seconds()/float64(o.n))
		}
	}
	return row
}

// fail records err, if any, and takes the implementation out of the run.
func (o *opened) fail(err error) {
	if err == nil {
		return
	}
	if o.fig.Err == "" {
		o.fig.Err = err.Error()
	}
	o.run = nil
}

// calibrate returns the number of ops one sample of about target takes,
// growing n as the testing package does. The first call warms up.
func calibrate(ctx context.Context, run RunFunc, target time.Duration) (int, error) {
	if _, err := run(ctx, 1); err != nil {
		return 0, err
	}
	n := 1
	for {
		d, err := run(ctx, n)
		if err != nil {
			return 0, err
		}
		if d >= target/2 || n >= 1<<40 {
			return n, nil
		}
		if err := ctx.Err(); err != nil {
			return 0, err
		}
		next := int(float64(n) * 1.1 * float64(target) / float64(max(d, time.Microsecond)))
		n = min(max(next, 2*n), 100*n)
	}
}

// median returns the median of xs (the mean of the middle two for an
// even count), ignoring zeros, which stand for failed samples.
func median(xs []float64) float64 {
	var v []float64
	for _, x := range xs {
		if x > 0 {
			v = append(v, x)
		}
	}
	if len(v) == 0 {
		return 0
	}
	slices.Sort(v)
	m := len(v) / 2
	if len(v)%2 == 1 {
		return v[m]
	}
	return (v[m-1] + v[m]) / 2
}

// pairedRatio is the median over rounds of other/concur.
func pairedRatio(other, concur []float64) float64 {
	var rs []float64
	for i := range min(len(other), len(concur)) {
		if other[i] > 0 && concur[i] > 0 {
			rs = append(rs, other[i]/concur[i])
		}
	}
	return median(rs)
}
