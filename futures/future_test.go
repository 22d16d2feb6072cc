package futures

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"regexp"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// The futures of CPython's test util: one in every state.
func pendingFuture() *Future[int] { return new(Promise[int]).Future() }

func runningFuture() *Future[int] {
	p := new(Promise[int])
	p.Start()
	return p.Future()
}

func cancelledFuture() *Future[int] {
	f := pendingFuture()
	f.Cancel()
	return f
}

func failedFuture(err error) *Future[int] {
	p := new(Promise[int])
	p.Resolve(0, err)
	return p.Future()
}

func successfulFuture(v int) *Future[int] {
	p := new(Promise[int])
	p.Resolve(v, nil)
	return p.Future()
}

func isClosed(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

func TestStates(t *testing.T) {
	errOS := errors.New("os error")
	tests := []struct {
		name                     string
		f                        *Future[int]
		state                    State
		done, running, cancelled bool
		err                      error
	}{
		{"pending", pendingFuture(), Pending, false, false, false, nil},
		{"running", runningFuture(), Running, false, true, false, nil},
		{"cancelled", cancelledFuture(), Cancelled, true, false, true, ErrCancelled},
		{"exception", failedFuture(errOS), Finished, true, false, false, errOS},
		{"successful", successfulFuture(42), Finished, true, false, false, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := tt.f
			if f.State() != tt.state {
				t.Errorf("State() = %v, want %v", f.State(), tt.state)
			}
			if f.State().Done() != tt.done || isClosed(f.Done()) != tt.done {
				t.Errorf("done = %v / Done() closed = %v, want %v", f.State().Done(), isClosed(f.Done()), tt.done)
			}
			if f.Running() != tt.running {
				t.Errorf("Running() = %v, want %v", f.Running(), tt.running)
			}
			if f.Cancelled() != tt.cancelled {
				t.Errorf("Cancelled() = %v, want %v", f.Cancelled(), tt.cancelled)
			}
			if err := f.Err(); !errors.Is(err, tt.err) || (tt.err == nil) != (err == nil) {
				t.Errorf("Err() = %v, want %v", err, tt.err)
			}
		})
	}
}

func TestStateString(t *testing.T) {
	for s, want := range map[State]string{Pending: "pending", Running: "running", Cancelled: "cancelled", Finished: "finished", 9: "State(9)"} {
		if s.String() != want {
			t.Errorf("%d.String() = %q, want %q", int(s), s.String(), want)
		}
	}
}

func TestString(t *testing.T) {
	for f, pattern := range map[*Future[int]]string{
		pendingFuture():                  `^<Future at 0x[0-9a-f]+ state=pending>$`,
		runningFuture():                  `^<Future at 0x[0-9a-f]+ state=running>$`,
		cancelledFuture():                `^<Future at 0x[0-9a-f]+ state=cancelled>$`,
		failedFuture(&os.PathError{}):    `^<Future at 0x[0-9a-f]+ state=finished raised \*fs.PathError>$`,
		successfulFuture(42):             `^<Future at 0x[0-9a-f]+ state=finished returned int>$`,
		failedFuture(errors.New("boom")): `raised \*errors.errorString>$`,
	} {
		if !regexp.MustCompile(pattern).MatchString(f.String()) {
			t.Errorf("String() = %q, want match for %s", f.String(), pattern)
		}
	}
}

// test_cancel: only a pending future can be cancelled; a cancelled one
// stays cancelled and says so.
func TestCancel(t *testing.T) {
	tests := []struct {
		f     *Future[int]
		want  bool
		state State
	}{
		{pendingFuture(), true, Cancelled},
		{runningFuture(), false, Running},
		{cancelledFuture(), true, Cancelled},
		{failedFuture(io.EOF), false, Finished},
		{successfulFuture(5), false, Finished},
	}
	for _, tt := range tests {
		if got := tt.f.Cancel(); got != tt.want || tt.f.State() != tt.state {
			t.Errorf("Cancel() on %v = %v, state %v; want %v, %v", tt.f, got, tt.f.State(), tt.want, tt.state)
		}
	}
}

// A cancelled future is done at once: Done is closed, callbacks have run
// and Result returns, all before Cancel returns.
func TestCancelIsDoneAtOnce(t *testing.T) {
	f := pendingFuture()
	done := f.Done()
	called := false
	f.AddDoneCallback(func(*Future[int]) { called = true })
	if !f.Cancel() {
		t.Fatal("Cancel() = false on a pending future")
	}
	if !isClosed(done) || !called {
		t.Fatalf("after Cancel: Done closed %v, callback called %v", isClosed(done), called)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // Result must not need to wait
	if _, err := f.Result(ctx); !errors.Is(err, ErrCancelled) {
		t.Fatalf("Result() err = %v, want ErrCancelled", err)
	}
}

func TestDoneCallbackWithResult(t *testing.T) {
	var p Promise[int]
	var got int
	p.Future().AddDoneCallback(func(f *Future[int]) { got, _ = f.Result(context.Background()) })
	if err := p.Resolve(5, nil); err != nil {
		t.Fatal(err)
	}
	if got != 5 {
		t.Fatalf("callback saw %d, want 5", got)
	}
}

func TestDoneCallbackWithError(t *testing.T) {
	var p Promise[int]
	var got error
	p.Future().AddDoneCallback(func(f *Future[int]) { got = f.Err() })
	p.Resolve(0, io.EOF)
	if got != io.EOF {
		t.Fatalf("callback saw %v, want io.EOF", got)
	}
}

func TestDoneCallbackWithCancel(t *testing.T) {
	f := pendingFuture()
	var wasCancelled bool
	f.AddDoneCallback(func(f *Future[int]) { wasCancelled = f.Cancelled() })
	if !f.Cancel() || !wasCancelled {
		t.Fatalf("callback saw cancelled = %v", wasCancelled)
	}
}

func TestDoneCallbackAlreadyDone(t *testing.T) {
	for _, f := range []*Future[int]{successfulFuture(5), failedFuture(io.EOF), cancelledFuture()} {
		var got *Future[int]
		f.AddDoneCallback(func(f *Future[int]) { got = f })
		if got != f {
			t.Errorf("callback on done %v not called at once", f)
		}
	}
}

func TestDoneCallbacksRunInOrderOnce(t *testing.T) {
	var p Promise[int]
	var order []int
	for i := range 3 {
		p.Future().AddDoneCallback(func(*Future[int]) { order = append(order, i) })
	}
	p.Resolve(1, nil)
	p.Future().Cancel()
	p.Resolve(2, nil)
	if len(order) != 3 || order[0] != 0 || order[1] != 1 || order[2] != 2 {
		t.Fatalf("callbacks ran %v, want [0 1 2]", order)
	}
}

// captureLog sends slog's default output to a buffer for the test.
func captureLog(t *testing.T) *bytes.Buffer {
	var buf bytes.Buffer
	old := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(&buf, nil)))
	t.Cleanup(func() { slog.SetDefault(old) })
	return &buf
}

// test_done_callback_raises: a panicking callback is logged and the next
// callback still runs.
func TestDoneCallbackPanics(t *testing.T) {
	log := captureLog(t)
	var p Promise[int]
	raised, called := false, false
	p.Future().AddDoneCallback(func(*Future[int]) { raised = true; panic("doh!") })
	p.Future().AddDoneCallback(func(*Future[int]) { called = true })
	p.Resolve(5, nil)
	if !raised || !called {
		t.Fatalf("raising callback called %v, next callback called %v", raised, called)
	}
	if out := log.String(); !regexp.MustCompile(`panic in done callback.*panic=doh!`).MatchString(out) {
		t.Fatalf("log = %q, want the callback's panic", out)
	}
}

func TestDoneCallbackPanicsAlreadyDone(t *testing.T) {
	log := captureLog(t)
	successfulFuture(5).AddDoneCallback(func(*Future[int]) { panic("doh!") })
	if out := log.String(); !regexp.MustCompile(`future="<Future at 0x[0-9a-f]+ state=finished returned int>".*doh!`).MatchString(out) {
		t.Fatalf("log = %q, want the future and the panic", out)
	}
}

// test_result_with_timeout and test_exception_with_timeout: a deadline
// already passed returns at once for every state.
func TestResultWithTimeout(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 0)
	defer cancel()
	for f, want := range map[*Future[int]]error{
		pendingFuture():      context.DeadlineExceeded,
		runningFuture():      context.DeadlineExceeded,
		cancelledFuture():    ErrCancelled,
		failedFuture(io.EOF): io.EOF,
	} {
		if _, err := f.Result(ctx); !errors.Is(err, want) {
			t.Errorf("%v.Result() err = %v, want %v", f, err, want)
		}
	}
	if v, err := successfulFuture(42).Result(ctx); v != 42 || err != nil {
		t.Errorf("Result() = %v, %v, want 42, nil", v, err)
	}
}

func TestResultWaits(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var p Promise[int]
		go func() {
			time.Sleep(time.Second)
			p.Resolve(42, nil)
		}()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		start := time.Now()
		if v, err := p.Future().Result(ctx); v != 42 || err != nil {
			t.Fatalf("Result() = %v, %v", v, err)
		}
		if d := time.Since(start); d != time.Second {
			t.Fatalf("Result returned after %v, want 1s", d)
		}
	})
}

func TestResultWaitsForCancel(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := pendingFuture()
		go func() {
			time.Sleep(time.Second)
			f.Cancel()
		}()
		if _, err := f.Result(context.Background()); !errors.Is(err, ErrCancelled) {
			t.Fatalf("Result() err = %v, want ErrCancelled", err)
		}
	})
}

func TestResultTimesOut(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := runningFuture()
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		defer cancel()
		start := time.Now()
		if _, err := f.Result(ctx); err != context.DeadlineExceeded {
			t.Fatalf("Result() err = %v, want DeadlineExceeded", err)
		}
		if d := time.Since(start); d != 3*time.Second {
			t.Fatalf("timed out after %v, want 3s", d)
		}
		if f.State() != Running {
			t.Fatalf("a timed-out wait changed the future to %v", f.State())
		}
	})
}

// test_multiple_set_result / set_exception: the first outcome stays.
func TestResolveTwice(t *testing.T) {
	var p Promise[int]
	if err := p.Resolve(1, nil); err != nil {
		t.Fatal(err)
	}
	err := p.Resolve(2, nil)
	if !errors.Is(err, ErrInvalidState) || !regexp.MustCompile(`state=finished returned int`).MatchString(err.Error()) {
		t.Fatalf("second Resolve err = %v, want ErrInvalidState naming the future", err)
	}
	if err := p.Resolve(0, io.EOF); !errors.Is(err, ErrInvalidState) {
		t.Fatalf("Resolve with an error after a result: %v", err)
	}
	if v, err := p.Future().Result(context.Background()); v != 1 || err != nil {
		t.Fatalf("Result() = %v, %v, want 1, nil", v, err)
	}
}

func TestPromiseStart(t *testing.T) {
	var p Promise[int]
	if !p.Start() || p.Future().State() != Running {
		t.Fatal("Start on a pending future did not start it")
	}
	if p.Start() {
		t.Fatal("Start twice returned true")
	}
	if p.Future().Cancel() {
		t.Fatal("Cancel succeeded on a running future")
	}
	var q Promise[int]
	q.Future().Cancel()
	if q.Start() {
		t.Fatal("Start on a cancelled future returned true (set_running_or_notify_cancel)")
	}
	if err := q.Resolve(1, nil); !errors.Is(err, ErrInvalidState) {
		t.Fatalf("Resolve on a cancelled future: %v", err)
	}
}

func TestPromiseFail(t *testing.T) {
	var p Promise[int]
	if !p.Fail(io.EOF) || p.Future().Err() != io.EOF || p.Future().State() != Finished {
		t.Fatalf("Fail on a pending future: %v", p.Future())
	}
	var q Promise[int]
	q.Start()
	if q.Fail(io.EOF) || q.Future().State() != Running {
		t.Fatal("Fail changed a running future")
	}
}

func TestBindCancelsWhenContextEnds(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		var p Promise[int]
		p.Bind(ctx)
		time.Sleep(time.Minute)
		synctest.Wait()
		f := p.Future()
		if !f.Cancelled() || !errors.Is(f.Err(), ErrCancelled) || !errors.Is(f.Err(), context.DeadlineExceeded) {
			t.Fatalf("future after ctx deadline: %v, err %v", f, f.Err())
		}
		if p.Start() {
			t.Fatal("Start succeeded after ctx cancelled the future")
		}
	})
}

func TestBindReleasedByStart(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	var p Promise[int]
	p.Bind(ctx)
	if !p.Start() {
		t.Fatal("Start failed")
	}
	cancel()
	if p.Future().State() != Running {
		t.Fatalf("ctx ended after Start changed the future to %v", p.Future().State())
	}
	p.Resolve(1, nil)
}

func TestBindDoneContext(t *testing.T) {
	ctx, cancel := context.WithCancelCause(context.Background())
	cancel(io.ErrClosedPipe)
	var p Promise[int]
	p.Bind(ctx)
	if f := p.Future(); !f.Cancelled() || !errors.Is(f.Err(), io.ErrClosedPipe) {
		t.Fatalf("Bind to a done ctx: %v, %v", f, f.Err())
	}
}

// Cancel, Start, Resolve, Done, callbacks and Result race from many
// goroutines: exactly one of Cancel and Start wins, every callback runs
// exactly once, Done is closed and every waiter wakes.
func TestFutureRaces(t *testing.T) {
	for range 200 {
		var p Promise[int]
		f := p.Future()
		var calls atomic.Int32
		var cancelled, started atomic.Bool
		var wg sync.WaitGroup
		for range 4 {
			wg.Go(func() { f.AddDoneCallback(func(*Future[int]) { calls.Add(1) }) })
			wg.Go(func() { f.Result(context.Background()) })
			wg.Go(func() { <-f.Done() })
		}
		wg.Go(func() { cancelled.Store(f.Cancel()) })
		wg.Go(func() {
			if p.Start() {
				started.Store(true)
				p.Resolve(7, nil)
			}
		})
		wg.Wait()
		if cancelled.Load() == started.Load() {
			t.Fatalf("Cancel won %v and Start won %v", cancelled.Load(), started.Load())
		}
		if calls.Load() != 4 {
			t.Fatalf("%d callbacks ran, want 4", calls.Load())
		}
		if started.Load() {
			if v, err := f.Result(context.Background()); v != 7 || err != nil {
				t.Fatalf("Result() = %v, %v", v, err)
			}
		}
	}
}
