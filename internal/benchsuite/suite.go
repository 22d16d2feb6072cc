// Package benchsuite is concur's benchmark suite: each workload done by
// concur, by the baseline a Go programmer would write without it, by
// Python 3 and by the Go libraries that do the same job, on the same
// machine, in one run, with the ratios between them.
//
// The suite is the engine behind `concur bench` (a quick run, no peers)
// and the bench module's `go run .` (the full run, with the Go peers —
// ants, pond, conc, errgroup — added as extra columns by AddPeer, so that
// their dependencies stay out of concur's go.mod).
//
// # Method
//
// Every implementation of a workload is first calibrated: the number of
// ops n is grown until one sample (n ops) lasts about Options.Target.
// Then Options.Reps rounds are run; in each round every Go implementation
// of the workload takes one sample, in an order that rotates from round
// to round, so that load on a shared machine falls on all of them alike.
// A figure is the median of its samples; a ratio between two Go
// implementations is the median of the per-round ratios, which cancels
// most of the drift between rounds. Python runs the same workload in one
// interpreter (bench.py, embedded), calibrated and repeated the same way;
// its ratio is the ratio of the medians.
//
// Ratios are always "how many times faster concur is": the other's time
// per op over concur's (equally, concur's throughput over the other's).
// Above 1, concur is faster; a bar such as "within 3x of sync.Mutex" is a
// ratio of at least 0.33.
package benchsuite

import (
	"context"
	"fmt"
	"time"
)

// Unit says what one op of a workload is and how its figures read.
type Unit int

const (
	// PerOp figures are times per op: lower is better.
	PerOp Unit = iota
	// ItemsPerSec figures are Workload.Items per op, per second.
	ItemsPerSec
	// BytesPerSec figures are Workload.Items bytes per op, per second.
	BytesPerSec
	// Speedup workloads compare a parallel run (Concur) with the same
	// work done sequentially (Baseline); their figure is the sequential
	// time over the parallel time.
	Speedup
)

var unitNames = [...]string{PerOp: "time/op", ItemsPerSec: "items/s", BytesPerSec: "bytes/s", Speedup: "speedup"}

func (u Unit) String() string { return unitNames[u] }

// MarshalText names the unit in JSON reports.
func (u Unit) MarshalText() ([]byte, error) { return []byte(u.String()), nil }

// A RunFunc does n ops of a workload and returns the time they took,
// leaving out whatever setup it needs.
type RunFunc func(ctx context.Context, n int) (time.Duration, error)

// An Impl is one way of doing a workload: concur's, a baseline's or a
// peer's.
type Impl struct {
	Name string
	// Open prepares the implementation (starts a pool, a child process)
	// and returns the function that times n ops and the one that releases
	// what Open made; close may be nil.
	Open func(ctx context.Context) (run RunFunc, close func() error, err error)
}

// Timed is an Impl that needs no setup.
func Timed(name string, run RunFunc) Impl {
	return Impl{Name: name, Open: func(context.Context) (RunFunc, func() error, error) { return run, nil, nil }}
}

// Column names what a Bar compares concur with.
type Column string

const (
	AgainstBaseline Column = "baseline"
	AgainstPython   Column = "Python"
	AgainstPeer     Column = "best peer"
)

// A Bar is a promise about a ratio: concur's ratio against Against is at
// least Min.
type Bar struct {
	Against Column
	Min     float64
	Text    string // the promise in words, e.g. "within 3x of sync.Mutex"
}

// A Workload is one line of the table.
type Workload struct {
	ID    string // stable and short; also the name of its Python workload in bench.py
	Title string
	Unit  Unit
	Items float64 // items or bytes one op moves, for ItemsPerSec and BytesPerSec

	// Concur is concur's implementation; Missing, when set, says why
	// there is none yet and the row shows it as not available.
	Concur  Impl
	Missing string
	// Baseline is what a Go programmer writes without concur; nil when
	// there is nothing to compare with in Go.
	Baseline *Impl
	// Python is set when bench.py has this workload.
	Python bool
	// Peers are Go libraries doing the same job; AddPeer adds them.
	Peers []Impl
	Bars  []Bar
	// Note explains what the op is, in a sentence, for the method section.
	Note string
	// Quick leaves the workload in quick runs (concur bench); the
	// slowest ones are left to full runs.
	Quick bool
	// Target, if set, is the length of a sample of this workload in every
	// run, in Go and in Python, overriding Options.Target.
	Target time.Duration
}

// Suite is the list of workloads, in table order.
type Suite []*Workload

// AddPeer adds peer implementations to the workload id. It panics if
// the suite has no such workload: a peer registered under a wrong name
// would silently vanish from the table.
func (s Suite) AddPeer(id string, peers ...Impl) {
	for _, w := range s {
		if w.ID == id {
			w.Peers = append(w.Peers, peers...)
			return
		}
	}
	panic(fmt.Sprintf("benchsuite: AddPeer: no workload %q", id))
}
