package process

import (
	"context"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Benchmarks of the cross-process queues, each beside its baseline:
//
//	Queue2Proc/int, /string, /struct, /gob  vs PythonQueue2Proc/int, /string, /struct, /gob (multiprocessing.Queue)
//	Queue1Proc/int                    (both ends in one process: the engine's floor)
//
// The two-process benchmarks start a producer child that puts b.N items
// while the benchmark process gets them, and report items/s from the
// moment the producer is told to go until the last item arrives; ns/op is
// per item.

type queueBenchItem struct {
	ID    int
	Name  string
	Score float64
}

// queueBenchJob has a slice of strings, so it goes through gob.
type queueBenchJob struct {
	ID   int
	Args []string
}

type queueBenchArg struct {
	Ints    *Queue[int]
	Strings *Queue[string]
	Items   *Queue[queueBenchItem]
	Jobs    *Queue[queueBenchJob]
	Ready   *Event
	Go      *Event
	N       int
}

var queueBenchProducer = RegisterTarget("queue.bench.producer", func(ctx context.Context, a queueBenchArg) error {
	a.Ready.Set()
	if err := a.Go.Wait(ctx); err != nil {
		return err
	}
	var err error
	for i := 0; i < a.N && err == nil; i++ {
		switch {
		case a.Ints != nil:
			err = a.Ints.Put(ctx, i)
		case a.Strings != nil:
			err = a.Strings.Put(ctx, "item "+strconv.Itoa(i))
		case a.Jobs != nil:
			err = a.Jobs.Put(ctx, queueBenchJob{ID: i, Args: []string{"a", "b"}})
		default:
			err = a.Items.Put(ctx, queueBenchItem{ID: i, Name: "item", Score: float64(i) / 2})
		}
	}
	return err
})

func BenchmarkQueue2Proc(b *testing.B) {
	b.Run("int", func(b *testing.B) {
		q, err := NewQueue[int](0)
		if err != nil {
			b.Fatal(err)
		}
		defer q.Close()
		benchQueue2Proc(b, queueBenchArg{Ints: q}, func(ctx context.Context, i int) error {
			v, err := q.Get(ctx)
			if err == nil && v != i {
				b.Fatalf("got %d, want %d", v, i)
			}
			return err
		})
	})
	b.Run("string", func(b *testing.B) {
		q, err := NewQueue[string](0)
		if err != nil {
			b.Fatal(err)
		}
		defer q.Close()
		benchQueue2Proc(b, queueBenchArg{Strings: q}, func(ctx context.Context, i int) error {
			_, err := q.Get(ctx)
			return err
		})
	})
	b.Run("struct", func(b *testing.B) {
		q, err := NewQueue[queueBenchItem](0)
		if err != nil {
			b.Fatal(err)
		}
		defer q.Close()
		benchQueue2Proc(b, queueBenchArg{Items: q}, func(ctx context.Context, i int) error {
			v, err := q.Get(ctx)
			if err == nil && v.ID != i {
				b.Fatalf("got %d, want %d", v.ID, i)
			}
			return err
		})
	})
	b.Run("gob", func(b *testing.B) {
		q, err := NewQueue[queueBenchJob](0)
		if err != nil {
			b.Fatal(err)
		}
		defer q.Close()
		benchQueue2Proc(b, queueBenchArg{Jobs: q}, func(ctx context.Context, i int) error {
			v, err := q.Get(ctx)
			if err == nil && v.ID != i {
				b.Fatalf("got %d, want %d", v.ID, i)
			}
			return err
		})
	})
}

func benchQueue2Proc(b *testing.B, arg queueBenchArg, get func(context.Context, int) error) {
	ready, _ := NewEvent()
	defer ready.Close()
	start, _ := NewEvent()
	defer start.Close()
	arg.Ready, arg.Go, arg.N = ready, start, b.N
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	c := New(queueBenchProducer, arg)
	if err := c.Start(); err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	if err := ready.Wait(ctx); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	begin := time.Now()
	start.Set()
	for i := range b.N {
		if err := get(ctx, i); err != nil {
			b.Fatal(err)
		}
	}
	elapsed := time.Since(begin)
	b.StopTimer()
	if err := c.Join(ctx); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "items/s")
}

// BenchmarkQueue1Proc puts and gets through one queue in one process, one
// goroutine each side: the cost of the engine without a second process.
func BenchmarkQueue1Proc(b *testing.B) {
	q, err := NewQueue[int](0)
	if err != nil {
		b.Fatal(err)
	}
	defer q.Close()
	ctx := context.Background()
	go func() {
		for i := range b.N {
			q.Put(ctx, i)
		}
	}()
	for i := range b.N {
		if v, err := q.Get(ctx); err != nil || v != i {
			b.Fatalf("got %d, %v; want %d", v, err, i)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "items/s")
}

// BenchmarkPythonQueue2Proc runs the same workloads in CPython: a
// producer Process puts n items into a multiprocessing.Queue, the main
// process gets them. The items are Python's counterparts of the Go
// sub-benchmarks': ints, strings "item N", (id, name, score) tuples for
// the struct and (id, [args]) tuples for the gob-encoded job.
func BenchmarkPythonQueue2Proc(b *testing.B) {
	py, err := exec.LookPath("python3")
	if err != nil {
		if os.Getenv("CONCUR_REQUIRE_TOOLS") == "1" {
			b.Fatal("python3 not found and CONCUR_REQUIRE_TOOLS=1")
		}
		b.Skip("python3 not found")
	}
	const script = `
import sys, time
from multiprocessing import Process, Queue, Event
ITEMS = {
    "int": lambda i: i,
    "string": lambda i: "item " + str(i),
    "struct": lambda i: (i, "item", i / 2),
    "gob": lambda i: (i, ["a", "b"]),
}
def produce(q, go, n, kind):
    item = ITEMS[kind]
    go.wait()
    for i in range(n):
        q.put(item(i))
if __name__ == "__main__":
    n, kind = int(sys.argv[1]), sys.argv[2]
    q, go = Queue(), Event()
    p = Process(target=produce, args=(q, go, n, kind))
    p.start()
    time.sleep(0.2)
    t = time.perf_counter()
    go.set()
    for i in range(n):
        q.get()
    dt = time.perf_counter() - t
    p.join()
    print(dt)
`
	for _, kind := range []string{"int", "string", "struct", "gob"} {
		b.Run(kind, func(b *testing.B) {
			n := min(b.N, 1_000_000) // Python is slow; cap the run
			out, err := exec.Command(py, "-c", script, strconv.Itoa(n), kind).Output()
			if err != nil {
				b.Fatalf("python: %v", err)
			}
			secs, err := strconv.ParseFloat(strings.TrimSpace(string(out)), 64)
			if err != nil {
				b.Fatalf("python printed %q", out)
			}
			b.ReportMetric(secs*1e9/float64(n), "ns/item")
			b.ReportMetric(float64(n)/secs, "items/s")
		})
	}
}
