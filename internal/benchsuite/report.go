package benchsuite

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strings"
	"text/tabwriter"
	"time"
)

// Report is the outcome of a run.
type Report struct {
	Machine Machine   `json:"machine"`
	Mode    string    `json:"mode"` // "quick" or "full"
	Started time.Time `json:"started"`
	Elapsed Duration  `json:"elapsed"`
	Reps    int       `json:"reps"`
	Target  string    `json:"target"` // the length of one sample, roughly
	Rows    []Row     `json:"rows"`
}

// Duration is a time.Duration that reads well in JSON.
type Duration time.Duration

// MarshalText writes the duration as time.Duration prints it.
func (d Duration) MarshalText() ([]byte, error) { return []byte(time.Duration(d).String()), nil }

// Row is one workload's line of the table.
type Row struct {
	ID      string `json:"id"`
	Title   string `json:"title"`
	Unit    Unit   `json:"unit"`
	Note    string `json:"note,omitempty"`
	Missing string `json:"missing,omitempty"` // why there is no concur figure

	Concur   *Figure   `json:"concur,omitempty"`
	Baseline *Figure   `json:"baseline,omitempty"`
	Python   *Figure   `json:"python,omitempty"`
	Peers    []*Figure `json:"peers,omitempty"`
	BestPeer *Figure   `json:"-"`

	// How many times faster concur is than each; 0 when not measured.
	BaselineRatio float64 `json:"baseline_ratio,omitempty"`
	PythonRatio   float64 `json:"python_ratio,omitempty"`
	PeerRatio     float64 `json:"best_peer_ratio,omitempty"`

	Bars []BarResult `json:"bars,omitempty"`
}

// Figure is one implementation's result.
type Figure struct {
	Name string `json:"name"`
	// Value is in the row's unit: seconds per op, items or bytes per
	// second, or a speedup.
	Value float64 `json:"value"`
	// Samples are seconds per op, one per round (a Python speedup row's
	// samples are speedups); 0 marks a failed sample.
	Samples []float64 `json:"samples"`
	// Ratio is how many times faster concur is than this (peers only).
	Ratio float64 `json:"ratio,omitempty"`
	Err   string  `json:"error,omitempty"`
}

// BarResult is a Bar with the ratio measured against it.
type BarResult struct {
	Bar
	Got float64 `json:"got"`
	Met bool    `json:"met"`
}

// settle turns the samples of r into figures, ratios and bars.
func (r *Row) settle(w *Workload) {
	value := func(f *Figure) {
		if f == nil {
			return
		}
		m := median(f.Samples)
		switch {
		case m == 0:
		case w.Unit == PerOp:
			f.Value = m
		case w.Unit == Speedup:
			f.Value = m // a Python row: its samples are speedups already
		default:
			f.Value = w.Items / m
		}
	}
	for _, f := range append([]*Figure{r.Concur, r.Python}, r.Peers...) {
		value(f)
	}
	ok := func(f *Figure) bool { return f != nil && f.Err == "" && median(f.Samples) > 0 }
	if w.Unit == Speedup {
		if ok(r.Concur) && ok(r.Baseline) {
			r.Concur.Value = pairedRatio(r.Baseline.Samples, r.Concur.Samples)
			r.Baseline.Value = 1
			r.BaselineRatio = r.Concur.Value
			if ok(r.Python) {
				r.PythonRatio = r.Concur.Value / r.Python.Value
			}
		}
	} else {
		value(r.Baseline)
		if ok(r.Concur) {
			c := r.Concur.Samples
			if ok(r.Baseline) {
				r.BaselineRatio = pairedRatio(r.Baseline.Samples, c)
			}
			if ok(r.Python) {
				r.PythonRatio = median(r.Python.Samples) / median(c)
			}
			for _, p := range r.Peers {
				if ok(p) {
					p.Ratio = pairedRatio(p.Samples, c)
				}
			}
		}
		for _, p := range r.Peers {
			if ok(p) && (r.BestPeer == nil || median(p.Samples) < median(r.BestPeer.Samples)) {
				r.BestPeer = p
			}
		}
		if r.BestPeer != nil {
			r.PeerRatio = r.BestPeer.Ratio
		}
	}
	for _, b := range w.Bars {
		got := map[Column]float64{AgainstBaseline: r.BaselineRatio, AgainstPython: r.PythonRatio, AgainstPeer: r.PeerRatio}[b.Against]
		r.Bars = append(r.Bars, BarResult{Bar: b, Got: got, Met: got > 0 && got >= b.Min})
	}
}

// Write writes the report as "markdown", "json" or "text".
func (rep *Report) Write(w io.Writer, format string) error {
	switch format {
	case "json":
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	case "markdown", "md":
		return rep.markdown(w)
	case "text":
		return rep.text(w)
	}
	return fmt.Errorf("benchsuite: unknown format %q (want markdown, json or text)", format)
}

var header = []string{"workload", "concur", "baseline", "ratio", "Python", "ratio", "best Go peer", "ratio", "bar"}

// cells renders a row as the table's cells, in header order.
func (r *Row) cells(u Unit) []string {
	concur := "n/a"
	switch {
	case r.Missing != "":
		concur = "n/a: " + r.Missing
	case r.Concur != nil && r.Concur.Err != "":
		concur = "failed"
	case r.Concur != nil:
		concur = formatValue(u, r.Concur.Value)
	}
	named := func(f *Figure) string {
		switch {
		case f == nil:
			return "—"
		case f.Err != "":
			return f.Name + ": failed"
		case u == Speedup && f.Value == 1:
			return f.Name
		}
		return f.Name + " " + formatValue(u, f.Value)
	}
	python := "—"
	if r.Python != nil {
		python = "failed"
		if r.Python.Err == "" {
			python = formatValue(u, r.Python.Value)
		}
	}
	peer := named(r.BestPeer)
	if r.BestPeer == nil && len(r.Peers) > 0 {
		peer = "failed"
	}
	var bars []string
	for _, b := range r.Bars {
		mark := "✗"
		switch {
		case b.Got == 0:
			mark = "not measured:"
		case b.Met:
			mark = "✓"
		}
		bars = append(bars, fmt.Sprintf("%s %s ≥ %s (%s)", mark, b.Against, formatRatio(b.Min), b.Text))
	}
	return []string{
		r.Title, concur,
		named(r.Baseline), formatRatio(r.BaselineRatio),
		python, formatRatio(r.PythonRatio),
		peer, formatRatio(r.PeerRatio),
		strings.Join(bars, "; "),
	}
}

func (rep *Report) summary() string {
	m := rep.Machine
	py := m.Python
	if py == "" {
		py = "no Python"
	}
	return fmt.Sprintf("%s run, %s: %s, %d CPUs (GOMAXPROCS %d), %s, %s %s/%s, %s; "+
		"load average %s at the start; %d rounds of ~%s per figure; took %s.",
		rep.Mode, rep.Started.UTC().Format("2006-01-02 15:04 MST"), m.CPU, m.CPUs, m.GOMAXPROCS,
		m.Kernel, m.Go, m.OS, m.Arch, py, m.Load, rep.Reps, rep.Target, time.Duration(rep.Elapsed).Round(time.Second))
}

func (rep *Report) markdown(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "%s\n\n", rep.summary())
	b.WriteString("| " + strings.Join(header, " | ") + " |\n")
	b.WriteString("|---|--:|---|--:|--:|--:|---|--:|---|\n")
	for _, r := range rep.Rows {
		cells := r.cells(r.Unit)
		for i, c := range cells {
			cells[i] = strings.ReplaceAll(c, "|", `\|`)
		}
		b.WriteString("| " + strings.Join(cells, " | ") + " |\n")
	}
	rep.details(&b, "- ")
	b.WriteString("\nWhat each row measures:\n\n")
	for _, r := range rep.Rows {
		fmt.Fprintf(&b, "- **%s** (`%s`): %s.\n", r.Title, r.ID, r.Note)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func (rep *Report) text(w io.Writer) error {
	fmt.Fprintf(w, "%s\n\n", rep.summary())
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, strings.Join(header, "\t"))
	for _, r := range rep.Rows {
		fmt.Fprintln(tw, strings.Join(r.cells(r.Unit), "\t"))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	var b strings.Builder
	rep.details(&b, "  ")
	_, err := io.WriteString(w, b.String())
	return err
}

// details lists every peer of rows with more than one, and every error.
func (rep *Report) details(b *strings.Builder, bullet string) {
	var lines []string
	for _, r := range rep.Rows {
		if len(r.Peers) > 1 {
			var ps []string
			for _, p := range r.Peers {
				if p.Err != "" {
					ps = append(ps, p.Name+" failed")
					continue
				}
				ps = append(ps, fmt.Sprintf("%s %s (concur %s)", p.Name, formatValue(r.Unit, p.Value), formatRatio(p.Ratio)))
			}
			lines = append(lines, fmt.Sprintf("%s peers: %s", r.Title, strings.Join(ps, ", ")))
		}
		for _, f := range append([]*Figure{r.Concur, r.Baseline, r.Python}, r.Peers...) {
			if f != nil && f.Err != "" {
				lines = append(lines, fmt.Sprintf("%s, %s failed: %s", r.Title, f.Name, f.Err))
			}
		}
	}
	if len(lines) == 0 {
		return
	}
	b.WriteString("\n")
	for _, l := range lines {
		b.WriteString(bullet + l + "\n")
	}
}

// formatValue prints v, a figure in unit u, with three significant digits.
func formatValue(u Unit, v float64) string {
	if v <= 0 || math.IsInf(v, 0) || math.IsNaN(v) {
		return "—"
	}
	switch u {
	case PerOp:
		return scaled(v, []string{"s", "ms", "µs", "ns"}, 1e-3, false)
	case ItemsPerSec:
		return scaled(v, []string{"/s", " k/s", " M/s", " G/s"}, 1e3, true)
	case BytesPerSec:
		return scaled(v, []string{" B/s", " kB/s", " MB/s", " GB/s"}, 1e3, true)
	}
	return formatRatio(v)
}

// scaled prints v in the largest unit (stepping by step) that keeps it at
// least 1.
func scaled(v float64, units []string, step float64, up bool) string {
	// Compare with a little slack, so that 999.9996 prints as 1.00 of
	// the next unit rather than as 1000 of this one.
	const slack = 1 - 5e-4
	i := 0
	if up {
		for i+1 < len(units) && v >= step*slack {
			v /= step
			i++
		}
	} else {
		for i+1 < len(units) && v < slack {
			v /= step
			i++
		}
	}
	sep := " "
	if up {
		sep = ""
	}
	return sigfig(v) + sep + units[i]
}

func sigfig(v float64) string {
	switch {
	case v >= 100:
		return fmt.Sprintf("%.0f", v)
	case v >= 10:
		return fmt.Sprintf("%.1f", v)
	}
	return fmt.Sprintf("%.2f", v)
}

// formatRatio prints a ratio, or "—" for none.
func formatRatio(r float64) string {
	if r <= 0 || math.IsInf(r, 0) || math.IsNaN(r) {
		return "—"
	}
	return sigfig(r) + "x"
}
