package futures_test

import (
	"context"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"github.com/concurgo/concur/futures"
	"github.com/concurgo/concur/process"
)

// The process executor's no-op workload: submit a batch of 1024 calls of a
// registered function that does nothing, then collect every result, on
// two worker processes. Python's ProcessPoolExecutor runs the same
// (about 10 k calls/s here); BenchmarkProcessPoolVsPython reports the
// ratio from one run:
//
//	go test -run XXX -bench ProcessPool -cpu 2 -count 5 ./futures/

var ppNoop = process.RegisterFunc("futures.bench.noop", func(struct{}) int { return 1 })

const pythonProcessPool = `
import time, statistics
from concurrent.futures import ProcessPoolExecutor

def noop():
    return 1

if __name__ == '__main__':
    with ProcessPoolExecutor(2) as ex:
        [f.result() for f in [ex.submit(noop) for _ in range(1000)]]  # the workers are up
        rates = []
        for _ in range(3):
            t = time.perf_counter()
            fs = [ex.submit(noop) for _ in range(20000)]
            for f in fs:
                f.result()
            rates.append(20000 / (time.perf_counter() - t))
    print(statistics.median(rates))
`

func benchProcessPool(b *testing.B) float64 {
	ctx := context.Background()
	e, err := futures.NewProcessPoolExecutor(2)
	if err != nil {
		b.Fatal(err)
	}
	defer e.Terminate()
	const batch = 1024
	fs := make([]*futures.Future[int], batch)
	run := func(n int) {
		for i := range n {
			f, err := futures.SubmitFunc(ctx, e, ppNoop, struct{}{})
			if err != nil {
				b.Fatal(err)
			}
			fs[i] = f
		}
		for _, f := range fs[:n] {
			if _, err := f.Result(ctx); err != nil {
				b.Fatal(err)
			}
		}
	}
	run(batch) // the workers are up
	b.ResetTimer()
	b.ReportAllocs()
	for left := b.N; left > 0; left -= batch {
		run(min(left, batch))
	}
	rate := float64(b.N) / b.Elapsed().Seconds()
	b.ReportMetric(rate, "calls/s")
	return rate
}

// BenchmarkProcessPoolSubmitResult: ns/op is per call.
func BenchmarkProcessPoolSubmitResult(b *testing.B) { benchProcessPool(b) }

// BenchmarkProcessPoolVsPython runs Python's workload once (the median of
// three batches of 20 000) and then BenchmarkProcessPoolSubmitResult, and
// reports the ratio of their rates.
func BenchmarkProcessPoolVsPython(b *testing.B) {
	py, err := exec.LookPath("python3")
	if err != nil {
		if os.Getenv("CONCUR_REQUIRE_TOOLS") == "1" {
			b.Fatal("python3 not found and CONCUR_REQUIRE_TOOLS=1")
		}
		b.Skip("python3 not found")
	}
	cmd := exec.Command(py, "-c", pythonProcessPool)
	cmd.Env = os.Environ()
	if os.Getenv("PYENV_VERSION") == "" {
		cmd.Env = append(cmd.Env, "PYENV_VERSION=3.12.1")
	}
	out, err := cmd.Output()
	if err != nil {
		b.Fatalf("python: %v", err)
	}
	pyRate, err := strconv.ParseFloat(strings.TrimSpace(string(out)), 64)
	if err != nil {
		b.Fatalf("python printed %q", out)
	}
	goRate := benchProcessPool(b)
	b.ReportMetric(pyRate, "python-calls/s")
	b.ReportMetric(goRate/pyRate, "go/python")
}
