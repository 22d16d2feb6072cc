package process

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"testing"
	"time"
)

// The Manager against Python's, in one run:
//
//	go test -run XXX -bench 'ManagerDict' -cpu 2 -count 5 ./process/
//
// BenchmarkManagerDictSetGet is the workload of Python's
// `d['k'] = i; d['k']` on a manager.dict() proxy: a set and a get, each a
// round trip from this process to a manager in its own process, as
// Python's Manager() always runs. BenchmarkManagerDictSetGetVsPython
// alternates it with CPython running the same loop and reports the ratio.

func benchManagerDictSetGet(b *testing.B, opts ...ManagerOption) {
	m := mgrStart(b, opts...)
	ctx := context.Background()
	d, err := ManagerDict[string, int](ctx, m)
	if err != nil {
		b.Fatal(err)
	}
	defer d.Close()
	i := 0
	for b.Loop() {
		if err := d.Set(ctx, "k", i); err != nil {
			b.Fatal(err)
		}
		if v, _, err := d.Get(ctx, "k"); err != nil || v != i {
			b.Fatal(v, err)
		}
		i++
	}
}

// BenchmarkManagerDictSetGet: the manager in its own process, as Python's.
func BenchmarkManagerDictSetGet(b *testing.B) { benchManagerDictSetGet(b, WithOwnProcess()) }

// BenchmarkManagerDictSetGetInProcess: the manager as goroutines of this
// process, still reached through its socket.
func BenchmarkManagerDictSetGetInProcess(b *testing.B) { benchManagerDictSetGet(b) }

// BenchmarkManagerDictSetGetParallel: goroutines of this process share
// the one connection, their calls pipelined; ns/op is per set+get pair.
func BenchmarkManagerDictSetGetParallel(b *testing.B) {
	m := mgrStart(b, WithOwnProcess())
	ctx := context.Background()
	d, err := ManagerDict[int, int](ctx, m)
	if err != nil {
		b.Fatal(err)
	}
	defer d.Close()
	var next int64
	var mu = make(chan struct{}, 1)
	b.SetParallelism(4)
	b.RunParallel(func(pb *testing.PB) {
		mu <- struct{}{}
		next++
		k := int(next)
		<-mu
		for i := 0; pb.Next(); i++ {
			if err := d.Set(ctx, k, i); err != nil {
				b.Fatal(err)
			}
			if v, _, err := d.Get(ctx, k); err != nil || v != i {
				b.Fatal(v, err)
			}
		}
	})
}

// BenchmarkManagerDictSetGetVsPython alternates rounds of the Go loop
// (the manager in its own process) with rounds of the same loop in a
// CPython process kept running beside it, and reports the ratio of their
// times per set+get (python/go), which the load of a shared machine skews
// far less than it does two separate benchmarks.
func BenchmarkManagerDictSetGetVsPython(b *testing.B) {
	py, err := exec.LookPath("python3")
	if err != nil {
		if os.Getenv("CONCUR_REQUIRE_TOOLS") == "1" {
			b.Fatal("python3 not found and CONCUR_REQUIRE_TOOLS=1")
		}
		b.Skip("python3 not found")
	}
	const script = `
import sys, time
from multiprocessing import Manager
if __name__ == "__main__":
    with Manager() as m:
        d = m.dict()
        print("ready", flush=True)
        for line in sys.stdin:
            n = int(line)
            t = time.perf_counter()
            for i in range(n):
                d["k"] = i
                assert d["k"] == i
            print(time.perf_counter() - t, flush=True)
`
	cmd := exec.Command(py, "-c", script)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	defer cmd.Wait()
	defer stdin.Close()
	out := bufio.NewScanner(stdout)
	if !out.Scan() || out.Text() != "ready" {
		b.Fatalf("python did not start: %q", out.Text())
	}
	python := func(n int) time.Duration {
		fmt.Fprintln(stdin, n)
		if !out.Scan() {
			b.Fatal("python stopped")
		}
		secs, err := strconv.ParseFloat(out.Text(), 64)
		if err != nil {
			b.Fatalf("python printed %q", out.Text())
		}
		return time.Duration(secs * float64(time.Second))
	}

	m := mgrStart(b, WithOwnProcess())
	ctx := context.Background()
	d, err := ManagerDict[string, int](ctx, m)
	if err != nil {
		b.Fatal(err)
	}
	defer d.Close()
	const round = 500
	var goTime, pyTime time.Duration
	b.ResetTimer()
	for done := 0; done < b.N; done += round {
		n := min(round, b.N-done)
		t := time.Now()
		for i := range n {
			if err := d.Set(ctx, "k", i); err != nil {
				b.Fatal(err)
			}
			if v, _, err := d.Get(ctx, "k"); err != nil || v != i {
				b.Fatal(v, err)
			}
		}
		goTime += time.Since(t)
		pyTime += python(n)
	}
	b.ReportMetric(float64(pyTime)/float64(goTime), "python/go")
	b.ReportMetric(float64(goTime.Nanoseconds())/float64(b.N), "go-ns/op")
	b.ReportMetric(float64(pyTime.Nanoseconds())/float64(b.N), "python-ns/op")
}
