package thread

import "errors"

// The errors of package thread. Python raises RuntimeError (or ValueError,
// or BrokenBarrierError) for each of these; concur gives each its own
// sentinel so errors.Is can tell them apart. A timeout is never one of these:
// it is the context's error, context.DeadlineExceeded.
var (
	// ErrAlreadyStarted is returned by Thread.Start for a thread that was
	// started before, and by Thread.SetDaemon once the thread has started.
	// Python: RuntimeError("threads can only be started once") and
	// RuntimeError("cannot set daemon status of active thread").
	ErrAlreadyStarted = errors.New("thread: already started")

	// ErrNotStarted is returned by Thread.Join for a thread that was never
	// started. Python: RuntimeError("cannot join thread before it is started").
	ErrNotStarted = errors.New("thread: cannot join thread before it is started")

	// ErrJoinCurrent is returned by Thread.Join when a thread joins itself,
	// which could only deadlock. Python: RuntimeError("cannot join current thread").
	ErrJoinCurrent = errors.New("thread: cannot join current thread")

	// ErrDummyThread is returned by Thread.Join for a dummy thread (see
	// Current): nothing can observe the end of a goroutine this package did
	// not start. Python: RuntimeError("cannot join a dummy thread").
	ErrDummyThread = errors.New("thread: cannot join a dummy thread")

	// ErrNotHeld is returned when a lock is released, or a Condition is waited
	// on or notified, by a caller that does not hold the lock: an unlocked
	// Lock, or an RLock not held by the calling goroutine. Python:
	// RuntimeError("release unlocked lock"), RuntimeError("cannot release
	// un-acquired lock"), RuntimeError("cannot wait on un-acquired lock").
	ErrNotHeld = errors.New("thread: lock is not held")

	// ErrTooManyReleases is returned by BoundedSemaphore.Release when the
	// release would raise the value above its initial value. Python:
	// ValueError("Semaphore released too many times").
	ErrTooManyReleases = errors.New("thread: semaphore released too many times")

	// ErrBrokenBarrier is returned by Barrier.Wait when the barrier is broken
	// or is broken (aborted, reset, timed out, or its action failed) while the
	// caller waits. Python: threading.BrokenBarrierError.
	ErrBrokenBarrier = errors.New("thread: broken barrier")
)
