package aio

import "context"

// Limiter bounds how many calls of a fan-out run at once: Python's
// asyncio.Semaphore as it is used around aiohttp requests ("async with
// sem:"). Waiters acquire in the order they arrived. Release without a
// matching Acquire panics, as Python's BoundedSemaphore raises.
//
//	lim := aio.NewLimiter(10)
//	pages, err := aio.Gather(ctx, fetchers...) // each fetcher:
//	    if err := lim.Acquire(ctx); err != nil { return nil, err }
//	    defer lim.Release()
type Limiter struct {
	slots chan struct{}
}

// NewLimiter returns a Limiter that lets n calls run at once. It panics if
// n < 1.
func NewLimiter(n int) *Limiter {
	if n < 1 {
		panic("aio: NewLimiter needs at least one slot")
	}
	return &Limiter{slots: make(chan struct{}, n)}
}

// Acquire waits for a free slot and takes it, or returns ctx.Err() if ctx
// ends first. A context that has already ended fails even when a slot is
// free.
func (l *Limiter) Acquire(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	select {
	case l.slots <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// TryAcquire takes a free slot if there is one and reports whether it did.
func (l *Limiter) TryAcquire() bool {
	select {
	case l.slots <- struct{}{}:
		return true
	default:
		return false
	}
}

// Release frees a slot taken by Acquire or TryAcquire.
func (l *Limiter) Release() {
	select {
	case <-l.slots:
	default:
		panic("aio: Limiter.Release without Acquire")
	}
}
