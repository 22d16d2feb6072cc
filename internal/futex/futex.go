// Package futex is the waiting and waking layer under concur's
// cross-process primitives: Linux futexes on 32-bit words that live in
// memory shared between processes (see internal/shm), plus the primitives
// built from them that are meant to be placed in such memory:
//
//	Mutex  a robust mutex owned by a process: a waiter recovers it when
//	       its holder dies, and is told so
//	Sema   a counting semaphore
//	Cond   a FIFO-fair condition variable used with a Mutex (or any lock)
//
// Every type here is a plain fixed-size struct of atomic words with no Go
// pointers inside and a usable zero value, so it can be overlaid on a
// mapping with a pointer conversion:
//
//	m := (*futex.Mutex)(unsafe.Pointer(&seg.Bytes()[off]))
//
// The offset must be 8-byte aligned. Futexes here are never
// FUTEX_PRIVATE: the words are shared between address spaces, and the
// kernel keys a shared futex by the backing file page, so every process
// that maps the same page waits on the same futex whatever address the
// mapping has.
//
// Blocking calls take a context. A futex wait is a blocking system call
// that a context cannot interrupt, so waits are taken in bounded slices
// (Slice at most) and a cancelled context also wakes the word it waits on;
// callers always re-check their condition, so these wake-ups are harmless.
// A goroutine asleep in a futex wait holds its OS thread, as in any
// blocking system call: thousands of simultaneous waiters mean thousands
// of threads, so keep cross-process waiters few and put goroutine-level
// queueing (channels, package thread) in front of them.
//
// # Building a shared structure
//
// A bounded queue between processes, for example, is one shm.Segment
// holding a header struct and a ring of fixed-size slots:
//
//	type ring struct {
//		mu                Mutex  // guards everything below
//		notEmpty, notFull Cond
//		head, tail, n     uint64 // slot indexes and fill, plain fields under mu
//	}                                // then the slots, from a cache-line offset
//
// Put: mu.Lock (handle a dead previous owner: the ring's fields are only
// ever changed after the slot is written, so the state is consistent, or
// repair it); while full, the Cond protocol on notFull; copy into the tail
// slot, advance tail; notEmpty.Signal(1); mu.Unlock. Get mirrors it. Send
// the segment's file to the other processes and overlay the same struct.
package futex

import (
	"context"
	"math"
	"syscall"
	"time"
	"unsafe"
)

const (
	futexWait = 0 // FUTEX_WAIT, shared (no FUTEX_PRIVATE_FLAG)
	futexWake = 1 // FUTEX_WAKE, shared
)

// All wakes every waiter in a call to Wake.
const All = math.MaxInt32

// Slice is the longest a context-aware wait sleeps in the kernel before it
// looks at the context again. A cancelled context wakes its waiter at once;
// the slice only bounds the rare case where that wake-up races with the
// waiter entering the kernel and is lost.
const Slice = 50 * time.Millisecond

// Wait blocks while *addr holds val, until another process or goroutine
// calls Wake on the same word, or timeout elapses. A negative timeout
// waits without limit. It reports whether the timeout elapsed. Wait may
// also return early and spuriously (a signal, a wake meant for another
// waiter), and returns at once if *addr no longer holds val: callers loop
// on their own condition.
func Wait(addr *uint32, val uint32, timeout time.Duration) (timedOut bool) {
	var ts *syscall.Timespec
	if timeout >= 0 {
		t := syscall.NsecToTimespec(int64(timeout))
		ts = &t
	}
	_, _, errno := syscall.Syscall6(syscall.SYS_FUTEX, uintptr(unsafe.Pointer(addr)), futexWait,
		uintptr(val), uintptr(unsafe.Pointer(ts)), 0, 0)
	switch errno {
	case 0, syscall.EAGAIN, syscall.EINTR:
		return false
	case syscall.ETIMEDOUT:
		return true
	default:
		// EFAULT or EINVAL: addr is not a mapped, aligned word — a bug in
		// the caller's layout, not a runtime condition.
		panic("futex: wait on " + errno.Error())
	}
}

// Wake wakes at most n waiters blocked in Wait on addr (All for every one)
// and returns how many it woke.
func Wake(addr *uint32, n int) int {
	woken, _, errno := syscall.Syscall6(syscall.SYS_FUTEX, uintptr(unsafe.Pointer(addr)), futexWake,
		uintptr(n), 0, 0, 0)
	if errno != 0 {
		panic("futex: wake on " + errno.Error())
	}
	return int(woken)
}

// WaitContext is Wait bounded by ctx and by limit (no bound if limit <= 0):
// it returns ctx's error if ctx is done when it returns, and nil when it
// was woken, timed out after limit, or returned spuriously. A deadline
// that has passed is reported as context.DeadlineExceeded even if ctx's
// own timer has not fired yet. Callers loop on
// their condition and stop when WaitContext returns an error.
func WaitContext(ctx context.Context, addr *uint32, val uint32, limit time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	timeout := time.Duration(-1)
	if limit > 0 {
		timeout = limit
	}
	if ctx.Done() != nil {
		if timeout < 0 || timeout > Slice {
			timeout = Slice
		}
		if d, ok := ctx.Deadline(); ok {
			left := time.Until(d)
			if left <= 0 {
				return context.DeadlineExceeded
			}
			timeout = min(timeout, left)
		}
		// A cancelled context wakes everyone waiting on the word; the
		// others see a spurious wake-up and wait again.
		stop := context.AfterFunc(ctx, func() { Wake(addr, All) })
		defer stop()
	}
	Wait(addr, val, timeout)
	return ctx.Err()
}
