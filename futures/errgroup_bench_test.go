//go:build errgroup

// The errgroup baselines for bench_test.go. golang.org/x/sync v0.24.0
// needs the main module's go line to be "go 1.26.0" and go.mod says
// "go 1.26", so importing it breaks the build for now; run these with
//
//	go test -tags errgroup -modfile=<a copy of go.mod with go 1.26.0> -bench . ./futures
//
// and drop the build tag once go.mod is bumped.

package futures

import (
	"context"
	"runtime"
	"testing"

	"golang.org/x/sync/errgroup"
)

// Baseline: errgroup, unlimited (a goroutine per call) and limited to the
// pool's default worker count (a pool-like bound).
func BenchmarkErrgroup(b *testing.B) {
	for _, limit := range []int{-1, min(32, runtime.NumCPU()+4)} {
		name := "unlimited"
		if limit > 0 {
			name = "limited"
		}
		b.Run(name, func(b *testing.B) {
			ctx := context.Background()
			res := make([]int, benchBatch)
			benchBatches(b, func(n int) {
				var g errgroup.Group
				g.SetLimit(limit)
				for i := range n {
					g.Go(func() (err error) { res[i], err = noop(ctx); return err })
				}
				if err := g.Wait(); err != nil {
					b.Fatal(err)
				}
			})
		})
	}
}
