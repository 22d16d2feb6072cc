package aio_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"time"

	"github.com/concurgo/concur/aio"
)

// The seeds' asyncio.gather of three tasks: the calls run at once and the
// results come back in argument order.
func ExampleGather() {
	task := func(name string) func(context.Context) (string, error) {
		return func(ctx context.Context) (string, error) {
			if err := aio.Sleep(ctx, 10*time.Millisecond); err != nil { // await asyncio.sleep(...)
				return "", err
			}
			return "task " + name + " finished", nil
		}
	}
	results, err := aio.Gather(context.Background(), task("0"), task("1"), task("2"))
	fmt.Println(results, err)
	// Output: [task 0 finished task 1 finished task 2 finished] <nil>
}

// GatherAll is gather(..., return_exceptions=True): every outcome in its
// slot.
func ExampleGatherAll() {
	parse := func(s string) func(context.Context) (int, error) {
		return func(context.Context) (int, error) {
			var n int
			_, err := fmt.Sscan(s, &n)
			return n, err
		}
	}
	results, errs := aio.GatherAll(context.Background(), parse("1"), parse("x"), parse("3"))
	fmt.Println(results, errs[0], errs[1] != nil, errs[2])
	// Output: [1 0 3] <nil> true <nil>
}

// In a TaskGroup the first failure cancels the other calls, and Wait
// reports it.
func ExampleTaskGroup() {
	g, ctx := aio.NewTaskGroup(context.Background())
	g.Go(func(ctx context.Context) error {
		return aio.Sleep(ctx, time.Hour) // cancelled by the failure below
	})
	g.Go(func(ctx context.Context) error {
		return errors.New("payment service down")
	})
	err := g.Wait()
	fmt.Println(err)
	fmt.Println(context.Cause(ctx))
	// Output:
	// payment service down
	// payment service down
}

// The first response wins: stopping the range cancels the slower calls,
// and AsCompleted returns only when they have.
func ExampleAsCompleted() {
	mirror := func(name string, slow bool) func(context.Context) (string, error) {
		return func(ctx context.Context) (string, error) {
			if slow {
				<-ctx.Done()
				return "", ctx.Err()
			}
			return name, nil
		}
	}
	for name, err := range aio.AsCompleted(context.Background(), mirror("eu", true), mirror("us", false), mirror("asia", true)) {
		fmt.Println(name, err)
		break
	}
	// Output: us <nil>
}

// asyncio.wait_for: the call gets a deadline and reports the timeout as
// context.DeadlineExceeded.
func ExampleWaitFor() {
	_, err := aio.WaitFor(context.Background(), 10*time.Millisecond, func(ctx context.Context) (string, error) {
		return "", aio.Sleep(ctx, time.Hour)
	})
	fmt.Println(errors.Is(err, context.DeadlineExceeded))
	// Output: true
}

// A fan-out of HTTP requests with at most two in flight — aiohttp with an
// asyncio.Semaphore in Python; plain net/http here.
func ExampleLimiter() {
	var inFlight, peak atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := inFlight.Add(1)
		defer inFlight.Add(-1)
		for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
		}
		time.Sleep(time.Millisecond)
		io.WriteString(w, r.URL.Path)
	}))
	defer srv.Close()

	lim := aio.NewLimiter(2)
	var fetches []func(context.Context) (string, error)
	for _, path := range []string{"/a", "/b", "/c", "/d", "/e"} {
		fetches = append(fetches, func(ctx context.Context) (string, error) {
			if err := lim.Acquire(ctx); err != nil {
				return "", err
			}
			defer lim.Release()
			req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+path, nil)
			resp, err := srv.Client().Do(req)
			if err != nil {
				return "", err
			}
			defer resp.Body.Close()
			body, err := io.ReadAll(resp.Body)
			return string(body), err
		})
	}
	pages, err := aio.Gather(context.Background(), fetches...)
	fmt.Println(pages, err, peak.Load() <= 2)
	// Output: [/a /b /c /d /e] <nil> true
}
