// Package queue is Python's queue module for Go: multi-producer,
// multi-consumer queues with bounded capacity, blocking with timeouts,
// task tracking (TaskDone and Join) and shutdown, for any item type.
//
//	Python                          concur
//	queue.Queue(maxsize)            queue.New[T](maxsize)
//	queue.LifoQueue(maxsize)        queue.NewLIFO[T](maxsize)
//	queue.PriorityQueue(maxsize)    queue.NewPriority[T](maxsize), queue.NewPriorityFunc(maxsize, less)
//	queue.SimpleQueue()             queue.NewSimple[T]() or a zero Simple[T]
//	q.put(v) / q.get()              q.Put(ctx, v) / q.Get(ctx)
//	q.put(v, timeout=t)             q.Put(ctx, v) with a ctx deadline
//	q.put_nowait(v) / get_nowait()  q.TryPut(v) / q.TryGet()
//	q.task_done() / q.join()        q.TaskDone() / q.Join(ctx)
//	q.qsize() / empty() / full()    q.Len() / Empty() / Full()
//	q.shutdown(immediate)           q.Shutdown(immediate)
//	queue.Empty / Full / ShutDown   ErrEmpty / ErrFull / ErrShutDown
//
// # Waiting
//
// Put waits while the queue is full and Get while it is empty. The
// context is Python's timeout: when it ends first, the call fails with an
// error that matches both ErrFull or ErrEmpty (what Python raises, so a
// port of `except queue.Empty` keeps working) and ctx.Err() (so Go code
// can check for context.DeadlineExceeded). The context bounds only the
// wait; a call that need not wait succeeds even with a context that has
// already ended, as Python's timeout=0 does. Waiters are served in the
// order they arrived, and an item is handed straight to a waiting getter,
// so no waiter is overtaken and no wake-up is lost.
//
// # Tasks
//
// Every item put counts as an unfinished task until a consumer calls
// TaskDone for it, and Join waits until none is left: the producer can
// wait for its work to be finished, not merely taken. All, the iterator
// for consumer loops, calls TaskDone itself as each loop body finishes.
//
// # Shutdown
//
// Shutdown is Python 3.13's: afterwards puts fail with ErrShutDown and
// gets drain what is left, then fail with ErrShutDown; Shutdown(true)
// discards what is left, counting it as done, so gets fail at once and
// Join returns once the items consumers still hold are done. Every blocked
// Put and Get wakes. A consumer written with All therefore ends when the
// producer shuts the queue down:
//
//	for job := range q.All(ctx) { // ends after q.Shutdown(false) and the drain
//		handle(job)
//	}
//
// # Sizes are advisory
//
// Len, Empty, Full and Unfinished describe a moment that may have passed
// by the time the caller looks at the answer, exactly as Python's qsize,
// empty and full do. Do not write `if !q.Empty() { q.Get(ctx) }` where
// other goroutines also get: use TryGet, a deadline, or Shutdown.
//
// # Speed
//
// A queue is a mutex, a ring buffer (or a heap) and a list of waiters that
// exists only while someone waits, so a queue in steady use allocates
// nothing. One producer and one consumer move items through a
// maxsize-1024 Queue at about the rate of a 1024-buffered channel; see
// bench_test.go for the figures and the baselines, CPython's among them.
package queue
