package aio

import (
	"context"
	"sync"
	"testing"
	"time"
)

// An I/O-bound fan-out: 1000 calls that each wait 1ms, as a crawler's
// requests do. One op is the whole fan-out, so ns/op is about 1ms plus
// the cost of starting, waiting for and collecting 1000 calls; compare
// each aio form with raw goroutines and a WaitGroup.
const fanOut = 1000

func ioCall(ctx context.Context) (int, error) {
	time.Sleep(time.Millisecond)
	return 1, nil
}

func ioCalls() []func(context.Context) (int, error) {
	fns := make([]func(context.Context) (int, error), fanOut)
	for i := range fns {
		fns[i] = ioCall
	}
	return fns
}

func BenchmarkFanOutGather(b *testing.B) {
	fns := ioCalls()
	for b.Loop() {
		if _, err := Gather(context.Background(), fns...); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkFanOutGatherAll(b *testing.B) {
	fns := ioCalls()
	for b.Loop() {
		GatherAll(context.Background(), fns...)
	}
}

func BenchmarkFanOutTaskGroup(b *testing.B) {
	for b.Loop() {
		g, _ := NewTaskGroup(context.Background())
		for range fanOut {
			g.Go(func(ctx context.Context) error { _, err := ioCall(ctx); return err })
		}
		if err := g.Wait(); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkFanOutAsCompleted(b *testing.B) {
	fns := ioCalls()
	for b.Loop() {
		for _, err := range AsCompleted(context.Background(), fns...) {
			if err != nil {
				b.Fatal(err)
			}
		}
	}
}

// Baseline: a goroutine per call, results in a slice, a WaitGroup.
func BenchmarkFanOutGoroutines(b *testing.B) {
	results := make([]int, fanOut)
	errs := make([]error, fanOut)
	for b.Loop() {
		var wg sync.WaitGroup
		for i := range fanOut {
			wg.Go(func() { results[i], errs[i] = ioCall(context.Background()) })
		}
		wg.Wait()
	}
}
