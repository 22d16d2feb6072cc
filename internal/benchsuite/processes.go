package benchsuite

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"

	"github.com/concurgo/concur/process"
)

// The process workloads: pipes, start+join, shared values and the
// countdown in processes. Their child functions are registered here, so
// every binary that runs the suite must call process.Main first in main
// (and in TestMain).

// rawExitEnv makes a re-executed binary exit during package
// initialization: the raw re-exec baseline, which pays for fork, exec,
// the Go runtime's start and the binary's initialization, and nothing of
// concur's.
const rawExitEnv = "CONCUR_BENCH_RAW_EXIT"

// rawEchoEnv makes a re-executed binary echo messages of the size it
// names on its descriptor 3 until EOF, during package initialization:
// the peer of the raw baseline for calls that cross to another process.
const rawEchoEnv = "CONCUR_BENCH_RAW_ECHO"

func init() {
	if os.Getenv(rawExitEnv) == "1" {
		os.Exit(0)
	}
	if size, err := strconv.Atoi(os.Getenv(rawEchoEnv)); err == nil && size > 0 {
		rawEcho(os.NewFile(3, "echo"), size)
		os.Exit(0)
	}
}

// rawEcho sends back each message of size bytes it reads, until the
// connection ends.
func rawEcho(c io.ReadWriter, size int) {
	buf := make([]byte, size)
	for {
		if _, err := io.ReadFull(c, buf); err != nil {
			return
		}
		if _, err := c.Write(buf); err != nil {
			return
		}
	}
}

// rawRoundTripLoop times n round trips of size bytes over c, whose other
// end echoes them.
func rawRoundTripLoop(c io.ReadWriter, size int) RunFunc {
	msg, buf := make([]byte, size), make([]byte, size)
	return func(_ context.Context, n int) (time.Duration, error) {
		return timed(func() error {
			for range n {
				if _, err := c.Write(msg); err != nil {
					return err
				}
				if _, err := io.ReadFull(c, buf); err != nil {
					return err
				}
			}
			return nil
		})
	}
}

// socketpair returns both ends of an AF_UNIX stream socketpair as
// net.Conns: the raw floor beneath process.Pipe.
func socketpair() (net.Conn, net.Conn, error) {
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, nil, err
	}
	var conns [2]net.Conn
	for i, fd := range fds {
		f := os.NewFile(uintptr(fd), "socketpair")
		conns[i], err = net.FileConn(f)
		f.Close()
		if err != nil {
			if i == 1 {
				conns[0].Close()
			} else {
				unix.Close(fds[1])
			}
			return nil, nil, err
		}
	}
	return conns[0], conns[1], nil
}

// rawRoundTrips is the baseline of the pipe workloads: size bytes there
// and back over a socketpair, echoed by another goroutine, with no
// framing.
func rawRoundTrips(size int) Impl {
	return Impl{Name: "raw socketpair", Open: func(context.Context) (RunFunc, func() error, error) {
		a, b, err := socketpair()
		if err != nil {
			return nil, nil, err
		}
		done := make(chan struct{})
		go func() {
			defer close(done)
			rawEcho(b, size)
		}()
		return rawRoundTripLoop(a, size), func() error {
			a.Close()
			<-done
			return b.Close()
		}, nil
	}}
}

// pipeRoundTrips sends size bytes there and back over process.Pipe(true),
// echoed by another goroutine; both ends reuse their buffers, as the raw
// baseline does.
func pipeRoundTrips(size int) Impl {
	return Impl{Name: "process.Pipe", Open: func(ctx context.Context) (RunFunc, func() error, error) {
		a, b, err := process.Pipe(true)
		if err != nil {
			return nil, nil, err
		}
		done := make(chan struct{})
		go func() {
			defer close(done)
			var buf []byte
			for {
				m, err := b.RecvBytesInto(ctx, buf)
				if err != nil {
					return
				}
				buf = m
				if err := b.SendBytes(ctx, m); err != nil {
					return
				}
			}
		}()
		msg, buf := make([]byte, size), make([]byte, size)
		run := func(ctx context.Context, n int) (time.Duration, error) {
			return timed(func() error {
				for range n {
					if err := a.SendBytes(ctx, msg); err != nil {
						return err
					}
					m, err := a.RecvBytesInto(ctx, buf)
					if err != nil {
						return err
					}
					if len(m) != size {
						return fmt.Errorf("echo of %d bytes came back with %d", size, len(m))
					}
				}
				return nil
			})
		}
		return run, func() error {
			a.Close()
			<-done
			return b.Close()
		}, nil
	}}
}

// rawChildRoundTrips is the baseline of calls that go to another
// process and back: size bytes there and back over a socketpair whose
// other end is held by a child process (this binary re-executed) that
// echoes them, with no framing.
func rawChildRoundTrips(size int) Impl {
	return Impl{Name: "raw socketpair to a child", Open: func(context.Context) (RunFunc, func() error, error) {
		fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			return nil, nil, err
		}
		a, peer := os.NewFile(uintptr(fds[0]), "raw"), os.NewFile(uintptr(fds[1]), "peer")
		cmd := exec.Command("/proc/self/exe")
		cmd.Env = append(os.Environ(), fmt.Sprintf("%s=%d", rawEchoEnv, size))
		cmd.ExtraFiles = []*os.File{peer}
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
		err = cmd.Start()
		peer.Close()
		if err != nil {
			a.Close()
			return nil, nil, fmt.Errorf("raw echo child: %w", err)
		}
		return rawRoundTripLoop(a, size), func() error {
			a.Close() // the child sees EOF and exits
			return cmd.Wait()
		}, nil
	}}
}

func pipeRoundTripWorkload() *Workload {
	base := rawRoundTrips(64)
	return &Workload{
		ID: "pipe-rt-64", Title: "Pipe round trip, 64 B", Unit: PerOp, Quick: true, Python: true,
		Note: "64 bytes there and back over process.Pipe(true) (SendBytes, RecvBytesInto), echoed by a goroutine; " +
			"baseline: a raw socketpair; Python: multiprocessing.Pipe send_bytes/recv_bytes, echoed by a child process",
		Concur:   pipeRoundTrips(64),
		Baseline: &base,
		Bars:     []Bar{{Against: AgainstBaseline, Min: 1 / 1.5, Text: "within 1.5x of a raw socketpair"}},
	}
}

func pipeEchoWorkload() *Workload {
	const size = 1 << 20
	base := rawRoundTrips(size)
	return &Workload{
		ID: "pipe-echo-1mib", Title: "Pipe echo, 1 MiB", Unit: BytesPerSec, Items: 2 * size, Quick: true, Python: true,
		Note:     "as the 64 B round trip with 1 MiB messages; bytes count both directions",
		Concur:   pipeRoundTrips(size),
		Baseline: &base,
		Bars:     []Bar{{Against: AgainstBaseline, Min: 0.7, Text: "0.7x a raw socketpair"}},
	}
}

var squareFunc = process.RegisterFunc("benchsuite.square", func(x int) int { return x * x })

func processStartWorkload() *Workload {
	base := Timed("raw re-exec", func(_ context.Context, n int) (time.Duration, error) {
		env := append(os.Environ(), rawExitEnv+"=1")
		return timed(func() error {
			for range n {
				cmd := exec.Command("/proc/self/exe")
				cmd.Env = env
				if err := cmd.Run(); err != nil {
					return fmt.Errorf("raw re-exec: %w", err)
				}
			}
			return nil
		})
	})
	return &Workload{
		ID: "process-start-join", Title: "Process start+join", Unit: PerOp, Quick: true, Python: true,
		Note: "process.Run(square, 3): start a child (this binary re-executed), run a registered function, join, take the result; " +
			"baseline: re-execute this binary, which exits during initialization, and wait; Python: a spawn Process(target=noop)",
		Concur: Timed("process.Run", func(ctx context.Context, n int) (time.Duration, error) {
			return timed(func() error {
				for range n {
					if v, err := process.Run(ctx, squareFunc, 3); err != nil || v != 9 {
						return fmt.Errorf("square(3) = %d, %v", v, err)
					}
				}
				return nil
			})
		}),
		Baseline: &base,
		Bars:     []Bar{{Against: AgainstBaseline, Min: 0.5, Text: "within 2x of a raw re-exec"}},
	}
}

// counterArg is what the child of a two-process counter workload gets:
// it waits for Go, does N ops of kind Op on Counter or Raw, and sets Done.
type counterArg struct {
	Counter  *process.Value[int64]
	Raw      *process.RawArray[int64]
	Ready    *process.Event
	Go, Done *process.Event
	N        int
	Op       string
}

// counterOp returns the op of kind op: a locked increment, Value.Add or
// a raw atomic add on the shared mapping of a RawArray.
func (a *counterArg) op() func() {
	switch a.Op {
	case "locked":
		l := a.Counter.GetLock()
		return func() {
			l.Lock()
			a.Counter.Store(a.Counter.Load() + 1)
			l.Unlock()
		}
	case "add":
		return func() { a.Counter.Add(1) }
	case "raw":
		p := &a.Raw.Slice()[0]
		return func() { atomic.AddInt64(p, 1) }
	}
	panic("benchsuite: unknown counter op " + a.Op)
}

var counterChild = process.RegisterTarget("benchsuite.counter", func(ctx context.Context, a counterArg) error {
	op := a.op()
	a.Ready.Set()
	if err := a.Go.Wait(ctx); err != nil {
		return err
	}
	for range a.N {
		op()
	}
	a.Done.Set()
	return nil
})

// twoProcessCounter times n ops done at once in this process and in a
// child, on shared memory: one op is one update in each process. The
// child's start-up is not timed.
func twoProcessCounter(name, op string) Impl {
	return Impl{Name: name, Open: func(context.Context) (RunFunc, func() error, error) {
		var (
			a       = counterArg{Op: op}
			closers []interface{ Close() error }
			err     error
		)
		closeAll := func() error {
			var errs []error
			for _, c := range closers {
				errs = append(errs, c.Close())
			}
			return errors.Join(errs...)
		}
		if a.Counter, err = process.NewValue[int64](0); err == nil {
			closers = append(closers, a.Counter)
			a.Raw, err = process.NewRawArray[int64](1)
		}
		if err == nil {
			closers = append(closers, a.Raw)
			for _, e := range []**process.Event{&a.Ready, &a.Go, &a.Done} {
				if *e, err = process.NewEvent(); err != nil {
					break
				}
				closers = append(closers, *e)
			}
		}
		if err != nil {
			return nil, nil, errors.Join(err, closeAll())
		}
		run := func(ctx context.Context, n int) (time.Duration, error) {
			for _, e := range []*process.Event{a.Ready, a.Go, a.Done} {
				e.Clear()
			}
			a.Counter.Store(0)
			a.Raw.Store(0, 0)
			arg := a
			arg.N = n
			child := process.New(counterChild, arg)
			if err := child.Start(); err != nil {
				return 0, err
			}
			defer child.Close()
			if err := a.Ready.Wait(ctx); err != nil {
				return 0, err
			}
			do := a.op()
			start := time.Now()
			a.Go.Set()
			for range n {
				do()
			}
			err := a.Done.Wait(ctx)
			d := time.Since(start)
			if err := errors.Join(err, child.Join(ctx)); err != nil {
				return 0, err
			}
			if got := a.Counter.Load() + a.Raw.Load(0); got != int64(2*n) {
				return 0, fmt.Errorf("%s: counter is %d after 2×%d increments", op, got, n)
			}
			return d, nil
		}
		return run, closeAll, nil
	}}
}

func valueLockedWorkload() *Workload {
	base := Timed("sync.Mutex, 2 goroutines", func(_ context.Context, n int) (time.Duration, error) {
		var (
			mu sync.Mutex
			v  int64
			wg sync.WaitGroup
		)
		start := time.Now()
		for range 2 {
			wg.Go(func() {
				for range n {
					mu.Lock()
					v++
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		d := time.Since(start)
		if v != int64(2*n) {
			return 0, fmt.Errorf("counter is %d after 2×%d increments", v, n)
		}
		return d, nil
	})
	return &Workload{
		ID: "value-locked-2proc", Title: "Value locked increments, 2 processes", Unit: ItemsPerSec, Items: 2, Quick: true, Python: true,
		Note: "this process and a child each add 1 to a shared process.Value n times under its lock (GetLock, Load, Store); " +
			"baseline: two goroutines and a sync.Mutex; Python: `with v.get_lock(): v.value += 1` in two processes",
		Concur:   twoProcessCounter("process.Value+lock", "locked"),
		Baseline: &base,
		Bars:     []Bar{{Against: AgainstPython, Min: 10, Text: "10x Python's locked Value"}},
	}
}

func valueAddWorkload() *Workload {
	base := twoProcessCounter("raw atomic, shared mapping", "raw")
	return &Workload{
		ID: "value-add-2proc", Title: "Value atomic Add, 2 processes", Unit: ItemsPerSec, Items: 2, Quick: true,
		Note: "this process and a child each call Value.Add(1) n times; baseline: atomic.AddInt64 on the same kind of " +
			"shared mapping (a RawArray's memory); Python has no atomic add",
		Concur:   twoProcessCounter("process.Value.Add", "add"),
		Baseline: &base,
		Bars:     []Bar{{Against: AgainstBaseline, Min: 0.5, Text: "0.5x a raw atomic add on a shared mapping"}},
	}
}

var countdownFunc = process.RegisterFunc("benchsuite.countdown", countdown)

func countdownProcessesWorkload() *Workload {
	seq := countdownSequential()
	return &Workload{
		ID: "countdown-processes", Title: "CPU countdown: 2 processes vs sequential", Unit: Speedup, Quick: true, Python: true,
		Target: countdownTarget,
		Note: "the seeds' second program: task(n) in two processes at once, start-up included, against twice in a row, " +
			"n as in the threads' row; Python's processes are spawned, so start-up counts there too",
		Concur: Timed("2 processes", func(ctx context.Context, n int) (time.Duration, error) {
			return timed(func() error {
				for range n {
					if err := countdownInTwo(ctx); err != nil {
						return err
					}
				}
				return nil
			})
		}),
		Baseline: &seq,
		Bars:     []Bar{{Against: AgainstBaseline, Min: 1.8, Text: "1.8x faster than sequential on 2 cores; Python 1.56x"}},
	}
}

// countdownInTwo runs a countdown in each of two child processes at once.
func countdownInTwo(ctx context.Context) error {
	var ps [2]*process.Child[int]
	for i := range ps {
		ps[i] = process.New(countdownFunc, countdownSteps())
		defer ps[i].Close()
		if err := ps[i].Start(); err != nil {
			return err
		}
	}
	for _, p := range ps {
		if v, err := p.Result(ctx); err != nil || v != 0 {
			return fmt.Errorf("countdown in a child: %d, %v", v, err)
		}
	}
	return nil
}

// queueArg is what the producer child of the queue workload gets: it
// waits for Go, then puts N ints into Q.
type queueArg struct {
	Q         *process.Queue[int]
	Ready, Go *process.Event
	N         int
}

var queueProducer = process.RegisterTarget("benchsuite.produce", func(ctx context.Context, a queueArg) error {
	a.Ready.Set()
	if err := a.Go.Wait(ctx); err != nil {
		return err
	}
	for i := range a.N {
		if err := a.Q.Put(ctx, i); err != nil {
			return err
		}
	}
	return nil
})

func mpQueueWorkload() *Workload {
	concur := Impl{Name: "process.Queue", Open: func(context.Context) (RunFunc, func() error, error) {
		q, err := process.NewQueue[int](0)
		if err != nil {
			return nil, nil, err
		}
		run := func(ctx context.Context, n int) (time.Duration, error) {
			ready, err := process.NewEvent()
			if err != nil {
				return 0, err
			}
			defer ready.Close()
			start, err := process.NewEvent()
			if err != nil {
				return 0, err
			}
			defer start.Close()
			child := process.New(queueProducer, queueArg{Q: q, Ready: ready, Go: start, N: n})
			if err := child.Start(); err != nil {
				return 0, err
			}
			defer child.Close()
			if err := ready.Wait(ctx); err != nil {
				return 0, err
			}
			d, err := timed(func() error {
				start.Set()
				for i := range n {
					if v, err := q.Get(ctx); err != nil || v != i {
						return fmt.Errorf("got %d, %v; want %d", v, err, i)
					}
				}
				return nil
			})
			return d, errors.Join(err, child.Join(ctx))
		}
		return run, q.Close, nil
	}}
	return &Workload{
		ID: "mp-queue", Title: "Cross-process queue", Unit: ItemsPerSec, Items: 1, Quick: true, Python: true,
		Note: "a child process puts n ints into an unbounded process.Queue, this process gets them; " +
			"Python: multiprocessing.Queue, a spawned producer",
		Concur: concur,
		Bars:   []Bar{{Against: AgainstPython, Min: 5, Text: "5x Python's mp.Queue"}},
	}
}

func managerWorkload() *Workload {
	concur := Impl{Name: "process.Manager", Open: func(ctx context.Context) (RunFunc, func() error, error) {
		m, err := process.StartManager(ctx, process.WithOwnProcess())
		if err != nil {
			return nil, nil, err
		}
		d, err := process.ManagerDict[string, int](ctx, m)
		if err != nil {
			return nil, nil, errors.Join(err, m.Shutdown(context.WithoutCancel(ctx)))
		}
		run := func(ctx context.Context, n int) (time.Duration, error) {
			return timed(func() error {
				for i := range n {
					if err := d.Set(ctx, "k", i); err != nil {
						return err
					}
					if v, _, err := d.Get(ctx, "k"); err != nil || v != i {
						return fmt.Errorf("d[k] = %d, %v; want %d", v, err, i)
					}
				}
				return nil
			})
		}
		return run, func() error { return errors.Join(d.Close(), m.Shutdown(context.WithoutCancel(ctx))) }, nil
	}}
	return &Workload{
		ID: "manager-dict", Title: "Manager dict set+get", Unit: PerOp, Quick: true, Python: true,
		Note: "d.Set(k, i) then d.Get(k) through a ManagerDict proxy, the manager in its own process as Python's always is; " +
			"Python: `d['k'] = i; d['k']` on Manager().dict()",
		Concur: concur,
		Bars:   []Bar{{Against: AgainstPython, Min: 5, Text: "5x faster than Python's Manager"}},
	}
}
