package futures

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

func checkWait[F interface {
	Awaitable
	comparable
}](t *testing.T, gotDone, gotNotDone, wantDone, wantNotDone []F) {
	t.Helper()
	if !slices.Equal(gotDone, wantDone) || !slices.Equal(gotNotDone, wantNotDone) {
		t.Fatalf("Wait = done %v, not done %v; want %v, %v", gotDone, gotNotDone, wantDone, wantNotDone)
	}
}

// hooks returns how many registrations a future holds.
func hooks(f Awaitable) int {
	c := f.futureCore()
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.hooks)
}

// test_20369: a future given twice is reported once.
func TestWaitDuplicates(t *testing.T) {
	f := successfulFuture(2)
	done, notDone, err := Wait(bg, []*Future[int]{f, f}, AllCompleted)
	checkWait(t, done, notDone, []*Future[int]{f}, nil)
	if err != nil {
		t.Fatal(err)
	}
}

func TestWaitEmpty(t *testing.T) {
	for _, when := range []ReturnWhen{AllCompleted, FirstCompleted, FirstException} {
		if done, notDone, err := Wait[*Future[int]](bg, nil, when); done != nil || notDone != nil || err != nil {
			t.Fatalf("Wait(%v) on nothing = %v, %v, %v", when, done, notDone, err)
		}
	}
}

// test_first_completed, with the difference concur makes on purpose: a
// cancelled future is done, so FIRST_COMPLETED returns at once for it
// (CPython counts a cancelled, not yet notified future as not done).
func TestWaitFirstCompleted(t *testing.T) {
	cancelled, f1, f2 := cancelledFuture(), pendingFuture(), pendingFuture()
	done, notDone, err := Wait(bg, []*Future[int]{cancelled, f1, f2}, FirstCompleted)
	checkWait(t, done, notDone, []*Future[int]{cancelled}, []*Future[int]{f1, f2})
	if err != nil {
		t.Fatal(err)
	}

	var p Promise[int]
	f3 := p.Future()
	go p.Resolve(42, nil)
	done, notDone, _ = Wait(bg, []*Future[int]{f3, f2}, FirstCompleted)
	checkWait(t, done, notDone, []*Future[int]{f3}, []*Future[int]{f2})
	if hooks(f2) != 0 {
		t.Fatal("Wait left its registration on a pending future")
	}
}

func TestWaitFirstCompletedSomeAlreadyCompleted(t *testing.T) {
	cancelled, ok, f1 := cancelledFuture(), successfulFuture(1), pendingFuture()
	done, notDone, _ := Wait(bg, []*Future[int]{cancelled, ok, f1}, FirstCompleted)
	checkWait(t, done, notDone, []*Future[int]{cancelled, ok}, []*Future[int]{f1})
}

// test_first_exception: f1 succeeds, then f2 fails; f3 is still running.
func TestWaitFirstException(t *testing.T) {
	pool := NewThreadPoolExecutor(WithMaxWorkers(3))
	defer shutdown(t, pool)
	block, release := blocker()
	defer release()
	f1 := mustSubmit(t, pool, value(42))
	f2 := mustSubmit(t, pool, func(ctx context.Context) (int, error) {
		f1.Result(ctx)
		return 0, errors.New("this is an exception")
	})
	f3 := mustSubmit(t, pool, block)
	done, notDone, _ := Wait(bg, []*Future[int]{f1, f2, f3}, FirstException)
	checkWait(t, done, notDone, []*Future[int]{f1, f2}, []*Future[int]{f3})
}

func TestWaitFirstExceptionSomeAlreadyComplete(t *testing.T) {
	ok, cancelled, failed, f2 := successfulFuture(1), cancelledFuture(), failedFuture(errDivByZero), pendingFuture()
	done, notDone, _ := Wait(bg, []*Future[int]{ok, cancelled, failed, f2}, FirstException)
	checkWait(t, done, notDone, []*Future[int]{ok, cancelled, failed}, []*Future[int]{f2})
}

// A cancellation is not an exception: FIRST_EXCEPTION keeps waiting.
func TestWaitFirstExceptionIgnoresCancelled(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f1, f2 := pendingFuture(), pendingFuture()
		ctx, cancel := context.WithTimeout(bg, time.Second)
		defer cancel()
		f1.Cancel()
		done, notDone, err := Wait(ctx, []*Future[int]{f1, f2}, FirstException)
		checkWait(t, done, notDone, []*Future[int]{f1}, []*Future[int]{f2})
		if err != context.DeadlineExceeded {
			t.Fatalf("err = %v, want the timeout", err)
		}
	})
}

func TestWaitFirstExceptionOneAlreadyFailed(t *testing.T) {
	failed, f1 := failedFuture(io.EOF), pendingFuture()
	done, notDone, _ := Wait(bg, []*Future[int]{failed, f1}, FirstException)
	checkWait(t, done, notDone, []*Future[int]{failed}, []*Future[int]{f1})
}

func TestWaitAllCompleted(t *testing.T) {
	pool := NewThreadPoolExecutor()
	defer shutdown(t, pool)
	ok, cancelled, failed := successfulFuture(1), cancelledFuture(), failedFuture(io.EOF)
	f1 := mustSubmit(t, pool, func(ctx context.Context) (int, error) {
		q, err := divmod(ctx, pair{2, 0})
		return q.x, err
	})
	f2 := mustSubmit(t, pool, value(42))
	fs := []*Future[int]{ok, cancelled, failed, f1, f2}
	done, notDone, err := Wait(bg, fs, AllCompleted)
	checkWait(t, done, notDone, fs, nil)
	if err != nil {
		t.Fatal(err)
	}
}

// test_timeout: the futures not done when ctx ends are reported, with
// ctx's error.
func TestWaitTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ok, cancelled, failed, f := successfulFuture(1), cancelledFuture(), failedFuture(io.EOF), pendingFuture()
		ctx, cancel := context.WithTimeout(bg, 50*time.Millisecond)
		defer cancel()
		start := time.Now()
		done, notDone, err := Wait(ctx, []*Future[int]{cancelled, failed, ok, f}, AllCompleted)
		checkWait(t, done, notDone, []*Future[int]{cancelled, failed, ok}, []*Future[int]{f})
		if err != context.DeadlineExceeded || time.Since(start) != 50*time.Millisecond {
			t.Fatalf("err = %v after %v, want DeadlineExceeded after 50ms", err, time.Since(start))
		}
		if hooks(f) != 0 {
			t.Fatal("a timed-out Wait left its registration behind")
		}
	})
}

// gh-92001: a future cancelled while Wait waits is done at once, for every
// return_when; CPython's wait() can miss it and hang.
func TestWaitSeesCancelWhileWaiting(t *testing.T) {
	for _, when := range []ReturnWhen{AllCompleted, FirstCompleted} {
		synctest.Test(t, func(t *testing.T) {
			f, g := pendingFuture(), successfulFuture(1)
			go func() {
				time.Sleep(time.Second)
				f.Cancel()
			}()
			done, notDone, err := Wait(bg, []*Future[int]{f, g}, when)
			if when == FirstCompleted {
				checkWait(t, done, notDone, []*Future[int]{g}, []*Future[int]{f})
				done, notDone, err = Wait(bg, []*Future[int]{f}, when)
			}
			if len(done) == 0 || done[0] != f || len(notDone) != 0 || err != nil {
				t.Fatalf("Wait(%v) while f is cancelled = %v, %v, %v", when, done, notDone, err)
			}
		})
	}
}

// Futures of different result types are waited for together as
// Awaitables.
func TestWaitMixedTypes(t *testing.T) {
	var a Promise[int]
	var b Promise[string]
	go a.Resolve(1, nil)
	go b.Resolve("x", nil)
	fs := []Awaitable{a.Future(), b.Future()}
	done, notDone, err := Wait(bg, fs, AllCompleted)
	checkWait(t, done, notDone, fs, nil)
	if err != nil {
		t.Fatal(err)
	}
}

// test_pending_calls_race: many calls released at once, waited for all.
func TestWaitPendingCallsRace(t *testing.T) {
	pool := NewThreadPoolExecutor()
	defer shutdown(t, pool)
	block, release := blocker()
	var fs []*Future[int]
	for range 100 {
		fs = append(fs, mustSubmit(t, pool, block))
	}
	release()
	if done, _, _ := Wait(bg, fs, AllCompleted); len(done) != 100 {
		t.Fatalf("%d of 100 done", len(done))
	}
}

// Futures completed, failed and cancelled by many goroutines while Wait
// and AsCompleted watch them: nothing is missed or reported twice.
func TestWaitStress(t *testing.T) {
	for round := range 50 {
		ps := make([]*Promise[int], 64)
		fs := make([]*Future[int], len(ps))
		for i := range ps {
			ps[i] = new(Promise[int])
			fs[i] = ps[i].Future()
		}
		var wg sync.WaitGroup
		var yielded []*Future[int]
		wg.Go(func() {
			for f, err := range AsCompleted(bg, fs) {
				if err != nil {
					t.Error(err)
				}
				yielded = append(yielded, f)
			}
		})
		var done []*Future[int]
		wg.Go(func() { done, _, _ = Wait(bg, fs, AllCompleted) })
		for i, p := range ps {
			wg.Go(func() {
				switch (round + i) % 3 {
				case 0:
					p.Resolve(i, nil)
				case 1:
					p.Resolve(0, io.EOF)
				default:
					p.Future().Cancel()
				}
			})
		}
		wg.Wait()
		if len(done) != len(fs) || len(yielded) != len(fs) {
			t.Fatalf("Wait saw %d, AsCompleted %d of %d", len(done), len(yielded), len(fs))
		}
		slices.SortFunc(yielded, func(a, b *Future[int]) int { return strings.Compare(fmt.Sprintf("%p", a), fmt.Sprintf("%p", b)) })
		if len(slices.Compact(yielded)) != len(fs) {
			t.Fatal("AsCompleted yielded a future twice")
		}
	}
}

func TestAsCompleted(t *testing.T) {
	pool := NewThreadPoolExecutor()
	defer shutdown(t, pool)
	cancelled, failed, ok := cancelledFuture(), failedFuture(io.EOF), successfulFuture(1)
	f1, f2 := mustSubmit(t, pool, value(42)), mustSubmit(t, pool, value(42))
	fs := []*Future[int]{cancelled, failed, ok, f1, f2}
	seen := map[*Future[int]]int{}
	for f, err := range AsCompleted(bg, fs) {
		if err != nil {
			t.Fatal(err)
		}
		seen[f]++
	}
	for _, f := range fs {
		if seen[f] != 1 {
			t.Fatalf("%v yielded %d times", f, seen[f])
		}
	}
}

// Already done futures come first, in input order; then completion order.
func TestAsCompletedOrder(t *testing.T) {
	ps := make([]*Promise[int], 4)
	fs := make([]*Future[int], 4)
	for i := range ps {
		ps[i] = new(Promise[int])
		fs[i] = ps[i].Future()
	}
	ps[3].Resolve(3, nil)
	ps[1].Future().Cancel()
	order := []int{2, 0}
	var got []*Future[int]
	for f := range AsCompleted(bg, fs) {
		got = append(got, f)
		if len(order) > 0 && len(got) >= 2 {
			ps[order[0]].Resolve(order[0], nil)
			order = order[1:]
		}
	}
	want := []*Future[int]{fs[1], fs[3], fs[2], fs[0]}
	if !slices.Equal(got, want) {
		t.Fatalf("AsCompleted order %v, want %v", got, want)
	}
}

// test_future_times_out and test_correct_timeout_exception_msg: the done
// futures, then one error that says how many are unfinished.
func TestAsCompletedTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		for _, timeout := range []time.Duration{0, 100 * time.Millisecond} {
			cancelled, pending, running, ok := cancelledFuture(), pendingFuture(), runningFuture(), successfulFuture(1)
			ctx, cancel := context.WithTimeout(bg, timeout)
			var got []*Future[int]
			var last error
			start := time.Now()
			for f, err := range AsCompleted(ctx, []*Future[int]{cancelled, pending, running, ok}) {
				if err != nil {
					last = err
					if f != nil {
						t.Fatal("the timeout came with a future")
					}
					continue
				}
				got = append(got, f)
			}
			cancel()
			if !slices.Equal(got, []*Future[int]{cancelled, ok}) {
				t.Fatalf("yielded %v before the timeout", got)
			}
			if !errors.Is(last, context.DeadlineExceeded) || last.Error() != "futures: 2 (of 4) futures unfinished: context deadline exceeded" {
				t.Fatalf("timeout error %q", last)
			}
			if time.Since(start) != timeout {
				t.Fatalf("timed out after %v, want %v", time.Since(start), timeout)
			}
			if hooks(pending) != 0 || hooks(running) != 0 {
				t.Fatal("AsCompleted left registrations behind")
			}
		}
	})
}

// test_duplicate_futures: a future given three times is yielded once.
func TestAsCompletedDuplicates(t *testing.T) {
	var p Promise[int]
	f := p.Future()
	go p.Resolve(1, nil)
	n := 0
	for range AsCompleted(bg, []*Future[int]{f, f, f}) {
		n++
	}
	if n != 1 {
		t.Fatalf("yielded %d times, want 1", n)
	}
}

func TestAsCompletedStopEarly(t *testing.T) {
	ok, f := successfulFuture(1), pendingFuture()
	for range AsCompleted(bg, []*Future[int]{ok, f}) {
		break
	}
	if hooks(f) != 0 {
		t.Fatal("stopping the range left a registration behind")
	}
	f.Cancel()
}

// Cancel during AsCompleted: the cancelled future is yielded at once.
func TestAsCompletedSeesCancel(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := pendingFuture()
		go func() {
			time.Sleep(time.Hour)
			f.Cancel()
		}()
		for got := range AsCompleted(bg, []*Future[int]{f}) {
			if got != f || !got.Cancelled() {
				t.Fatalf("yielded %v", got)
			}
		}
	})
}

func TestAsCompletedRandomOrder(t *testing.T) {
	ps := make([]*Promise[int], 20)
	fs := make([]*Future[int], len(ps))
	for i := range ps {
		ps[i] = new(Promise[int])
		fs[i] = ps[i].Future()
	}
	perm := rand.Perm(len(ps))
	go func() {
		for _, i := range perm {
			ps[i].Resolve(i, nil)
			time.Sleep(time.Microsecond)
		}
	}()
	n := 0
	for f := range AsCompleted(bg, fs) {
		if !f.State().Done() {
			t.Fatalf("yielded %v before it was done", f)
		}
		n++
	}
	if n != len(fs) {
		t.Fatalf("yielded %d of %d", n, len(fs))
	}
}

func TestReturnWhenString(t *testing.T) {
	for w, s := range map[ReturnWhen]string{AllCompleted: "ALL_COMPLETED", FirstCompleted: "FIRST_COMPLETED", FirstException: "FIRST_EXCEPTION", 7: "ReturnWhen(7)"} {
		if w.String() != s {
			t.Errorf("%d.String() = %q", int(w), w.String())
		}
	}
}
