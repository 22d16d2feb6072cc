package futex

import (
	"context"
	"sync/atomic"
)

// Cond is a condition variable for memory shared between processes, used
// with a lock the caller supplies (a Mutex, or a lock built on one). Its
// zero value is ready. A notification is a token: Signal hands out at most
// one token per waiter registered at that moment, so Signal(n) wakes at
// most n waiters and a notification with nobody waiting is not kept.
//
// The protocol, with L the associated lock:
//
//	// L held
//	c.Enqueue()
//	unlock L
//	err := c.Wait(ctx)
//	relock L
//	if err != nil && c.Cancel() {
//		err = nil // a notification arrived as the wait gave up: keep it
//	}
//
// Enqueue, Cancel and Signal must be called with L held; Wait without it.
//
// A waiter that dies inside Wait still counts as waiting: a later Signal
// may give it a token that the next waiter then consumes. So a waiter may,
// rarely, wake with no notification meant for it; wait in a loop on the
// condition itself, as with any condition variable.
type Cond struct {
	sleepers atomic.Uint32 // enqueued waiters not yet signalled
	tokens   Sema          // signals not yet consumed
}

// Enqueue registers the caller as a waiter. L must be held.
func (c *Cond) Enqueue() { c.sleepers.Add(1) }

// Wait blocks until a Signal gives the caller a token or ctx is done. L
// must not be held. After an error the caller must relock L and call
// Cancel.
func (c *Cond) Wait(ctx context.Context) error { return c.tokens.Acquire(ctx) }

// Cancel withdraws a waiter whose Wait failed. L must be held again. It
// reports true if a token was in fact left for it, which it has now taken:
// the wait was notified after all.
func (c *Cond) Cancel() (notified bool) {
	if c.tokens.TryAcquire() {
		return true
	}
	c.sleepers.Add(^uint32(0))
	return false
}

// Signal wakes up to n enqueued waiters and returns how many. L must be
// held.
func (c *Cond) Signal(n int) int {
	k := min(uint32(n), c.sleepers.Load())
	if n < 0 || k == 0 {
		return 0
	}
	c.sleepers.Add(-k)
	c.tokens.Release(k, 0)
	return int(k)
}

// Waiters returns the number of enqueued waiters not yet signalled.
func (c *Cond) Waiters() int { return int(c.sleepers.Load()) }
