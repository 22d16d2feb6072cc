package queue

import (
	"cmp"
	stdheap "container/heap"
	"context"
	"math/rand/v2"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// Throughput benchmarks, each beside its baseline so that one run gives
// the ratio:
//
//	BenchmarkQueue1P1C     vs BenchmarkChannel1P1C and BenchmarkPython1P1C
//	BenchmarkQueue4P4C     vs BenchmarkChannel4P4C
//	BenchmarkPriority      vs BenchmarkContainerHeap and BenchmarkPythonPriority
//	BenchmarkPriorityFunc  (stable) vs the same
//
// One op is one item. Run for example with
//
//	go test -run - -bench . -cpu 2 -count 5 -benchtime 1000000x ./queue
//
// which makes the priority benchmarks the put-then-get of 1e6 random ints.
// On a busy machine, run -count 1 several times instead and compare each
// pass's pairs, so that load drifting between groups does not skew ratios.

// 1 producer, 1 consumer, through a maxsize-1024 queue.
func BenchmarkQueue1P1C(b *testing.B) {
	benchQueue(b, 1, 1)
}

// The same through a 1024-buffered channel.
func BenchmarkChannel1P1C(b *testing.B) {
	benchChannel(b, 1, 1)
}

func BenchmarkQueue4P4C(b *testing.B) {
	benchQueue(b, 4, 4)
}

func BenchmarkChannel4P4C(b *testing.B) {
	benchChannel(b, 4, 4)
}

// benchQueue moves b.N items from producers to consumers through a
// maxsize-1024 Queue.
func benchQueue(b *testing.B, producers, consumers int) {
	q := New[int](1024)
	ctx := context.Background()
	b.ReportAllocs()
	run(b, producers, consumers,
		func(v int) {
			if err := q.Put(ctx, v); err != nil {
				panic(err)
			}
		},
		func() {
			if _, err := q.Get(ctx); err != nil {
				panic(err)
			}
		})
}

func benchChannel(b *testing.B, producers, consumers int) {
	ch := make(chan int, 1024)
	b.ReportAllocs()
	run(b, producers, consumers, func(v int) { ch <- v }, func() { <-ch })
}

// run splits b.N puts among producers and b.N gets among consumers.
func run(b *testing.B, producers, consumers int, put func(int), get func()) {
	var wg sync.WaitGroup
	share := func(n, parts, i int) int { return n/parts + btoi(i < n%parts) }
	b.ResetTimer()
	for p := range producers {
		wg.Go(func() {
			for i := range share(b.N, producers, p) {
				put(i)
			}
		})
	}
	for c := range consumers {
		wg.Go(func() {
			for range share(b.N, consumers, c) {
				get()
			}
		})
	}
	wg.Wait()
	reportItems(b)
}

func btoi(ok bool) int {
	if ok {
		return 1
	}
	return 0
}

func reportItems(b *testing.B) {
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "items/s")
}

func randomInts(n int) []int {
	r := rand.New(rand.NewPCG(1, 2))
	xs := make([]int, n)
	for i := range xs {
		xs[i] = r.Int()
	}
	return xs
}

// BenchmarkPriority puts b.N random ints into an unbounded priority queue,
// then gets them all, in one goroutine.
func BenchmarkPriority(b *testing.B) {
	benchPriority(b, NewPriority[int](0))
}

// BenchmarkPriorityFunc is the same through the stable queue of
// NewPriorityFunc, which stamps every item with its arrival number.
func BenchmarkPriorityFunc(b *testing.B) {
	benchPriority(b, NewPriorityFunc(0, cmp.Less[int]))
}

func benchPriority(b *testing.B, q *Queue[int]) {
	xs := randomInts(b.N)
	b.ReportAllocs()
	b.ResetTimer()
	for _, x := range xs {
		if err := q.TryPut(x); err != nil {
			b.Fatal(err)
		}
	}
	for range xs {
		if _, err := q.TryGet(); err != nil {
			b.Fatal(err)
		}
	}
	reportItems(b)
}

// intHeap is the priority queue a Go programmer writes by hand: the
// container/heap example, guarded by a mutex.
type intHeap []int

func (h intHeap) Len() int           { return len(h) }
func (h intHeap) Less(i, j int) bool { return cmp.Less(h[i], h[j]) }
func (h intHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *intHeap) Push(x any)        { *h = append(*h, x.(int)) }
func (h *intHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

func BenchmarkContainerHeap(b *testing.B) {
	xs := randomInts(b.N)
	var mu sync.Mutex
	h := new(intHeap)
	b.ReportAllocs()
	b.ResetTimer()
	for _, x := range xs {
		mu.Lock()
		stdheap.Push(h, x)
		mu.Unlock()
	}
	for range xs {
		mu.Lock()
		stdheap.Pop(h)
		mu.Unlock()
	}
	reportItems(b)
}

// The Python baselines run the same workloads in CPython's queue module.
// The script times itself, so interpreter start-up is not counted.

const python1P1C = `
import queue, sys, threading, time
n = int(sys.argv[1])
q = queue.Queue(1024)
def produce():
    put = q.put
    for i in range(n):
        put(i)
t = threading.Thread(target=produce)
start = time.perf_counter()
t.start()
get = q.get
for _ in range(n):
    get()
t.join()
print(time.perf_counter() - start)
`

const pythonPriority = `
import queue, random, sys, time
n = int(sys.argv[1])
r = random.Random(1)
xs = [r.randrange(1 << 62) for _ in range(n)]
q = queue.PriorityQueue()
start = time.perf_counter()
for x in xs:
    q.put(x)
for _ in range(n):
    q.get()
print(time.perf_counter() - start)
`

func BenchmarkPython1P1C(b *testing.B)     { benchPython(b, python1P1C) }
func BenchmarkPythonPriority(b *testing.B) { benchPython(b, pythonPriority) }

func benchPython(b *testing.B, script string) {
	python, err := exec.LookPath("python3")
	if err != nil {
		if os.Getenv("CONCUR_REQUIRE_TOOLS") == "1" {
			b.Fatal("python3 not found and CONCUR_REQUIRE_TOOLS=1")
		}
		b.Skip("python3 not found")
	}
	out, err := exec.Command(python, "-c", script, strconv.Itoa(b.N)).Output()
	if err != nil {
		b.Fatal(err)
	}
	secs, err := strconv.ParseFloat(strings.TrimSpace(string(out)), 64)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(secs*1e9/float64(b.N), "ns/op")
	b.ReportMetric(float64(b.N)/secs, "items/s")
}
