// Command lock-recovery shows what concur adds to Python's
// multiprocessing.Lock (seeds: "Блокировки (Locks)" in
// shared/seeds/003_c3bae16890c099e5.txt, where a lock held by a process
// gives it exclusive access): in Python a process killed while holding a
// Lock leaves it locked forever, and everyone else hangs. Here the next
// Acquire takes the lock over and says the holder died, so the survivor
// can repair what the dead process left half-done.
//
// A child moves money between two shared accounts under the lock and is
// killed between the debit and the credit. The parent's Acquire returns
// ErrOwnerDead with the lock held; it repairs the books from a journal
// entry the child wrote first, then carries on.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/concurgo/concur/process"
)

// bank is two accounts and a journal of the transfer in progress (0 when
// none), guarded by Lock.
type bank struct {
	Lock     *process.Lock
	Accounts *process.Array[int64] // [0]: Alice, [1]: Bob
	Journal  *process.Value[int64] // the amount being moved from Alice to Bob
	Midway   *process.Event        // set when the child is between debit and credit
}

var transfer = process.RegisterTarget("transfer", func(ctx context.Context, b bank) error {
	if err := b.Lock.Acquire(ctx); err != nil {
		return err
	}
	b.Journal.Store(30)
	b.Accounts.Add(0, -30)
	b.Midway.Set()
	<-ctx.Done() // the parent kills us here, before the credit
	time.Sleep(time.Hour)
	return nil
})

func main() {
	process.Main()
	if err := run(os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func run(w io.Writer) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	lock, err := process.NewLock()
	if err != nil {
		return err
	}
	defer lock.Close()
	accounts, err := process.NewArrayFrom([]int64{100, 0})
	if err != nil {
		return err
	}
	defer accounts.Close()
	journal, err := process.NewValue[int64](0)
	if err != nil {
		return err
	}
	defer journal.Close()
	midway, err := process.NewEvent()
	if err != nil {
		return err
	}
	defer midway.Close()

	child := process.New(transfer, bank{lock, accounts, journal, midway})
	if err := child.Start(); err != nil {
		return err
	}
	defer child.Close()
	if err := midway.Wait(ctx); err != nil {
		return err
	}
	fmt.Fprintln(w, "child holds the lock mid-transfer:", accounts.Snapshot())
	child.Kill()
	child.Join(ctx)
	fmt.Fprintln(w, "child killed")

	err = lock.Acquire(ctx) // in Python: blocks forever
	switch {
	case errors.Is(err, process.ErrOwnerDead):
		fmt.Fprintln(w, "the previous holder died; repairing from the journal")
		if amount := journal.Swap(0); amount != 0 {
			accounts.Add(1, amount) // finish the transfer
		}
	case err != nil:
		return err
	}
	fmt.Fprintln(w, "books:", accounts.Snapshot())
	return lock.Release()
}
