package process

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"
)

// Tests of the shared objects between real processes: children started
// with New run the registered functions below, receiving the objects as
// arguments, as the seeds pass Value to a Process.

type sharedHolderArg struct {
	Lock     *Lock
	RLock    *RLock // used instead of Lock when not nil
	Holding  *Event
	Acquired *RawValue[int64] // when the waiter got the lock, in Unix nanoseconds
}

// sharedHolder takes the lock, says so, and waits to be killed.
var sharedHolder = RegisterTarget("shared.test.holder", func(ctx context.Context, a sharedHolderArg) error {
	var err error
	if a.RLock != nil {
		err = a.RLock.Acquire(ctx)
	} else {
		err = a.Lock.Acquire(ctx)
	}
	if err != nil {
		return err
	}
	a.Holding.Set()
	<-ctx.Done()
	time.Sleep(time.Hour) // never release: the parent kills us
	return nil
})

// sharedWaiter reports how its Acquire ended, as "ownerdead <pid>".
var sharedWaiter = Register("shared.test.waiter", func(ctx context.Context, a sharedHolderArg) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	var err error
	if a.RLock != nil {
		err = a.RLock.Acquire(ctx)
		defer a.RLock.Release()
	} else {
		err = a.Lock.Acquire(ctx)
		defer a.Lock.Release()
	}
	a.Acquired.Store(time.Now().UnixNano())
	var od *OwnerDeadError
	if !errors.As(err, &od) || !errors.Is(err, ErrOwnerDead) {
		return "", fmt.Errorf("Acquire after the holder died: %v", err)
	}
	return fmt.Sprintf("ownerdead %d", od.Pid), nil
})

// TestLockHolderKilled is the fault test: a child holding a Lock (or an
// RLock) is killed with SIGKILL; a second child already waiting for the
// lock gets it within a bounded time and is told the holder died, and so
// is the parent afterwards for a lock abandoned by the second child.
func TestLockHolderKilled(t *testing.T) {
	for _, reentrant := range []bool{false, true} {
		t.Run(fmt.Sprint("reentrant=", reentrant), func(t *testing.T) {
			ev, err := NewEvent()
			if err != nil {
				t.Fatal(err)
			}
			defer ev.Close()
			acquired, err := NewRawValue[int64](0)
			if err != nil {
				t.Fatal(err)
			}
			defer acquired.Close()
			arg := sharedHolderArg{Holding: ev, Acquired: acquired}
			if reentrant {
				if arg.RLock, err = NewRLock(); err != nil {
					t.Fatal(err)
				}
				defer arg.RLock.Close()
			} else {
				if arg.Lock, err = NewLock(); err != nil {
					t.Fatal(err)
				}
				defer arg.Lock.Close()
			}
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()

			holder := New(sharedHolder, arg)
			if err := holder.Start(); err != nil {
				t.Fatal(err)
			}
			defer holder.Close()
			if err := ev.Wait(ctx); err != nil {
				t.Fatal(err)
			}
			waiter := New(sharedWaiter, arg)
			if err := waiter.Start(); err != nil {
				t.Fatal(err)
			}
			defer waiter.Close()
			time.Sleep(20 * time.Millisecond) // let the waiter go to sleep on the lock

			start := time.Now()
			if err := holder.Kill(); err != nil {
				t.Fatal(err)
			}
			got, err := waiter.Result(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if want := fmt.Sprintf("ownerdead %d", holder.Pid()); got != want {
				t.Fatalf("waiter: %q, want %q", got, want)
			}
			t.Logf("the waiter recovered the lock %v after the kill", time.Unix(0, acquired.Load()).Sub(start))
			holder.Join(ctx)
		})
	}
}

type sharedCounterArg struct {
	Counter *Value[int64]
	Iters   int
}

var sharedLockedIncrements = RegisterTarget("shared.test.increments", func(ctx context.Context, a sharedCounterArg) error {
	l := a.Counter.GetLock()
	for range a.Iters {
		if err := l.Acquire(ctx); err != nil {
			return err
		}
		a.Counter.Store(a.Counter.Load() + 1)
		if err := l.Release(); err != nil {
			return err
		}
	}
	return nil
})

// TestValueLockedIncrementsProcesses: N processes × M locked increments
// of a shared Value end at N×M.
func TestValueLockedIncrementsProcesses(t *testing.T) {
	const procs, iters = 3, 3000
	v, err := NewValue[int64](0)
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	children := make([]*Child[struct{}], procs)
	for i := range children {
		children[i] = New(sharedLockedIncrements, sharedCounterArg{Counter: v, Iters: iters})
		if err := children[i].Start(); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range children {
		if err := c.Join(ctx); err != nil {
			t.Fatal(err)
		}
		c.Close()
	}
	if got := v.Load(); got != procs*iters {
		t.Fatalf("counter = %d, want %d", got, procs*iters)
	}
}

type sharedBarrierArg struct {
	Barrier *Barrier
	Rounds  *Array[int32] // Rounds[i]: the round party i is in
	Party   int
	N       int
}

var sharedBarrierParty = RegisterTarget("shared.test.barrier", func(ctx context.Context, a sharedBarrierArg) error {
	for r := range int32(a.N) {
		a.Rounds.Store(a.Party, r)
		if _, err := a.Barrier.Wait(ctx); err != nil {
			return fmt.Errorf("round %d: %w", r, err)
		}
		for q := range a.Rounds.Len() {
			if got := a.Rounds.Load(q); got < r {
				return fmt.Errorf("party %d passed round %d while party %d was in round %d", a.Party, r, q, got)
			}
		}
		if _, err := a.Barrier.Wait(ctx); err != nil {
			return fmt.Errorf("round %d, second wait: %w", r, err)
		}
	}
	return nil
})

// TestBarrierProcesses: three processes pass a Barrier 100 times; nobody
// passes a round before everybody reached it.
func TestBarrierProcesses(t *testing.T) {
	const parties, rounds = 3, 100
	b, err := NewBarrier(parties, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	arr, err := NewArray[int32](parties)
	if err != nil {
		t.Fatal(err)
	}
	defer arr.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	children := make([]*Child[struct{}], parties)
	for i := range children {
		children[i] = New(sharedBarrierParty, sharedBarrierArg{Barrier: b, Rounds: arr, Party: i, N: rounds})
		if err := children[i].Start(); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range children {
		if err := c.Join(ctx); err != nil {
			t.Fatal(err)
		}
		c.Close()
	}
	if b.Broken() {
		t.Fatal("barrier broken")
	}
}

type sharedSignalArg struct {
	Start *Event
	Cond  *Condition
	Sem   *BoundedSemaphore
	Items *RawArray[int64] // [0]: items ready
	Mem   *SharedMemory
}

// sharedConsumer waits for an Event, then takes items announced through a
// Condition, holding a semaphore permit, and writes into SharedMemory.
var sharedConsumer = RegisterTarget("shared.test.consumer", func(ctx context.Context, a sharedSignalArg) error {
	if err := a.Start.Wait(ctx); err != nil {
		return err
	}
	if err := a.Sem.Acquire(ctx); err != nil {
		return err
	}
	defer a.Sem.Release(1)
	for range 10 {
		if err := a.Cond.Acquire(ctx); err != nil {
			return err
		}
		if ok, err := a.Cond.WaitFor(ctx, func() bool { return a.Items.Load(0) > 0 }); !ok {
			a.Cond.Release()
			return err
		}
		a.Items.Add(0, -1)
		a.Items.Add(1, 1)
		a.Cond.Release()
	}
	copy(a.Mem.Buf(), "consumed")
	return nil
})

func TestSignallingPrimitivesProcesses(t *testing.T) {
	start, _ := NewEvent()
	defer start.Close()
	cond, _ := NewCondition(nil)
	defer cond.Close()
	sem, _ := NewBoundedSemaphore(1)
	defer sem.Close()
	items, _ := NewRawArray[int64](2)
	defer items.Close()
	mem, err := CreateSharedMemory("", 64)
	if err != nil {
		t.Fatal(err)
	}
	defer mem.Unlink()
	defer mem.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c := New(sharedConsumer, sharedSignalArg{start, cond, sem, items, mem})
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	start.Set()
	for range 10 {
		cond.Lock()
		items.Add(0, 1)
		cond.Notify(1)
		cond.Unlock()
	}
	if err := c.Join(ctx); err != nil {
		t.Fatal(err)
	}
	if items.Load(1) != 10 || string(mem.Buf()[:8]) != "consumed" || sem.Value() != 1 {
		t.Fatalf("consumed %d, memory %q, permits %d", items.Load(1), mem.Buf()[:8], sem.Value())
	}
}
