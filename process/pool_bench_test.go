package process_test

import (
	"context"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/concurgo/concur/process"
)

// Benchmarks of the pool, each beside its baseline in the same run:
//
//	PoolMap, PoolMapVsPython   Pool(2).Map(square, 1e6) against Python's
//	                           Pool(2).map(square, range(10**6)) (~6.5 M items/s here)
//	PoolApplyVsRaw             an Apply round trip against a raw socketpair
//	                           round trip to another process
//	PoolCountdown              the seeds' CPU-bound countdown, twice, on a
//	                           Pool(2) against one after the other
//
// Compare with
//
//	go test -run XXX -bench Pool -cpu 2 -count 5 ./process/
//
// The VsPython and VsRaw benchmarks interleave the two sides (or run the
// baseline once, for Python) and report their ratio, which the load of a
// shared machine skews less than two separate benchmarks.

// python3 returns the command line to run a Python script, or skips the
// benchmark if there is no Python (and CONCUR_REQUIRE_TOOLS is not 1).
func python3(b *testing.B, script string) *exec.Cmd {
	py, err := exec.LookPath("python3")
	if err != nil {
		if os.Getenv("CONCUR_REQUIRE_TOOLS") == "1" {
			b.Fatal("python3 not found and CONCUR_REQUIRE_TOOLS=1")
		}
		b.Skip("python3 not found")
	}
	cmd := exec.Command(py, "-c", script)
	cmd.Env = os.Environ()
	if os.Getenv("PYENV_VERSION") == "" {
		cmd.Env = append(cmd.Env, "PYENV_VERSION=3.12.1")
	}
	return cmd
}

// pythonRate runs a script that prints one number, a rate.
func pythonRate(b *testing.B, script string) float64 {
	b.Helper()
	out, err := python3(b, script).Output()
	if err != nil {
		b.Fatalf("python: %v", err)
	}
	rate, err := strconv.ParseFloat(strings.TrimSpace(string(out)), 64)
	if err != nil {
		b.Fatalf("python printed %q", out)
	}
	return rate
}

const pythonPoolMap = `
import time, statistics
from multiprocessing import Pool

def square(x):
    return x * x

if __name__ == '__main__':
    with Pool(2) as p:
        p.map(square, range(1000))  # the workers are up
        rates = []
        for _ in range(5):
            t = time.perf_counter()
            p.map(square, range(10**6))
            rates.append(10**6 / (time.perf_counter() - t))
    print(statistics.median(rates))
`

func benchPoolMap(b *testing.B) float64 {
	p, err := process.NewPool(2)
	if err != nil {
		b.Fatal(err)
	}
	defer p.Terminate()
	xs := ints(1_000_000)
	process.Map(background, p, poolSquare, xs[:1000]) // the workers are up
	b.ResetTimer()
	for b.Loop() {
		if _, err := process.Map(background, p, poolSquare, xs); err != nil {
			b.Fatal(err)
		}
	}
	rate := float64(len(xs)*b.N) / b.Elapsed().Seconds()
	b.ReportMetric(rate, "items/s")
	return rate
}

// BenchmarkPoolMap is Pool(2).Map(square, 1e6) with the default chunk
// size, as Python's Pool(2).map(square, range(10**6)).
func BenchmarkPoolMap(b *testing.B) { benchPoolMap(b) }

// BenchmarkPoolMapVsPython runs Python's map once (the median of five
// maps) and then BenchmarkPoolMap, and reports the ratio of their rates.
func BenchmarkPoolMapVsPython(b *testing.B) {
	py := pythonRate(b, pythonPoolMap)
	goRate := benchPoolMap(b)
	b.ReportMetric(py, "python-items/s")
	b.ReportMetric(goRate/py, "go/python")
}

// echoChild echoes 64-byte messages on its socket: the far end of the raw
// round trip.
var echoChild = process.RegisterTarget("test.pool.echo", func(_ context.Context, f process.File) error {
	buf := make([]byte, 64)
	for {
		if _, err := io.ReadFull(f, buf); err != nil {
			return nil
		}
		if _, err := f.Write(buf); err != nil {
			return nil
		}
	}
})

// BenchmarkPoolApplyVsRaw alternates ten Apply round trips to a warm
// worker with ten 64-byte round trips over a raw socketpair to another
// process, and reports both and their ratio (Python's Pool.apply takes
// about 327 µs here).
func BenchmarkPoolApplyVsRaw(b *testing.B) {
	p, err := process.NewPool(1)
	if err != nil {
		b.Fatal(err)
	}
	defer p.Terminate()
	fds, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		b.Fatal(err)
	}
	raw, peer := os.NewFile(uintptr(fds[0]), "raw"), os.NewFile(uintptr(fds[1]), "peer")
	echo := process.New(echoChild, process.File{File: peer})
	if err := echo.Start(); err != nil {
		b.Fatal(err)
	}
	peer.Close()
	defer func() {
		raw.Close()
		echo.Join(background)
	}()
	buf := make([]byte, 64)
	var apply, rawTime time.Duration
	const rounds = 10
	for b.Loop() {
		t0 := time.Now()
		for range rounds {
			if _, err := process.Apply(background, p, poolSquare, 3); err != nil {
				b.Fatal(err)
			}
		}
		t1 := time.Now()
		for range rounds {
			if _, err := raw.Write(buf); err != nil {
				b.Fatal(err)
			}
			if _, err := io.ReadFull(raw, buf); err != nil {
				b.Fatal(err)
			}
		}
		apply += t1.Sub(t0)
		rawTime += time.Since(t1)
	}
	n := float64(rounds * b.N)
	b.ReportMetric(float64(apply.Nanoseconds())/n, "apply-ns")
	b.ReportMetric(float64(rawTime.Nanoseconds())/n, "raw-ns")
	b.ReportMetric(float64(apply)/float64(rawTime), "apply/raw")
}

// countdown is the seeds' CPU-bound task(n): count down from n. It
// returns what is left (zero) so that the loop cannot be dropped.
func countdown(n int) int {
	for n > 0 {
		n--
	}
	return n
}

var poolCountdown = process.RegisterFunc("test.pool.countdown", countdown)

// BenchmarkPoolCountdown is the seeds' comparison: task(100_000_000)
// twice, one after the other in this process, then on a Pool(2) at once,
// then on two goroutines at once, the ceiling that the machine allows;
// it reports both speed-ups (Python: 1.56x with processes, 0.93x with
// threads, on 2 cores).
func BenchmarkPoolCountdown(b *testing.B) {
	const steps = 100_000_000
	p, err := process.NewPool(2)
	if err != nil {
		b.Fatal(err)
	}
	defer p.Terminate()
	var seq, procs, goroutines time.Duration
	for b.Loop() {
		t0 := time.Now()
		countdown(steps)
		countdown(steps)
		t1 := time.Now()
		if _, err := process.Map(background, p, poolCountdown, []int{steps, steps}); err != nil {
			b.Fatal(err)
		}
		t2 := time.Now()
		var wg sync.WaitGroup
		for range 2 {
			wg.Go(func() { countdown(steps) })
		}
		wg.Wait()
		seq += t1.Sub(t0)
		procs += t2.Sub(t1)
		goroutines += time.Since(t2)
	}
	b.ReportMetric(float64(seq)/float64(procs), "speedup")
	b.ReportMetric(float64(seq)/float64(goroutines), "goroutines-speedup")
}
