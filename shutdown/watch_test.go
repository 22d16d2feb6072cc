package shutdown

import (
	"context"
	"errors"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"testing/synctest"
	"time"
)

// fake drives watch with signals sent by the test, inside a synctest
// bubble, where the grace period passes exactly and without sleeping.
type fake struct {
	sigs     chan os.Signal
	released atomic.Bool
	ctx      context.Context
	stop     context.CancelFunc

	mu       sync.Mutex
	hardSeen []error // the causes the hard-stop hook saw
}

func (f *fake) hard() []error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.hardSeen
}

func startFake(t *testing.T, parent context.Context, opts ...Option) *fake {
	f := &fake{sigs: make(chan os.Signal, 2)}
	opts = append(opts, OnHardStop(func(cause error) {
		f.mu.Lock()
		defer f.mu.Unlock()
		f.hardSeen = append(f.hardSeen, cause)
	}))
	f.ctx, f.stop = watch(parent, newConfig(opts), f.sigs, func() { f.released.Store(true) })
	t.Cleanup(f.stop)
	return f
}

func (f *fake) send(sig os.Signal) {
	f.sigs <- sig
	synctest.Wait()
}

func signalOf(t *testing.T, err error) os.Signal {
	t.Helper()
	var se *SignalError
	if !errors.As(err, &se) {
		t.Fatalf("cause %v is not a *SignalError", err)
	}
	return se.Signal
}

func TestFirstSignalCancelsWithCause(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := startFake(t, context.Background(), Grace(time.Second))
		synctest.Wait()
		if f.ctx.Err() != nil {
			t.Fatal("cancelled before any signal")
		}
		f.send(syscall.SIGTERM)
		if f.ctx.Err() != context.Canceled {
			t.Fatalf("Err = %v", f.ctx.Err())
		}
		cause := context.Cause(f.ctx)
		if signalOf(t, cause) != syscall.SIGTERM || !errors.Is(cause, context.Canceled) {
			t.Errorf("cause = %v", cause)
		}
		if cause.Error() != "shutdown: terminated signal received" {
			t.Errorf("Error() = %q", cause)
		}
		if f.hard() != nil || f.released.Load() {
			t.Error("the first signal was a hard stop")
		}
	})
}

func TestGraceExpiryIsHardStop(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const grace = 10 * time.Second
		f := startFake(t, context.Background(), Grace(grace))
		f.send(syscall.SIGINT)
		time.Sleep(grace - time.Nanosecond)
		synctest.Wait()
		if f.hard() != nil {
			t.Fatal("hard stop before the grace period ended")
		}
		time.Sleep(time.Nanosecond)
		synctest.Wait()
		if len(f.hard()) != 1 || f.hard()[0] != ErrGraceExpired || !f.released.Load() {
			t.Errorf("hard stops %v, released %v", f.hard(), f.released.Load())
		}
	})
}

func TestSecondSignalIsHardStop(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := startFake(t, context.Background(), Grace(time.Hour))
		f.send(syscall.SIGTERM)
		f.send(syscall.SIGINT)
		if len(f.hard()) != 1 || signalOf(t, f.hard()[0]) != syscall.SIGINT || !f.released.Load() {
			t.Fatalf("hard stops %v, released %v", f.hard(), f.released.Load())
		}
		time.Sleep(2 * time.Hour)
		synctest.Wait()
		if len(f.hard()) != 1 {
			t.Errorf("hard stop ran %d times", len(f.hard()))
		}
	})
}

func TestWithoutGraceOnlyASecondSignalForces(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := startFake(t, context.Background())
		f.send(syscall.SIGTERM)
		time.Sleep(24 * time.Hour)
		synctest.Wait()
		if f.hard() != nil {
			t.Fatal("hard stop without a second signal")
		}
		f.send(syscall.SIGTERM)
		if len(f.hard()) != 1 {
			t.Errorf("hard stops %v", f.hard())
		}
	})
}

func TestStopRulesOutHardStop(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := startFake(t, context.Background(), Grace(time.Second))
		f.send(syscall.SIGTERM)
		f.stop()
		f.stop()
		time.Sleep(time.Minute)
		synctest.Wait()
		if f.hard() != nil || !f.released.Load() {
			t.Errorf("hard stops %v, released %v", f.hard(), f.released.Load())
		}
		if signalOf(t, context.Cause(f.ctx)) != syscall.SIGTERM {
			t.Error("stop replaced the signal as the cause")
		}
	})
}

func TestStopBeforeAnySignal(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := startFake(t, context.Background())
		f.stop()
		if context.Cause(f.ctx) != context.Canceled || !f.released.Load() {
			t.Errorf("cause %v, released %v", context.Cause(f.ctx), f.released.Load())
		}
	})
}

func TestParentDoneThenSignal(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		errQuit := errors.New("quit")
		parent, cancel := context.WithCancelCause(context.Background())
		f := startFake(t, parent, Grace(time.Second))
		cancel(errQuit)
		synctest.Wait()
		if context.Cause(f.ctx) != errQuit {
			t.Fatalf("cause %v, want the parent's", context.Cause(f.ctx))
		}
		// A signal during a drain the program started itself still counts
		// as the first one: it starts the grace period.
		f.send(syscall.SIGINT)
		if context.Cause(f.ctx) != errQuit || f.hard() != nil {
			t.Fatalf("cause %v, hard stops %v", context.Cause(f.ctx), f.hard())
		}
		time.Sleep(time.Second)
		synctest.Wait()
		if len(f.hard()) != 1 || f.hard()[0] != ErrGraceExpired {
			t.Errorf("hard stops %v", f.hard())
		}
	})
}

func TestOptionMisusePanics(t *testing.T) {
	for name, f := range map[string]func(){
		"Signals()":       func() { Signals() },
		"Grace(-1)":       func() { Grace(-1) },
		"OnHardStop(nil)": func() { OnHardStop(nil) },
	} {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Error("no panic")
				}
			}()
			f()
		})
	}
}
