// Package thread is Python's threading module for Go: named threads you
// can start, join, list and ask about, and the synchronisation primitives
// Go lacks — a reentrant lock, a condition variable with timeouts, bounded
// semaphores, events, barriers, timers and thread-local values.
//
//	Python                          concur
//	t = Thread(target=f, args=(x,)) t := thread.New(func() error { return f(x) })
//	t.start(); t.join(2.0)          t.Start(); t.Join(ctx) // ctx with a 2s deadline
//	with lock: ...                  lock.Lock(); defer lock.Unlock()
//	lock.acquire(timeout=1)         lock.Acquire(ctx)      // context.DeadlineExceeded on timeout
//	lock.acquire(blocking=False)    lock.TryAcquire()
//	current_thread().name           thread.Current().Name()
//
// # Threads are goroutines
//
// A Thread is a goroutine. Its Ident is the goroutine id, so Current can
// find the running Thread from any plain function, with no context passed
// down, just as current_thread() does. Goroutines this package did not
// start get dummy threads, as foreign threads do in Python. There is no
// GIL: threads run in parallel, and data they share needs a lock or a
// channel (run the tests with -race).
//
// # Conventions
//
// Blocking calls take a context first; Python's timeout is the context's
// deadline and a timeout returns context.DeadlineExceeded (ctx.Err()).
// A context only limits waiting: what can be had at once (a free lock, a
// set event) is taken even with a done context, as Python's timeout=0
// takes it. Python's blocking=False is a TryX method. Each Python
// exception is a sentinel error (ErrNotHeld for RuntimeError on releasing
// an unheld lock, ErrBrokenBarrier, ...). Programmer errors, such as a
// negative semaphore value, panic.
//
// Zero values are ready where Python's constructors need no arguments:
// Lock, RLock, Condition (over its own RLock), Event, Semaphore (with no
// permits) and Local. None may be copied after first use.
//
// # Errors and panics in threads
//
// A thread's target returns an error. What it returns, or the panic it
// raised (as a *concur.PanicError with the stack), is the thread's outcome:
// Join returns it, and the except hook (SetExceptHook) receives it, which
// by default prints it to stderr as Python prints an uncaught exception.
// A panic in a thread never crashes the program.
//
// # Differences from Python
//
// Go ends the program when main returns, so Python's implicit wait for
// non-daemon threads at exit is an explicit call: WaitNonDaemon. Lock and
// Semaphore hand over to waiters in FIFO order, where CPython makes no
// promise. Condition notifications are never lost and never spurious.
// Barrier has no default timeout: each Wait's context has its own.
// Thread has no native_id, since a goroutine has no fixed OS thread.
// settrace, setprofile and stack_size have no counterpart.
package thread
