package thread

import (
	"context"
	"math/rand/v2"
	"os"
	"runtime/pprof"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Stress tests: many goroutines hammer one primitive, some giving up on
// short deadlines so that cancellation races with hand-over. A double grant
// shows as two goroutines inside a critical section; a lost wake-up as a
// hang, which watchdog turns into a failure with every goroutine's stack.

func watchdog(t *testing.T) (done func()) {
	t.Helper()
	stop := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		select {
		case <-stop:
		case <-time.After(30 * time.Second):
			pprof.Lookup("goroutine").WriteTo(os.Stderr, 2)
			panic(t.Name() + ": hung: a wake-up was lost")
		}
	}()
	return func() { close(stop); <-finished }
}

// maybeDeadline returns bg or, one time in four, a context with a deadline
// of a few microseconds.
func maybeDeadline() (context.Context, context.CancelFunc) {
	if rand.IntN(4) != 0 {
		return bg, func() {}
	}
	return context.WithTimeout(bg, time.Duration(rand.IntN(50))*time.Microsecond)
}

// critical checks that at most limit goroutines are inside at once.
type critical struct {
	in, max, entries atomic.Int64
	limit            int64
}

func (c *critical) enter(t *testing.T) {
	n := c.in.Add(1)
	c.entries.Add(1)
	if n > c.limit {
		t.Errorf("%d goroutines inside a section for %d: double grant", n, c.limit)
	}
	if rand.IntN(8) == 0 {
		time.Sleep(time.Microsecond)
	}
	c.in.Add(-1)
}

const (
	stressGoroutines = 32
	stressIterations = 300
)

func hammer(f func()) {
	var wg sync.WaitGroup
	for range stressGoroutines {
		wg.Go(func() {
			for range stressIterations {
				f()
			}
		})
	}
	wg.Wait()
}

func TestStressLock(t *testing.T) {
	defer watchdog(t)()
	var l Lock
	c := critical{limit: 1}
	var wins atomic.Int64
	hammer(func() {
		if rand.IntN(5) == 0 {
			if !l.TryAcquire() {
				return
			}
		} else {
			ctx, cancel := maybeDeadline()
			err := l.Acquire(ctx)
			cancel()
			if err != nil {
				return
			}
		}
		wins.Add(1)
		c.enter(t)
		if err := l.Release(); err != nil {
			t.Error(err)
		}
	})
	if l.Locked() || c.entries.Load() != wins.Load() {
		t.Fatalf("locked %v, entries %d, wins %d", l.Locked(), c.entries.Load(), wins.Load())
	}
}

func TestStressRLock(t *testing.T) {
	defer watchdog(t)()
	var r RLock
	c := critical{limit: 1}
	hammer(func() {
		depth := 0
		for range 1 + rand.IntN(3) {
			ctx, cancel := maybeDeadline()
			err := r.Acquire(ctx)
			cancel()
			if err != nil {
				break
			}
			depth++
		}
		if depth > 0 {
			c.enter(t)
		}
		for range depth {
			if err := r.Release(); err != nil {
				t.Error(err)
			}
		}
	})
	if r.Locked() {
		t.Fatal("RLock left locked")
	}
}

func TestStressSemaphore(t *testing.T) {
	defer watchdog(t)()
	const permits = 3
	for name, sem := range map[string]interface {
		Acquire(context.Context) error
		TryAcquire() bool
		Value() int
	}{"Semaphore": NewSemaphore(permits), "BoundedSemaphore": NewBoundedSemaphore(permits)} {
		t.Run(name, func(t *testing.T) {
			c := critical{limit: permits}
			hammer(func() {
				ctx, cancel := maybeDeadline()
				err := sem.Acquire(ctx)
				cancel()
				if err != nil {
					return
				}
				c.enter(t)
				switch s := sem.(type) {
				case *Semaphore:
					s.Release(1)
				case *BoundedSemaphore:
					if err := s.Release(1); err != nil {
						t.Error(err)
					}
				}
			})
			if v := sem.Value(); v != permits {
				t.Fatalf("Value = %d after balanced use, want %d: a permit leaked", v, permits)
			}
		})
	}
}

func TestStressCondition(t *testing.T) {
	// Producers and consumers over a Condition. Half the consumers wait
	// with short deadlines and retry; the other half wait forever, so a
	// notification lost to a timed-out consumer hangs the test.
	defer watchdog(t)()
	for name, c := range map[string]*Condition{"RLock": new(Condition), "Lock": NewCondition(new(Lock))} {
		t.Run(name, func(t *testing.T) {
			const producers, perProducer, consumers = 8, 200, 8
			const total = producers * perProducer
			var items []int
			consumed := 0
			seen := make([]atomic.Bool, total)
			var wg sync.WaitGroup
			for p := range producers {
				wg.Go(func() {
					for i := range perProducer {
						c.Lock()
						items = append(items, p*perProducer+i)
						c.Notify(1)
						c.Unlock()
					}
				})
			}
			for k := range consumers {
				wg.Go(func() {
					c.Lock()
					defer c.Unlock()
					for {
						var err error
						if k%2 == 0 {
							ctx, cancel := context.WithTimeout(bg, time.Duration(rand.IntN(20))*time.Microsecond)
							_, err = c.WaitFor(ctx, func() bool { return len(items) > 0 || consumed == total })
							cancel()
						} else {
							_, err = c.WaitFor(bg, func() bool { return len(items) > 0 || consumed == total })
						}
						if err != nil {
							continue // timed out: try again
						}
						if consumed == total {
							return
						}
						item := items[len(items)-1]
						items = items[:len(items)-1]
						if seen[item].Swap(true) {
							t.Errorf("item %d consumed twice", item)
						}
						if consumed++; consumed == total {
							c.NotifyAll()
							return
						}
					}
				})
			}
			wg.Wait()
		})
	}
}

func TestStressBarrier(t *testing.T) {
	defer watchdog(t)()
	const n, rounds = 8, 300
	var round atomic.Int64
	b := NewBarrier(n, func() error { round.Add(1); return nil })
	slots := make([][n]atomic.Int32, rounds)
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			for r := range rounds {
				i, err := b.Wait(bg)
				if err != nil {
					t.Error(err)
					return
				}
				if got := round.Load(); got != int64(r+1) {
					t.Errorf("round %d released with %d actions run", r, got)
				}
				if slots[r][i].Add(1) != 1 {
					t.Errorf("round %d: index %d given twice", r, i)
				}
			}
		})
	}
	wg.Wait()
}

func TestStressEvent(t *testing.T) {
	defer watchdog(t)()
	var e Event
	var wg sync.WaitGroup
	for range stressGoroutines {
		wg.Go(func() {
			for range stressIterations {
				ctx, cancel := maybeDeadline()
				e.Wait(ctx)
				cancel()
			}
		})
	}
	for range stressIterations {
		e.Set()
		e.Clear()
	}
	e.Set() // every waiter without a deadline must now get through
	wg.Wait()
}
