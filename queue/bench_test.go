package queue

import (
	"context"
	"testing"
)

// One producer and one consumer move b.N ints through a maxsize-1024
// queue; BenchmarkChannel1P1C is the same through a 1024-buffered channel,
// the bar being half its throughput.

func BenchmarkQueue1P1C(b *testing.B) {
	q := New[int](1024)
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	go func() {
		for i := range b.N {
			if err := q.Put(ctx, i); err != nil {
				panic(err)
			}
		}
	}()
	for range b.N {
		if _, err := q.Get(ctx); err != nil {
			b.Fatal(err)
		}
	}
	reportItems(b, b.N)
}

func BenchmarkChannel1P1C(b *testing.B) {
	ch := make(chan int, 1024)
	b.ReportAllocs()
	b.ResetTimer()
	go func() {
		for i := range b.N {
			ch <- i
		}
	}()
	for range b.N {
		<-ch
	}
	reportItems(b, b.N)
}

func reportItems(b *testing.B, n int) {
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "items/s")
}
