package benchsuite

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// benchPy is the Python side of every workload; see its docstring.
//
//go:embed python/bench.py
var benchPy []byte

// LookPython finds the interpreter for the Python column: $CONCUR_PYTHON
// if set, else python3 on $PATH. It returns "" when there is none.
func LookPython() string {
	if p := os.Getenv("CONCUR_PYTHON"); p != "" {
		return p
	}
	p, err := exec.LookPath("python3")
	if err != nil {
		return ""
	}
	return p
}

// pythonRunner runs bench.py from a temporary directory: multiprocessing's
// spawn start method re-imports the main module in every child, so the
// script must be a real file.
type pythonRunner struct {
	python, dir string
}

// newPythonRunner returns nil for an empty python: no Python column.
func newPythonRunner(python string) (*pythonRunner, error) {
	if python == "" {
		return nil, nil
	}
	dir, err := os.MkdirTemp("", "concur-bench-*")
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(dir, "bench.py"), benchPy, 0o644); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	return &pythonRunner{python: python, dir: dir}, nil
}

func (p *pythonRunner) close() {
	if p != nil {
		os.RemoveAll(p.dir)
	}
}

// pythonTimeout bounds one Python workload, which calibrates itself and
// runs reps samples of about target each; the slowest take a few times
// that (process start-up, pools).
func pythonTimeout(target time.Duration, reps int) time.Duration {
	return 2*time.Minute + time.Duration(4*(reps+4))*target
}

// run runs the Python workload id and returns its figure; a failure is
// recorded in the figure.
func (p *pythonRunner) run(ctx context.Context, id string, target time.Duration, reps int) *Figure {
	f := &Figure{Name: "Python"}
	ctx, cancel := context.WithTimeout(ctx, pythonTimeout(target, reps))
	defer cancel()
	cmd := exec.CommandContext(ctx, p.python, "bench.py", id, strconv.FormatFloat(target.Seconds(), 'f', -1, 64), strconv.Itoa(reps))
	cmd.Dir = p.dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		f.Err = fmt.Sprintf("%v: %s", err, lastLine(stderr.String()))
		return f
	}
	var res struct{ Values []float64 }
	if err := json.Unmarshal(out, &res); err != nil || len(res.Values) == 0 {
		f.Err = fmt.Sprintf("bench.py printed %q", lastLine(string(out)))
		return f
	}
	f.Samples = res.Values
	return f
}

func lastLine(s string) string {
	s = strings.TrimSpace(s)
	return s[strings.LastIndexByte(s, '\n')+1:]
}
