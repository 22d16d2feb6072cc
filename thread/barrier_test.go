package thread

import (
	"context"
	"errors"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/concurgo/concur"
)

// The tests mirror CPython's lock_tests.BarrierTests.

const parties = 5

// runParties runs f in parties goroutines and waits for all of them.
func runParties(f func()) {
	var wg sync.WaitGroup
	for range parties {
		wg.Go(f)
	}
	wg.Wait()
}

func TestBarrierLockstep(t *testing.T) {
	for _, passes := range []int{1, 10} {
		b := NewBarrier(parties, nil)
		var phase1, phase2 atomic.Int32
		runParties(func() {
			for i := range passes {
				phase1.Add(1)
				if got := phase2.Load(); got != int32(i*parties) {
					t.Errorf("pass %d: phase2 = %d before the barrier", i, got)
				}
				b.Wait(bg)
				phase2.Add(1)
				if got := phase1.Load(); got != int32((i+1)*parties) {
					t.Errorf("pass %d: phase1 = %d after the barrier", i, got)
				}
				b.Wait(bg)
			}
		})
		if b.NWaiting() != 0 || b.Broken() || b.Parties() != parties {
			t.Fatalf("after %d passes: waiting %d, broken %v", passes, b.NWaiting(), b.Broken())
		}
	}
}

func TestBarrierWaitReturnsArrivalIndex(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := NewBarrier(parties, nil)
		results := make(chan int, parties)
		for i := range parties {
			go func() {
				idx, err := b.Wait(bg)
				if err != nil {
					t.Error(err)
				}
				results <- idx
			}()
			synctest.Wait()
			if b.NWaiting() != (i+1)%parties {
				t.Fatalf("NWaiting = %d after %d arrivals", b.NWaiting(), i+1)
			}
		}
		var got []int
		for range parties {
			got = append(got, <-results)
		}
		slices.Sort(got)
		if !slices.Equal(got, []int{0, 1, 2, 3, 4}) {
			t.Fatalf("indexes %v", got)
		}
	})
}

func TestBarrierAction(t *testing.T) {
	var calls atomic.Int32
	b := NewBarrier(parties, func() error { calls.Add(1); return nil })
	for round := int32(1); round <= 3; round++ {
		runParties(func() {
			b.Wait(bg)
			if got := calls.Load(); got != round {
				t.Errorf("action ran %d times by the end of round %d", got, round)
			}
		})
	}
}

func TestBarrierActionFails(t *testing.T) {
	boom := errors.New("boom")
	for name, action := range map[string]func() error{
		"error": func() error { return boom },
		"panic": func() error { panic(boom) },
	} {
		t.Run(name, func(t *testing.T) {
			b := NewBarrier(parties, action)
			var failed, broken atomic.Int32
			runParties(func() {
				_, err := b.Wait(bg)
				switch {
				case errors.Is(err, ErrBrokenBarrier):
					broken.Add(1)
				case errors.Is(err, boom):
					failed.Add(1)
				default:
					t.Errorf("Wait = %v", err)
				}
			})
			if failed.Load() != 1 || broken.Load() != parties-1 || !b.Broken() {
				t.Fatalf("failed %d, broken %d", failed.Load(), broken.Load())
			}
		})
	}
}

func TestBarrierActionPanicIsPanicError(t *testing.T) {
	b := NewBarrier(1, func() error { panic("boom") })
	_, err := b.Wait(bg)
	var pe *concur.PanicError
	if !errors.As(err, &pe) || pe.Value != "boom" {
		t.Fatalf("Wait = %v", err)
	}
}

func TestBarrierActionGoexit(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := NewBarrier(2, func() error { runtime.Goexit(); return nil })
		other := goFn(func() error { _, err := b.Wait(bg); return err })
		synctest.Wait()
		done := make(chan struct{})
		go func() {
			defer close(done)
			b.Wait(bg) // runs the action, which ends this goroutine
		}()
		<-done
		if err := <-other; !errors.Is(err, ErrBrokenBarrier) {
			t.Fatalf("the other party got %v", err)
		}
	})
}

func TestBarrierAbort(t *testing.T) {
	b := NewBarrier(parties, nil)
	var passed, broken atomic.Int32
	runParties(func() {
		i, err := b.Wait(bg)
		if err != nil {
			t.Error(err)
			return
		}
		if i == parties/2 {
			b.Abort() // this party cannot go on: free the others
			return
		}
		if _, err := b.Wait(bg); errors.Is(err, ErrBrokenBarrier) {
			broken.Add(1)
		} else {
			passed.Add(1)
		}
	})
	if passed.Load() != 0 || broken.Load() != parties-1 || !b.Broken() {
		t.Fatalf("passed %d, broken %d", passed.Load(), broken.Load())
	}
	if _, err := b.Wait(bg); !errors.Is(err, ErrBrokenBarrier) {
		t.Fatalf("Wait on a broken barrier = %v", err)
	}
}

func TestBarrierReset(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := NewBarrier(parties, nil)
		var passed, broken, again atomic.Int32
		runParties(func() {
			i, _ := b.Wait(bg)
			if i == parties/2 {
				for b.NWaiting() < parties-1 {
					time.Sleep(time.Millisecond)
				}
				b.Reset()
			} else if _, err := b.Wait(bg); errors.Is(err, ErrBrokenBarrier) {
				broken.Add(1)
			} else {
				passed.Add(1)
			}
			if _, err := b.Wait(bg); err == nil { // the barrier works again
				again.Add(1)
			}
		})
		if passed.Load() != 0 || broken.Load() != parties-1 || again.Load() != parties {
			t.Fatalf("passed %d, broken %d, again %d", passed.Load(), broken.Load(), again.Load())
		}
	})
}

func TestBarrierAbortAndReset(t *testing.T) {
	b := NewBarrier(parties, nil)
	b2 := NewBarrier(parties, nil)
	var broken, again atomic.Int32
	runParties(func() {
		if i, _ := b.Wait(bg); i == parties/2 {
			b.Abort()
		} else if _, err := b.Wait(bg); errors.Is(err, ErrBrokenBarrier) {
			broken.Add(1)
		}
		// Everyone has left b before the reset, and no one enters it before.
		if i, _ := b2.Wait(bg); i == parties/2 {
			b.Reset()
		}
		b2.Wait(bg)
		if _, err := b.Wait(bg); err == nil {
			again.Add(1)
		}
	})
	if broken.Load() != parties-1 || again.Load() != parties {
		t.Fatalf("broken %d, again %d", broken.Load(), again.Load())
	}
}

func TestBarrierTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := NewBarrier(parties, nil)
		var timedOut, broken atomic.Int32
		runParties(func() {
			i, _ := b.Wait(bg)
			if i == parties/2 {
				time.Sleep(time.Second) // one party is late
			}
			ctx, cancel := context.WithTimeout(bg, 500*time.Millisecond)
			defer cancel()
			start := time.Now()
			_, err := b.Wait(ctx)
			switch {
			case errors.Is(err, context.DeadlineExceeded):
				if !errors.Is(err, ErrBrokenBarrier) {
					t.Error("timeout error does not match ErrBrokenBarrier")
				}
				if d := time.Since(start); d != 500*time.Millisecond {
					t.Errorf("timed out after %v", d)
				}
				timedOut.Add(1)
			case errors.Is(err, ErrBrokenBarrier):
				broken.Add(1)
			default:
				t.Errorf("Wait = %v", err)
			}
		})
		// The first deadline to strike breaks the barrier for all the rest,
		// including the late party.
		if timedOut.Load() < 1 || timedOut.Load()+broken.Load() != parties {
			t.Fatalf("timed out %d, broken %d", timedOut.Load(), broken.Load())
		}
	})
}

func TestBarrierSingleParty(t *testing.T) {
	b := NewBarrier(1, nil)
	for range 2 {
		if i, err := b.Wait(bg); i != 0 || err != nil {
			t.Fatalf("Wait = %d, %v", i, err)
		}
	}
}

func TestBarrierLastPartyIgnoresDoneContext(t *testing.T) {
	b := NewBarrier(1, nil)
	if _, err := b.Wait(cancelled()); err != nil {
		t.Fatalf("the last party's Wait with a done ctx = %v", err)
	}
}

func TestBarrierPartiesPanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("NewBarrier(0) did not panic")
		}
	}()
	NewBarrier(0, nil)
}
