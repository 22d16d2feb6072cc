// Package demo registers the functions `concur serve` offers out of the
// box, so that a fresh server has something to run:
//
//	countdown  {"n": 100000000}  CPU-bound: counts n down to zero, the seeds' task()
//	sleep      {"seconds": 2}    I/O-bound stand-in: waits, honouring cancellation
//	square     5                 the seeds' square(x): x*x
//	echo       any JSON          returns its args
//
// Import it for its side effect, as cmd/concur does:
//
//	import _ "github.com/concurgo/concur/server/demo"
package demo

import (
	"context"
	"encoding/json"
	"time"

	"github.com/concurgo/concur/server"
)

func init() {
	server.Register("countdown", Countdown)
	server.Register("sleep", Sleep)
	server.Register("square", Square)
	server.Register("echo", Echo)
}

// CountdownArgs are countdown's arguments.
type CountdownArgs struct {
	N int64 `json:"n"` // how far to count down; 0 means the seeds' 100_000_000
}

// CountdownResult is countdown's result.
type CountdownResult struct {
	N       int64   `json:"n"`
	Seconds float64 `json:"seconds"`
}

// Countdown is the seeds' CPU-bound task — `while n: n -= 1` — with a
// cancellation check every million steps: in thread mode a goroutine can
// only stop by returning, and in process mode the worker is killed anyway.
func Countdown(ctx context.Context, a CountdownArgs) (CountdownResult, error) {
	if a.N == 0 {
		a.N = 100_000_000
	}
	start := time.Now()
	for n := a.N; n > 0; n-- {
		if n&(1<<20-1) == 0 && ctx.Err() != nil {
			return CountdownResult{}, context.Cause(ctx)
		}
	}
	return CountdownResult{N: a.N, Seconds: time.Since(start).Seconds()}, nil
}

// SleepArgs are sleep's arguments.
type SleepArgs struct {
	Seconds float64 `json:"seconds"`
}

// SleepResult is sleep's result.
type SleepResult struct {
	Slept float64 `json:"slept"`
}

// Sleep waits the given seconds, or until the job is cancelled or times
// out: the seeds' time.sleep standing in for I/O-bound work.
func Sleep(ctx context.Context, a SleepArgs) (SleepResult, error) {
	t := time.NewTimer(time.Duration(a.Seconds * float64(time.Second)))
	defer t.Stop()
	select {
	case <-t.C:
		return SleepResult{Slept: a.Seconds}, nil
	case <-ctx.Done():
		return SleepResult{}, context.Cause(ctx)
	}
}

// Square is the seeds' square(x): x ** 2.
func Square(_ context.Context, x float64) (float64, error) { return x * x, nil }

// Echo returns its args unchanged.
func Echo(_ context.Context, v json.RawMessage) (json.RawMessage, error) {
	if v == nil {
		return json.RawMessage("null"), nil
	}
	return v, nil
}
