package benchsuite

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"math"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/concurgo/concur/process"
)

func TestMain(m *testing.M) {
	process.Main()
	goleak.VerifyTestMain(m)
}

func TestMedian(t *testing.T) {
	for _, c := range []struct {
		in   []float64
		want float64
	}{
		{nil, 0},
		{[]float64{0, 0}, 0},
		{[]float64{3}, 3},
		{[]float64{5, 1, 3}, 3},
		{[]float64{4, 1, 3, 2}, 2.5},
		{[]float64{0, 7, 0, 1, 4}, 4}, // zeros are failed samples
	} {
		if got := median(c.in); got != c.want {
			t.Errorf("median(%v) = %v, want %v", c.in, got, c.want)
		}
	}
}

func TestPairedRatio(t *testing.T) {
	// Round 2 is slow for both; the paired ratio is unmoved by it.
	other := []float64{2, 20, 2.2}
	concur := []float64{1, 10, 1}
	if got := pairedRatio(other, concur); got != 2 {
		t.Errorf("pairedRatio = %v, want 2", got)
	}
	if got := pairedRatio([]float64{2, 0}, []float64{0, 1}); got != 0 {
		t.Errorf("pairedRatio with no common round = %v, want 0", got)
	}
}

func approx(got, want float64) bool { return math.Abs(got-want) <= 1e-9*math.Abs(want) }

// fake is a RunFunc whose ops take per each, without taking any time.
func fake(per time.Duration) RunFunc {
	return func(_ context.Context, n int) (time.Duration, error) { return time.Duration(n) * per, nil }
}

func TestCalibrate(t *testing.T) {
	for _, per := range []time.Duration{time.Nanosecond, 3 * time.Microsecond, time.Millisecond, time.Second} {
		n, err := calibrate(context.Background(), fake(per), 100*time.Millisecond)
		if err != nil {
			t.Fatal(err)
		}
		d := time.Duration(n) * per
		if d < 50*time.Millisecond && n > 1 || d > 250*time.Millisecond && n > 1 {
			t.Errorf("per op %v: n = %d lasts %v, want about 100ms", per, n, d)
		}
	}
	boom := errors.New("boom")
	if _, err := calibrate(context.Background(), func(context.Context, int) (time.Duration, error) { return 0, boom }, time.Millisecond); err != boom {
		t.Errorf("calibrate of a failing run: %v, want boom", err)
	}
}

// tinySuite is a suite whose figures are known in advance.
func tinySuite() Suite {
	base := Timed("double", fake(20*time.Microsecond))
	return Suite{
		{
			ID: "tiny", Title: "Tiny op", Unit: ItemsPerSec, Items: 10, Quick: true, Note: "ten items",
			Concur:   Timed("concur", fake(10*time.Microsecond)),
			Baseline: &base,
			Peers: []Impl{
				Timed("slowpeer", fake(40*time.Microsecond)),
				Timed("fastpeer", fake(5*time.Microsecond)),
				Timed("brokenpeer", func(context.Context, int) (time.Duration, error) { return 0, errors.New("broken") }),
			},
			Bars: []Bar{
				{Against: AgainstBaseline, Min: 1.5, Text: "1.5x the baseline"},
				{Against: AgainstPeer, Min: 1, Text: "as fast as the best peer"},
				{Against: AgainstPython, Min: 1, Text: "Python"},
			},
		},
		{
			ID: "missing", Title: "Not yet", Unit: PerOp, Missing: "not written yet", Quick: true,
			Baseline: &base,
		},
		{
			ID: "slow", Title: "Left out of quick runs", Unit: PerOp,
			Concur: Timed("concur", fake(time.Millisecond)),
		},
	}
}

func runTiny(t *testing.T, opts Options) *Report {
	t.Helper()
	rep, err := Run(context.Background(), tinySuite(), opts)
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

func TestRunEndToEnd(t *testing.T) {
	var steps []Progress
	opts := Options{Target: 10 * time.Millisecond, Reps: 3, Quick: true, Progress: func(p Progress) { steps = append(steps, p) }}
	rep := runTiny(t, opts)
	var ids []string
	for _, r := range rep.Rows {
		ids = append(ids, r.ID)
	}
	if !slices.Equal(ids, []string{"tiny", "missing"}) {
		t.Fatalf("rows %v, want tiny and missing (slow is not Quick)", ids)
	}
	r := rep.Rows[0]
	if !approx(r.Concur.Value, 1e6) { // 10 items per 10 µs
		t.Errorf("concur = %v items/s, want 1e6", r.Concur.Value)
	}
	if !approx(r.Baseline.Value, 5e5) || !approx(r.BaselineRatio, 2) {
		t.Errorf("baseline = %v items/s, ratio %v; want 5e5, 2", r.Baseline.Value, r.BaselineRatio)
	}
	if r.BestPeer == nil || r.BestPeer.Name != "fastpeer" || !approx(r.PeerRatio, 0.5) {
		t.Errorf("best peer %+v, ratio %v; want fastpeer, 0.5", r.BestPeer, r.PeerRatio)
	}
	if r.Peers[2].Err != "broken" {
		t.Errorf("broken peer's error = %q", r.Peers[2].Err)
	}
	if len(r.Concur.Samples) != 3 {
		t.Errorf("%d concur samples, want 3", len(r.Concur.Samples))
	}
	if b := r.Bars; len(b) != 3 || !approx(b[0].Got, 2) || !b[0].Met || !approx(b[1].Got, 0.5) || b[1].Met || b[2].Got != 0 || b[2].Met {
		t.Errorf("bars %+v, want 2 met, 0.5 not met, 0 not met", b)
	}
	if m := rep.Rows[1]; m.Concur != nil || m.Baseline == nil || !approx(m.Baseline.Value, 20e-6) || m.BaselineRatio != 0 {
		t.Errorf("missing row: concur %+v, baseline %+v, ratio %v", m.Concur, m.Baseline, m.BaselineRatio)
	}
	if first, last := steps[0], steps[len(steps)-1]; first != (Progress{1, 2, "tiny", "calibrating"}) || last != (Progress{2, 2, "missing", "done"}) {
		t.Errorf("progress from %+v to %+v", first, last)
	}
	if !slices.ContainsFunc(steps, func(p Progress) bool { return p.Step == "round 3/3" }) {
		t.Errorf("no round 3/3 in %+v", steps)
	}
}

func TestRunMatchAndCancel(t *testing.T) {
	rep := runTiny(t, Options{Target: time.Millisecond, Reps: 1, Match: func(id string) bool { return id == "slow" }})
	if len(rep.Rows) != 1 || rep.Rows[0].ID != "slow" || !approx(rep.Rows[0].Concur.Value, 1e-3) {
		t.Fatalf("rows %+v, want the slow one at 1ms/op", rep.Rows)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Run(ctx, tinySuite(), Options{Target: time.Millisecond, Reps: 1}); !errors.Is(err, context.Canceled) {
		t.Errorf("Run with a cancelled ctx: %v", err)
	}
}

func TestSpeedupRow(t *testing.T) {
	seq := Timed("sequential", fake(10*time.Millisecond))
	s := Suite{{ID: "sp", Title: "Speedup", Unit: Speedup, Concur: Timed("parallel", fake(5*time.Millisecond)), Baseline: &seq}}
	rep, err := Run(context.Background(), s, Options{Target: time.Millisecond, Reps: 2})
	if err != nil {
		t.Fatal(err)
	}
	r := rep.Rows[0]
	r.Python = &Figure{Name: "Python", Samples: []float64{0.9, 1.0, 0.8}}
	r.settle(s[0])
	if !approx(r.Concur.Value, 2) || r.Baseline.Value != 1 || !approx(r.BaselineRatio, 2) || r.Python.Value != 0.9 {
		t.Errorf("speedup %v, baseline %v, ratio %v, Python %v; want 2, 1, 2, 0.9",
			r.Concur.Value, r.Baseline.Value, r.BaselineRatio, r.Python.Value)
	}
	if got := formatRatio(r.PythonRatio); got != "2.22x" {
		t.Errorf("ratio to Python %s, want 2.22x", got)
	}
}

func TestFormatValue(t *testing.T) {
	for _, c := range []struct {
		u    Unit
		v    float64
		want string
	}{
		{PerOp, 14.2e-9, "14.2 ns"},
		{PerOp, 1.5e-6, "1.50 µs"},
		{PerOp, 327e-6, "327 µs"},
		{PerOp, 0.058, "58.0 ms"},
		{PerOp, 2.5, "2.50 s"},
		{ItemsPerSec, 740, "740/s"},
		{ItemsPerSec, 66e3, "66.0 k/s"},
		{ItemsPerSec, 6.5e6, "6.50 M/s"},
		{BytesPerSec, 1.3e9, "1.30 GB/s"},
		{Speedup, 1.56, "1.56x"},
		{PerOp, 0, "—"},
	} {
		if got := formatValue(c.u, c.v); got != c.want {
			t.Errorf("formatValue(%v, %v) = %q, want %q", c.u, c.v, got, c.want)
		}
	}
}

func TestWriteMarkdown(t *testing.T) {
	rep := runTiny(t, Options{Target: time.Millisecond, Reps: 1, Quick: true})
	var b bytes.Buffer
	if err := rep.Write(&b, "markdown"); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{
		"| workload | concur | baseline | ratio | Python | ratio | best Go peer | ratio | bar |\n",
		"| Tiny op | 1.00 M/s | double 500 k/s | 2.00x | — | — | fastpeer 2.00 M/s | 0.50x | " +
			"✓ baseline ≥ 1.50x (1.5x the baseline); ✗ best peer ≥ 1.00x (as fast as the best peer); not measured: Python ≥ 1.00x (Python) |\n",
		"| Not yet | n/a: not written yet | double 20.0 µs | — |",
		"- Tiny op peers: slowpeer 250 k/s (concur 4.00x), fastpeer 2.00 M/s (concur 0.50x), brokenpeer failed\n",
		"- Tiny op, brokenpeer failed: broken\n",
		"quick run, ",
		"- **Tiny op** (`tiny`): ten items.\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("markdown lacks %q:\n%s", want, out)
		}
	}
}

func TestWriteJSON(t *testing.T) {
	rep := runTiny(t, Options{Target: time.Millisecond, Reps: 2, Quick: true})
	var b bytes.Buffer
	if err := rep.Write(&b, "json"); err != nil {
		t.Fatal(err)
	}
	var got struct {
		Mode    string
		Elapsed string
		Machine struct{ CPUs int }
		Rows    []struct {
			ID            string
			Unit          string
			Concur        *struct{ Value float64 }
			BaselineRatio float64 `json:"baseline_ratio"`
			Bars          []struct {
				Against string
				Met     bool
			}
		}
	}
	if err := json.Unmarshal(b.Bytes(), &got); err != nil {
		t.Fatalf("%v:\n%s", err, b.String())
	}
	if _, err := time.ParseDuration(got.Elapsed); err != nil || got.Mode != "quick" || got.Machine.CPUs < 1 {
		t.Errorf("mode %q, elapsed %q, cpus %d", got.Mode, got.Elapsed, got.Machine.CPUs)
	}
	r := got.Rows[0]
	if r.ID != "tiny" || r.Unit != "items/s" || !approx(r.Concur.Value, 1e6) || !approx(r.BaselineRatio, 2) || len(r.Bars) != 3 || !r.Bars[0].Met || r.Bars[0].Against != "baseline" {
		t.Errorf("row %+v", r)
	}
}

func TestWriteText(t *testing.T) {
	rep := runTiny(t, Options{Target: time.Millisecond, Reps: 1, Quick: true})
	var b bytes.Buffer
	if err := rep.Write(&b, "text"); err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`(?m)^Tiny op +1\.00 M/s +double 500 k/s +2\.00x`).MatchString(b.String()) {
		t.Errorf("text:\n%s", b.String())
	}
	if err := rep.Write(&b, "yaml"); err == nil {
		t.Error("Write in an unknown format succeeded")
	}
}

func TestAddPeer(t *testing.T) {
	s := Workloads()
	s.AddPeer("thread-executor", Timed("p", fake(1)))
	if i := slices.IndexFunc(s, func(w *Workload) bool { return w.ID == "thread-executor" }); len(s[i].Peers) != 1 {
		t.Errorf("peers %v", s[i].Peers)
	}
	if len(Workloads()[5].Peers) != 0 {
		t.Error("AddPeer leaked into a new suite")
	}
	defer func() {
		if recover() == nil {
			t.Error("AddPeer of an unknown workload did not panic")
		}
	}()
	s.AddPeer("no-such-workload", Timed("p", fake(1)))
}

// Every workload has a unique ID, a title and a concur side or a reason;
// every one marked Python has its function in bench.py.
func TestWorkloadsWellFormed(t *testing.T) {
	seen := map[string]bool{}
	for _, w := range Workloads() {
		if seen[w.ID] || w.Title == "" || w.Note == "" {
			t.Errorf("workload %q: duplicate, or no title or note", w.ID)
		}
		seen[w.ID] = true
		if (w.Concur.Open == nil) == (w.Missing == "") {
			t.Errorf("workload %q: needs exactly one of Concur and Missing", w.ID)
		}
		if (w.Unit == ItemsPerSec || w.Unit == BytesPerSec) != (w.Items > 0) {
			t.Errorf("workload %q: Items %v with unit %v", w.ID, w.Items, w.Unit)
		}
		def := "\ndef w_" + strings.ReplaceAll(w.ID, "-", "_") + "("
		if has := bytes.Contains(benchPy, []byte(def)); has != w.Python {
			t.Errorf("workload %q: Python %v, but bench.py has %s: %v", w.ID, w.Python, def[1:], has)
		}
	}
}
