package thread_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/concurgo/concur/thread"
)

// The Python seed "print_numbers": start a thread, join it, ask whether it
// is still alive.
func ExampleNew() {
	printNumbers := func() error {
		for i := range 5 {
			fmt.Println(i)
			time.Sleep(time.Millisecond) // time.sleep(1) in the seed
		}
		return nil
	}
	t := thread.New(printNumbers)
	t.Start()
	t.Join(context.Background())
	if t.IsAlive() {
		fmt.Println("the thread is still running")
	} else {
		fmt.Println("the thread has finished")
	}
	// Output:
	// 0
	// 1
	// 2
	// 3
	// 4
	// the thread has finished
}

// Arguments travel by closure, as Python's args=(...) do.
func ExampleNew_args() {
	greet := func(name string, number int) error {
		fmt.Printf("Hello, %s! Your number: %d\n", name, number)
		return nil
	}
	t := thread.New(func() error { return greet("Alice", 42) })
	t.Start()
	t.Join(context.Background())
	// Output: Hello, Alice! Your number: 42
}

// MyThread is the seeds' Thread subclass: it embeds *thread.Thread and
// keeps its result in a field, which outlives the thread.
type MyThread struct {
	*thread.Thread
	number int
	result int
}

func NewMyThread(number int) *MyThread {
	t := &MyThread{number: number}
	t.Thread = thread.NewRunner(t, thread.WithName(fmt.Sprintf("MyThread-%d", number)))
	return t
}

// Run is the thread's body: Python's overridden run().
func (t *MyThread) Run() error {
	t.result = t.number * 2
	return nil
}

func ExampleNewRunner() {
	var threads []*MyThread
	for i := range 5 {
		t := NewMyThread(i)
		threads = append(threads, t)
		t.Start()
	}
	var results []int
	for _, t := range threads {
		t.Join(context.Background()) // after Join the result field is safe to read
		results = append(results, t.result)
	}
	fmt.Println("All results:", results)
	// Output: All results: [0 2 4 6 8]
}

// Current finds the running thread from a plain function, with no context
// or Thread passed down.
func ExampleCurrent() {
	printThreadName := func() { fmt.Println(thread.Current().Name()) }
	t := thread.New(func() error { printThreadName(); return nil }, thread.WithName("CustomThread"))
	t.Start()
	t.Join(context.Background())
	printThreadName() // Example functions run on the main goroutine
	fmt.Println(thread.Current() == thread.Main())
	// Output:
	// CustomThread
	// MainThread
	// true
}

// Join with a deadline returns context.DeadlineExceeded while the thread
// runs on; Python's join(timeout) returns None and leaves the question to
// is_alive().
func ExampleThread_Join_timeout() {
	var release thread.Event
	t := thread.New(func() error { return release.Wait(context.Background()) })
	t.Start()

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	err := t.Join(ctx)
	fmt.Println(errors.Is(err, context.DeadlineExceeded), t.IsAlive())

	release.Set()
	fmt.Println(t.Join(context.Background()), t.IsAlive())
	// Output:
	// true true
	// <nil> false
}

// A target's error, or its panic, is the thread's outcome: Join returns it,
// the way exec.Cmd.Wait returns a command's failure.
func ExampleThread_Join_outcome() {
	defer thread.SetExceptHook(thread.SetExceptHook(func(thread.ExceptHookArgs) {}))

	divide := func(a, b int) error {
		fmt.Println("result:", a/b)
		return nil
	}
	for _, b := range []int{2, 0} {
		t := thread.New(func() error { return divide(10, b) })
		t.Start()
		if err := t.Join(context.Background()); err != nil {
			fmt.Println("thread failed:", err)
		}
	}
	// Output:
	// result: 5
	// thread failed: panic: runtime error: integer divide by zero
}

// TypeError stands for Python's TypeError in ExampleSetExceptHook.
type TypeError struct{ Operand any }

func (e TypeError) Error() string {
	return fmt.Sprintf("unsupported operand type(s) for /: 'int' and '%T'", e.Operand)
}

// The seed's excepthook: every thread that fails is reported by the hook,
// in the failing thread, before its Join returns.
func ExampleSetExceptHook() {
	prev := thread.SetExceptHook(func(args thread.ExceptHookArgs) {
		fmt.Printf("Exception in %s: %v: %v\n", args.Thread.Name(), args.Type, args.Value)
	})
	defer thread.SetExceptHook(prev)

	threadFunction := func(number any) error {
		n, ok := number.(int)
		if !ok {
			return TypeError{number}
		}
		_ = 10 / n
		return nil
	}
	var threads []*thread.Thread
	for i, number := range []any{0, 1, 2, 3, "4", 5} {
		t := thread.New(func() error { return threadFunction(number) }, thread.WithName("Thread-"+strconv.Itoa(i+1)))
		threads = append(threads, t)
		t.Start()
	}
	for _, t := range threads {
		t.Join(context.Background())
	}
	// Unordered output:
	// Exception in Thread-1: runtime.errorString: runtime error: integer divide by zero
	// Exception in Thread-5: thread_test.TypeError: unsupported operand type(s) for /: 'int' and 'string'
}

// A daemon thread is one the program does not wait for at exit.
// WaitNonDaemon is the wait Python makes when the main thread ends.
func ExampleWaitNonDaemon() {
	var stop thread.Event
	background := thread.New(func() error {
		return stop.Wait(context.Background()) // runs until told to stop
	}, thread.WithDaemon(true))
	worker := thread.New(func() error {
		fmt.Println("worker done")
		return nil
	})
	background.Start()
	worker.Start()

	thread.WaitNonDaemon(context.Background()) // waits for worker only
	fmt.Println("background daemon alive:", background.IsAlive())

	stop.Set() // an example must not leave goroutines behind
	background.Join(context.Background())
	// Output:
	// worker done
	// background daemon alive: true
}

// The seed's 50 writers append to one file; the Lock keeps their writes
// whole and none is lost.
func ExampleLock() {
	fileName := filepath.Join(os.TempDir(), "numbers_with_lock.txt")
	os.WriteFile(fileName, nil, 0o644) // empty the file
	defer os.Remove(fileName)

	var lock thread.Lock
	writeToFileWithLock := func(number int) error {
		lock.Lock() // with lock:
		defer lock.Unlock()
		f, err := os.OpenFile(fileName, os.O_APPEND|os.O_WRONLY, 0)
		if err != nil {
			return err
		}
		defer f.Close()
		_, err = fmt.Fprintf(f, "%d\n", number)
		return err
	}

	var threads []*thread.Thread
	for i := range 50 {
		t := thread.New(func() error { return writeToFileWithLock(i) })
		threads = append(threads, t)
		t.Start()
	}
	for _, t := range threads {
		t.Join(context.Background())
	}

	data, _ := os.ReadFile(fileName)
	lines := strings.Fields(string(data))
	numbers := make([]int, len(lines))
	for i, l := range lines {
		numbers[i], _ = strconv.Atoi(l)
	}
	slices.Sort(numbers)
	whole := len(numbers) == 50
	for i, n := range numbers {
		whole = whole && n == i
	}
	fmt.Println(len(numbers), "lines, numbers 0..49 each once:", whole)
	// Output: 50 lines, numbers 0..49 each once: true
}

// The seed's "global variable with a lock": threads append their results
// to a shared slice.
func ExampleLock_results() {
	var (
		lock    thread.Lock
		results []int
	)
	var threads []*thread.Thread
	for i := range 5 {
		t := thread.New(func() error {
			lock.Lock()
			defer lock.Unlock()
			results = append(results, i*2)
			return nil
		})
		threads = append(threads, t)
		t.Start()
	}
	for _, t := range threads {
		t.Join(context.Background())
	}
	slices.Sort(results) // threads finish in any order
	fmt.Println("Results:", results)
	// Output: Results: [0 2 4 6 8]
}

// Acquire with a deadline is Python's acquire(timeout=...).
func ExampleLock_Acquire() {
	var lock thread.Lock
	lock.Lock()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	fmt.Println(lock.Acquire(ctx))
	fmt.Println(lock.TryAcquire()) // acquire(blocking=False)
	lock.Unlock()
	fmt.Println(lock.TryAcquire())
	fmt.Println(lock.Release(), lock.Release())
	// Output:
	// context deadline exceeded
	// false
	// true
	// <nil> thread: lock is not held
}

// An RLock lets a function that holds the lock call another that takes it
// too.
func ExampleRLock() {
	var mu thread.RLock
	balance := 100
	withdraw := func(n int) bool {
		mu.Lock()
		defer mu.Unlock()
		if balance < n {
			return false
		}
		balance -= n
		return true
	}
	transferAll := func() int {
		mu.Lock() // held across both steps; withdraw re-enters it
		defer mu.Unlock()
		n := balance
		withdraw(n)
		return n
	}
	fmt.Println(transferAll(), balance)
	fmt.Println(mu.Release()) // not held by this goroutine any more
	// Output:
	// 100 0
	// thread: lock is not held
}

// A consumer waits for items with WaitFor; the producer notifies.
func ExampleCondition() {
	var cond thread.Condition
	var items []string
	consumer := thread.New(func() error {
		cond.Lock()
		defer cond.Unlock()
		for range 3 {
			cond.WaitFor(context.Background(), func() bool { return len(items) > 0 })
			fmt.Println("consumed", items[0])
			items = items[1:]
		}
		return nil
	})
	consumer.Start()
	for _, item := range []string{"a", "b", "c"} {
		cond.Lock()
		items = append(items, item)
		cond.Notify(1)
		cond.Unlock()
	}
	consumer.Join(context.Background())
	// Output:
	// consumed a
	// consumed b
	// consumed c
}

// A Semaphore limits how many threads use a resource at once.
func ExampleSemaphore() {
	sem := thread.NewSemaphore(2)
	var mu sync.Mutex
	inside, most := 0, 0
	var threads []*thread.Thread
	for range 6 {
		t := thread.New(func() error {
			sem.Acquire(context.Background())
			defer sem.Release(1)
			mu.Lock()
			inside++
			most = max(most, inside)
			mu.Unlock()
			time.Sleep(time.Millisecond)
			mu.Lock()
			inside--
			mu.Unlock()
			return nil
		})
		threads = append(threads, t)
		t.Start()
	}
	for _, t := range threads {
		t.Join(context.Background())
	}
	fmt.Println("never more than 2 at once:", most <= 2)
	// Output: never more than 2 at once: true
}

// A BoundedSemaphore catches a release that has no acquire.
func ExampleBoundedSemaphore() {
	sem := thread.NewBoundedSemaphore(1)
	sem.Acquire(context.Background())
	fmt.Println(sem.Release(1))
	fmt.Println(sem.Release(1))
	// Output:
	// <nil>
	// thread: semaphore released too many times
}

// An Event lets threads wait until something has happened.
func ExampleEvent() {
	var ready thread.Event
	var threads []*thread.Thread
	for i := range 3 {
		t := thread.New(func() error {
			ready.Wait(context.Background())
			return nil
		}, thread.WithName(fmt.Sprint("waiter-", i)))
		threads = append(threads, t)
		t.Start()
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Millisecond)
	defer cancel()
	fmt.Println(ready.Wait(ctx)) // wait(timeout) that times out
	ready.Set()
	for _, t := range threads {
		t.Join(context.Background())
	}
	fmt.Println("all released:", ready.IsSet())
	// Output:
	// context deadline exceeded
	// all released: true
}

// A Timer runs a function later, unless cancelled first.
func ExampleTimer() {
	hello := thread.NewTimer(5*time.Millisecond, func() error {
		fmt.Println("hello, world")
		return nil
	})
	hello.Start()
	hello.Join(context.Background())

	never := thread.NewTimer(time.Hour, func() error {
		fmt.Println("never printed")
		return nil
	})
	never.Start()
	fmt.Println("cancelled:", never.Cancel())
	never.Join(context.Background()) // returns at once
	// Output:
	// hello, world
	// cancelled: true
}

// A Barrier holds each party until all have arrived; its action runs once
// per round.
func ExampleBarrier() {
	round := 0
	b := thread.NewBarrier(3, func() error {
		round++
		fmt.Println("round", round, "complete")
		return nil
	})
	var threads []*thread.Thread
	for range 3 {
		t := thread.New(func() error {
			for range 2 {
				if _, err := b.Wait(context.Background()); err != nil {
					return err
				}
			}
			return nil
		})
		threads = append(threads, t)
		t.Start()
	}
	for _, t := range threads {
		t.Join(context.Background())
	}
	// Output:
	// round 1 complete
	// round 2 complete
}

// Each thread sees only its own value in a Local.
func ExampleLocal() {
	requestID := thread.NewLocal(func() string { return "none" })
	handle := func() string { return thread.Current().Name() + " handles " + requestID.Get() }

	var mu sync.Mutex
	var lines []string
	var threads []*thread.Thread
	for _, id := range []string{"r1", "r2"} {
		t := thread.New(func() error {
			requestID.Set(id)
			line := handle()
			mu.Lock()
			lines = append(lines, line)
			mu.Unlock()
			return nil
		}, thread.WithName("worker-"+id))
		threads = append(threads, t)
		t.Start()
	}
	for _, t := range threads {
		t.Join(context.Background())
	}
	slices.Sort(lines)
	fmt.Println(strings.Join(lines, "\n"))
	fmt.Println(handle())
	// Output:
	// worker-r1 handles r1
	// worker-r2 handles r2
	// MainThread handles none
}

// Enumerate lists the live threads.
func ExampleEnumerate() {
	var stop thread.Event
	t := thread.New(func() error { return stop.Wait(context.Background()) }, thread.WithName("Worker-1"))
	t.Start()
	for _, th := range thread.Enumerate() {
		if th == thread.Main() || th == t {
			fmt.Println(th.Name(), th.IsAlive())
		}
	}
	stop.Set()
	t.Join(context.Background())
	// Output:
	// MainThread true
	// Worker-1 true
}
