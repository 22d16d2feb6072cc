package process

import (
	"context"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Benchmarks of the shared objects, each beside its baseline:
//
//	ValueLockedIncrement2Proc  vs PythonValueLockedIncrement2Proc
//	ValueAdd2Proc              vs RawAtomicAdd2Proc
//	LockUncontended            vs SyncMutexUncontended
//
// The two-process benchmarks run b.N operations in the benchmark process
// and b.N in a child at the same time, and report "ops/s" for both
// processes together; ns/op is per pair of operations.

type sharedBenchArg struct {
	Counter *Value[int64]
	Ready   *Event
	Go      *Event
	N       int
	Op      string
}

func sharedBenchOp(op string, v *Value[int64]) func() {
	switch op {
	case "locked":
		l := v.GetLock()
		return func() {
			l.Lock()
			v.Store(v.Load() + 1)
			l.Unlock()
		}
	case "add":
		return func() { v.Add(1) }
	case "raw":
		p := (*int64)(v.p)
		return func() { atomic.AddInt64(p, 1) }
	}
	panic("unknown op " + op)
}

var sharedBenchChild = RegisterTarget("shared.bench.child", func(ctx context.Context, a sharedBenchArg) error {
	op := sharedBenchOp(a.Op, a.Counter)
	a.Ready.Set()
	if err := a.Go.Wait(ctx); err != nil {
		return err
	}
	for range a.N {
		op()
	}
	return nil
})

func benchTwoProcesses(b *testing.B, opName string) {
	v, err := NewValue[int64](0)
	if err != nil {
		b.Fatal(err)
	}
	defer v.Close()
	ready, _ := NewEvent()
	defer ready.Close()
	start, _ := NewEvent()
	defer start.Close()
	ctx := context.Background()
	c := New(sharedBenchChild, sharedBenchArg{Counter: v, Ready: ready, Go: start, N: b.N, Op: opName})
	if err := c.Start(); err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	if err := ready.Wait(ctx); err != nil {
		b.Fatal(err)
	}
	op := sharedBenchOp(opName, v)
	b.ResetTimer()
	begin := time.Now()
	start.Set()
	for range b.N {
		op()
	}
	if err := c.Join(ctx); err != nil {
		b.Fatal(err)
	}
	elapsed := time.Since(begin)
	b.StopTimer()
	if got := v.Load(); got != int64(2*b.N) {
		b.Fatalf("counter %d, want %d", got, 2*b.N)
	}
	b.ReportMetric(float64(2*b.N)/elapsed.Seconds(), "ops/s")
}

func BenchmarkValueLockedIncrement2Proc(b *testing.B) { benchTwoProcesses(b, "locked") }
func BenchmarkValueAdd2Proc(b *testing.B)             { benchTwoProcesses(b, "add") }
func BenchmarkRawAtomicAdd2Proc(b *testing.B)         { benchTwoProcesses(b, "raw") }

// BenchmarkPythonValueLockedIncrement2Proc runs the same workload in
// CPython: two processes doing `with v.get_lock(): v.value += 1`.
func BenchmarkPythonValueLockedIncrement2Proc(b *testing.B) {
	py, err := exec.LookPath("python3")
	if err != nil {
		b.Skip("python3 not found")
	}
	const script = `
import sys, time
from multiprocessing import Process, Value, Event
def work(v, go, n):
    go.wait()
    for _ in range(n):
        with v.get_lock():
            v.value += 1
if __name__ == "__main__":
    n = int(sys.argv[1])
    v, go = Value("q", 0), Event()
    p = Process(target=work, args=(v, go, n))
    p.start()
    time.sleep(0.2)
    t = time.perf_counter()
    go.set()
    work(v, go, n)
    p.join()
    dt = time.perf_counter() - t
    assert v.value == 2 * n
    print(dt)
`
	n := min(b.N, 2_000_000) // Python is slow; cap the run
	out, err := exec.Command(py, "-c", script, strconv.Itoa(n)).Output()
	if err != nil {
		b.Fatalf("python: %v", err)
	}
	secs, err := strconv.ParseFloat(strings.TrimSpace(string(out)), 64)
	if err != nil {
		b.Fatalf("python printed %q", out)
	}
	b.ReportMetric(float64(2*n)/secs, "ops/s")
}

func BenchmarkLockUncontended(b *testing.B) {
	l, err := NewLock()
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	ctx := context.Background()
	for b.Loop() {
		l.Acquire(ctx)
		l.Release()
	}
}

func BenchmarkSyncMutexUncontended(b *testing.B) {
	var mu sync.Mutex
	for b.Loop() {
		mu.Lock()
		mu.Unlock()
	}
}
