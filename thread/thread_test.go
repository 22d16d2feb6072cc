package thread

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/concurgo/concur"
)

// The tests follow CPython's Lib/test/test_threading.py where its
// semantics make sense for goroutines.

// quiet replaces the except hook for the duration of a test, so tests of
// failing threads do not print.
func quiet(t *testing.T) {
	prev := SetExceptHook(func(ExceptHookArgs) {})
	t.Cleanup(func() { SetExceptHook(prev) })
}

func worker() error { return nil }

func TestThreadDefaultNames(t *testing.T) {
	a, b := New(worker), New(func() error { return nil })
	r := NewRunner(runnerFunc(worker))
	named := New(worker, WithName("Worker-1"))
	var n int
	if _, err := fmt.Sscanf(a.Name(), "Thread-%d (worker)", &n); err != nil {
		t.Fatalf("name %q: %v", a.Name(), err)
	}
	// Python numbers only default-named threads, in creation order.
	if want := fmt.Sprintf("Thread-%d (TestThreadDefaultNames.func1)", n+1); b.Name() != want {
		t.Errorf("closure thread name %q, want %q", b.Name(), want)
	}
	if want := fmt.Sprintf("Thread-%d", n+2); r.Name() != want {
		t.Errorf("runner thread name %q, want %q", r.Name(), want)
	}
	if named.Name() != "Worker-1" {
		t.Errorf("named thread name %q", named.Name())
	}
	named.SetName("renamed")
	if named.Name() != "renamed" {
		t.Errorf("after SetName %q", named.Name())
	}
}

type runnerFunc func() error

func (f runnerFunc) Run() error { return f() }

type methodRunner struct{}

func (*methodRunner) Work() error { return nil }

func TestFuncName(t *testing.T) {
	for fn, want := range map[*func() error]string{
		ptr(worker):                      "worker",
		ptr((&methodRunner{}).Work):      "(*methodRunner).Work",
		ptr(func() error { return nil }): "TestFuncName.func1",
	} {
		if got := funcName(reflect.ValueOf(*fn).Pointer()); got != want {
			t.Errorf("funcName = %q, want %q", got, want)
		}
	}
}

func ptr[T any](v T) *T { return &v }

func TestThreadStartJoin(t *testing.T) {
	ran := false
	th := New(func() error { ran = true; return nil })
	if th.Ident() != 0 || th.IsAlive() {
		t.Fatal("unstarted thread has an ident or is alive")
	}
	if err := th.Join(bg); !errors.Is(err, ErrNotStarted) {
		t.Fatalf("Join before Start = %v, want ErrNotStarted", err)
	}
	if err := th.Start(); err != nil {
		t.Fatal(err)
	}
	if th.Ident() == 0 {
		t.Fatal("started thread has no ident")
	}
	if err := th.Join(bg); err != nil {
		t.Fatal(err)
	}
	if !ran || th.IsAlive() {
		t.Fatalf("ran %v, alive %v after Join", ran, th.IsAlive())
	}
	if err := th.Start(); !errors.Is(err, ErrAlreadyStarted) {
		t.Fatalf("second Start = %v, want ErrAlreadyStarted", err)
	}
	if th.Ident() == 0 {
		t.Fatal("ident lost after the thread stopped")
	}
	if err := th.Join(bg); err != nil {
		t.Fatal("second Join:", err)
	}
}

func TestThreadIdentRightAfterStart(t *testing.T) {
	// Ident never reports 0 for a started thread, even from a goroutine
	// racing with Start.
	for range 100 {
		th := New(worker)
		got := make(chan int64)
		go func() {
			for th.state.Load() == stateNew {
				runtime.Gosched()
			}
			got <- th.Ident()
		}()
		th.Start()
		if id := <-got; id == 0 {
			t.Fatal("Ident = 0 for a started thread")
		}
		th.Join(bg)
	}
}

func TestThreadDropsTarget(t *testing.T) {
	// test_no_refcycle_through_target: a stopped thread does not keep what
	// its target captured.
	big := new([1 << 20]byte)
	collected := make(chan struct{})
	runtime.AddCleanup(big, func(struct{}) { close(collected) }, struct{}{})
	th := New(func() error { big[0] = 1; return nil })
	big = nil
	th.Start()
	th.Join(bg)
	for range 100 {
		runtime.GC()
		select {
		case <-collected:
			if th.Name() == "" { // th is still reachable here
				t.Fatal("no name")
			}
			return
		case <-time.After(time.Millisecond):
		}
	}
	t.Fatal("a stopped thread keeps its target's captures alive")
}

func TestThreadIdentIsGoroutineID(t *testing.T) {
	ids := make(chan int64, 1)
	th := New(func() error { ids <- Ident(); return nil })
	th.Start()
	th.Join(bg)
	if got := <-ids; got != th.Ident() {
		t.Fatalf("Ident() inside = %d, thread Ident = %d", got, th.Ident())
	}
}

func TestThreadIdentsAreUnique(t *testing.T) {
	seen := map[int64]bool{}
	for range 20 {
		th := New(worker)
		th.Start()
		th.Join(bg)
		if seen[th.Ident()] {
			t.Fatalf("ident %d reused", th.Ident())
		}
		seen[th.Ident()] = true
	}
}

func TestThreadOutcome(t *testing.T) {
	quiet(t)
	boom := errors.New("boom")
	for _, tc := range []struct {
		name   string
		target func() error
		check  func(error) bool
	}{
		{"nil", func() error { return nil }, func(err error) bool { return err == nil }},
		{"error", func() error { return boom }, func(err error) bool { return err == boom }},
		{"panic", func() error { panic(boom) }, func(err error) bool {
			var pe *concur.PanicError
			return errors.As(err, &pe) && errors.Is(err, boom) && len(pe.Stack) > 0
		}},
		{"goexit", func() error { runtime.Goexit(); return nil }, func(err error) bool {
			return err == concur.ErrGoexit
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			th := New(tc.target)
			if th.Err() != nil {
				t.Fatal("Err before start")
			}
			th.Start()
			err := th.Join(bg)
			if !tc.check(err) {
				t.Fatalf("Join = %v", err)
			}
			if th.Err() != err {
				t.Fatalf("Err = %v, Join = %v", th.Err(), err)
			}
			if !ready(th.Done()) {
				t.Fatal("Done not closed after Join")
			}
		})
	}
}

func TestThreadJoinTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var release Event
		th := New(func() error { return release.Wait(bg) })
		th.Start()
		ctx, cancel := context.WithTimeout(bg, 2*time.Second)
		defer cancel()
		start := time.Now()
		if err := th.Join(ctx); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Join = %v, want DeadlineExceeded", err)
		}
		if d := time.Since(start); d != 2*time.Second {
			t.Fatalf("Join returned after %v", d)
		}
		if !th.IsAlive() {
			t.Fatal("thread not alive after a timed-out Join")
		}
		release.Set()
		if err := th.Join(bg); err != nil {
			t.Fatal(err)
		}
	})
}

func TestThreadJoinSelf(t *testing.T) {
	quiet(t)
	var th *Thread
	started := make(chan struct{})
	th = New(func() error {
		<-started
		return th.Join(bg)
	})
	th.Start()
	close(started)
	if err := th.Join(bg); !errors.Is(err, ErrJoinCurrent) {
		t.Fatalf("self-Join = %v, want ErrJoinCurrent", err)
	}
}

func TestThreadManyJoiners(t *testing.T) {
	var release Event
	th := New(func() error { release.Wait(bg); return errors.New("x") })
	quiet(t)
	th.Start()
	var wg sync.WaitGroup
	for range 10 {
		wg.Go(func() {
			if err := th.Join(bg); err == nil || err.Error() != "x" {
				t.Errorf("Join = %v", err)
			}
		})
	}
	release.Set()
	wg.Wait()
}

func TestThreadDaemon(t *testing.T) {
	th := New(worker, WithDaemon(false))
	if th.Daemon() {
		t.Fatal("WithDaemon(false) ignored")
	}
	if err := th.SetDaemon(true); err != nil || !th.Daemon() {
		t.Fatalf("SetDaemon before start: %v, daemon %v", err, th.Daemon())
	}
	th.Start()
	if err := th.SetDaemon(false); !errors.Is(err, ErrAlreadyStarted) {
		t.Fatalf("SetDaemon after start = %v, want ErrAlreadyStarted", err)
	}
	th.Join(bg)
}

func TestThreadDaemonInherited(t *testing.T) {
	// A test goroutine is foreign, a dummy, so a daemon creator.
	if !New(worker).Daemon() {
		t.Fatal("thread made by a foreign goroutine is not a daemon")
	}
	kids := make(chan bool, 2)
	for _, daemon := range []bool{false, true} {
		th := New(func() error {
			kids <- New(worker).Daemon()
			return nil
		}, WithDaemon(daemon))
		th.Start()
		th.Join(bg)
		if got := <-kids; got != daemon {
			t.Errorf("child of daemon=%v thread has daemon=%v", daemon, got)
		}
	}
}

func TestThreadString(t *testing.T) {
	th := New(worker, WithName("w"), WithDaemon(true))
	if got := th.String(); got != "<Thread(w, initial daemon)>" {
		t.Fatal(got)
	}
	th.Start()
	th.Join(bg)
	if ok, _ := regexp.MatchString(`^<Thread\(w, stopped daemon \d+\)>$`, th.String()); !ok {
		t.Fatal(th.String())
	}
	if got := Main().String(); !strings.HasPrefix(got, "<Thread(MainThread, started ") {
		t.Fatal(got)
	}
}

func TestNilTargetsPanic(t *testing.T) {
	for name, fn := range map[string]func(){
		"New":        func() { New(nil) },
		"NewRunner":  func() { NewRunner(nil) },
		"NewTimer":   func() { NewTimer(time.Second, nil) },
		"zero Start": func() { new(Thread).Start() },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s(nil) did not panic", name)
				}
			}()
			fn()
		}()
	}
}

type myThread struct {
	*Thread
	number, result int
}

func (m *myThread) Run() error {
	m.result = m.number * 2
	return nil
}

func TestRunnerSubclassPattern(t *testing.T) {
	threads := make([]*myThread, 5)
	for i := range threads {
		m := &myThread{number: i}
		m.Thread = NewRunner(m)
		threads[i] = m
		m.Start()
	}
	for i, m := range threads {
		if err := m.Join(bg); err != nil {
			t.Fatal(err)
		}
		if m.result != 2*i {
			t.Fatalf("result %d, want %d", m.result, 2*i)
		}
	}
}
