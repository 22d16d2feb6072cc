package thread

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/concurgo/concur"
)

// Barrier lets a fixed number of goroutines (parties) wait for each other:
// each Wait blocks until all parties have called it, then all return
// together and the barrier is ready for the next round. Python:
// threading.Barrier.
//
// If any party's wait ends early — its context is done, Abort is called,
// or the action fails — the barrier breaks: every waiter and every later
// Wait gets ErrBrokenBarrier until Reset. Make a Barrier with NewBarrier;
// the zero value is not usable. A Barrier must not be copied after first
// use.
type Barrier struct {
	parties int
	action  func() error

	mu      sync.Mutex // guards round and broken (written)
	round   *barrierRound
	broken  atomic.Bool  // readable without mu, so the action may call Broken
	waiting atomic.Int32 // likewise for NWaiting
}

// barrierRound is one passage of the barrier. Each round has its own
// channel, so waiters released from a round never confuse it with the
// next one; Python needs a "draining" state for the same purpose.
type barrierRound struct {
	done   chan struct{} // closed when the round completes or breaks
	broken bool          // written before done is closed
	count  int           // parties arrived so far
}

// NewBarrier returns a Barrier for parties goroutines. If action is not
// nil, the last goroutine to arrive in each round calls it before any of
// them is released; if it returns an error or panics, the barrier breaks
// and that goroutine's Wait returns the error (a *concur.PanicError for a
// panic). The action runs with the barrier's lock held: it must not call
// Wait, Abort or Reset on the same barrier. NewBarrier panics if parties is
// less than 1. Python: Barrier(parties, action=None, timeout=None); the
// timeout is each Wait's context deadline instead.
func NewBarrier(parties int, action func() error) *Barrier {
	if parties < 1 {
		panic("thread: NewBarrier with parties < 1")
	}
	return &Barrier{parties: parties, action: action}
}

// Wait blocks until all parties have called Wait in this round and returns
// the caller's arrival index, 0 for the first to arrive and Parties()-1 for
// the last (so exactly one caller gets each index, handy for electing one
// to do a job). Python: wait(timeout).
//
// On failure Wait returns -1 and ErrBrokenBarrier, except: if ctx ends
// before the round completes, Wait breaks the barrier for everyone and
// returns an error matching both ErrBrokenBarrier and ctx.Err() (Python
// raises BrokenBarrierError on timeout); and the caller that ran a failing
// action gets the action's error. As with Lock, a done context does not stop
// the last party from completing the round.
func (b *Barrier) Wait(ctx context.Context) (int, error) {
	b.mu.Lock()
	if b.broken.Load() {
		b.mu.Unlock()
		return -1, ErrBrokenBarrier
	}
	r := b.current()
	index := r.count
	r.count++
	b.waiting.Store(int32(r.count))
	if r.count == b.parties {
		defer b.mu.Unlock()
		if b.action != nil {
			var err error
			// Guard, not Catch: an action that calls runtime.Goexit must
			// still break the barrier, or the other parties would wait
			// forever.
			concur.Guard(b.action, func(e error) {
				if e != nil {
					b.breakLocked()
					err = e
				}
			})
			if err != nil {
				return -1, err
			}
		}
		b.round = nil
		b.waiting.Store(0)
		close(r.done)
		return index, nil
	}
	b.mu.Unlock()

	select {
	case <-r.done:
	case <-ctx.Done():
		b.mu.Lock()
		select {
		case <-r.done: // the round ended at the same moment: take its outcome
		default:
			b.breakLocked()
			b.mu.Unlock()
			return -1, fmt.Errorf("%w: %w", ErrBrokenBarrier, ctx.Err())
		}
		b.mu.Unlock()
	}
	if r.broken {
		return -1, ErrBrokenBarrier
	}
	return index, nil
}

// current returns the round in progress, starting one if needed. Rounds
// start lazily so that the channel belongs to whoever waits on it.
func (b *Barrier) current() *barrierRound {
	if b.round == nil {
		b.round = &barrierRound{done: make(chan struct{})}
	}
	return b.round
}

// endRoundLocked releases the current round's waiters with
// ErrBrokenBarrier.
func (b *Barrier) endRoundLocked() {
	if r := b.round; r != nil {
		r.broken = true
		close(r.done)
		b.round = nil
	}
	b.waiting.Store(0)
}

func (b *Barrier) breakLocked() {
	b.broken.Store(true)
	b.endRoundLocked()
}

// Abort breaks the barrier: current waiters and later calls to Wait get
// ErrBrokenBarrier until Reset. Use it to free the other parties when one
// of them cannot arrive. Python: abort().
func (b *Barrier) Abort() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.breakLocked()
}

// Reset returns the barrier to its initial, unbroken state. Goroutines
// waiting in the current round get ErrBrokenBarrier. Python: reset().
func (b *Barrier) Reset() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.endRoundLocked()
	b.broken.Store(false)
}

// Parties returns the number of goroutines needed to pass the barrier.
// Python: parties.
func (b *Barrier) Parties() int { return b.parties }

// NWaiting returns the number of goroutines waiting in the current round.
// Python: n_waiting.
func (b *Barrier) NWaiting() int { return int(b.waiting.Load()) }

// Broken reports whether the barrier is broken. Python: broken.
func (b *Barrier) Broken() bool { return b.broken.Load() }
