package futex

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"github.com/concurgo/concur/internal/shm"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// twoMappings returns two mappings of one memfd, the view two processes
// sharing a segment have, inside one test process.
func twoMappings(t *testing.T) (a, b *shm.Segment) {
	t.Helper()
	a, err := shm.New(4096)
	if err != nil {
		t.Fatal(err)
	}
	fd, err := syscall.Dup(int(a.File().Fd()))
	if err != nil {
		t.Fatal(err)
	}
	b, err = shm.FromFile(os.NewFile(uintptr(fd), "dup"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close(); b.Close() })
	return a, b
}

func TestWaitReturns(t *testing.T) {
	var w uint32 = 1
	if Wait(&w, 2, -1) {
		t.Fatal("a wait on a changed value must return at once, not time out")
	}
	if !Wait(&w, 1, time.Millisecond) {
		t.Fatal("an unwoken wait must time out")
	}
}

func TestWakeAcrossMappings(t *testing.T) {
	a, b := twoMappings(t)
	wa, wb := a.Word(0), b.Word(0)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for atomic.LoadUint32(wa) == 0 {
			Wait(wa, 0, -1)
		}
	}()
	atomic.StoreUint32(wb, 1)
	Wake(wb, All)
	<-done
}

func TestWaitContext(t *testing.T) {
	var w uint32
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error)
	go func() {
		for {
			if err := WaitContext(ctx, &w, 0, 0); err != nil {
				errc <- err
				return
			}
		}
	}()
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v", err)
	}
	dctx, dcancel := context.WithTimeout(context.Background(), time.Millisecond)
	defer dcancel()
	for {
		if err := WaitContext(dctx, &w, 0, 0); err != nil {
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("got %v", err)
			}
			break
		}
	}
	// A bounded wait on a background context returns nil after its limit.
	if err := WaitContext(context.Background(), &w, 0, time.Millisecond); err != nil {
		t.Fatal(err)
	}
}

func mutexAt(s *shm.Segment, off int) *Mutex {
	return (*Mutex)(s.At(off, unsafe.Sizeof(Mutex{})))
}

func TestMutexStress(t *testing.T) {
	a, b := twoMappings(t)
	ma, mb := mutexAt(a, 0), mutexAt(b, 0)
	ca, cb := (*uint64)(a.At(64, 8)), (*uint64)(b.At(64, 8))
	const goroutines, iters = 8, 2000
	var wg sync.WaitGroup
	for g := range goroutines {
		m, c := ma, ca
		if g%2 == 1 {
			m, c = mb, cb
		}
		wg.Go(func() {
			for i := range iters {
				if i%3 == 0 {
					for !m.TryLock() {
					}
				} else if died, err := m.Lock(context.Background()); died != 0 || err != nil {
					t.Errorf("Lock: %v %v", died, err)
					return
				}
				*c++ // plain increment: only the lock makes it safe
				if !m.Unlock() {
					t.Error("Unlock of a held lock reported false")
				}
			}
		})
	}
	wg.Wait()
	if *ca != goroutines*iters {
		t.Fatalf("counter = %d, want %d", *ca, goroutines*iters)
	}
	if ma.Locked() || ma.Unlock() {
		t.Fatal("an unlocked mutex must report so and refuse Unlock")
	}
}

func TestMutexOwnership(t *testing.T) {
	var m Mutex
	if !m.TryLock() || !m.HeldBySelf() || m.Owner() != os.Getpid() || m.TryLock() {
		t.Fatal("TryLock/HeldBySelf/Owner")
	}
	// Another goroutine of the same process waits; it must never "recover"
	// a lock held by its own, living process.
	ctx, cancel := context.WithTimeout(context.Background(), 2*Slice)
	defer cancel()
	if died, err := m.Lock(ctx); died != 0 || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Lock of a lock we hold: %v %v", died, err)
	}
	m.Unlock()
}

// startSleeper starts a real process and returns it with its owner word.
func startSleeper(t *testing.T) (*exec.Cmd, uint64) {
	t.Helper()
	cmd := exec.Command("sleep", "30")
	if err := cmd.Start(); err != nil {
		t.Skip("cannot start sleep:", err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	start, _, err := procStat(cmd.Process.Pid)
	if err != nil {
		t.Fatal(err)
	}
	return cmd, uint64(start)<<32 | uint64(cmd.Process.Pid)
}

func TestMutexRecoversFromDeadOwner(t *testing.T) {
	cmd, owner := startSleeper(t)
	var m Mutex
	m.state.Store(owner)

	// While the owner lives, the lock is not taken from it.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	if died, err := m.Lock(ctx); died != 0 || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Lock of a live owner's lock: %v %v", died, err)
	}
	if m.Owner() != cmd.Process.Pid {
		t.Fatal("the live owner lost its lock")
	}

	// Killed but not reaped (a zombie): dead. A waiter that was already
	// asleep notices within a slice or two.
	type result struct {
		died int
		err  error
	}
	res := make(chan result)
	go func() {
		died, err := m.Lock(context.Background())
		res <- result{died, err}
	}()
	time.Sleep(5 * time.Millisecond)
	cmd.Process.Signal(syscall.SIGKILL)
	if r := <-res; r.died != cmd.Process.Pid || r.err != nil || !m.HeldBySelf() {
		t.Fatalf("Lock after the owner was killed: %+v, held %v", r, m.HeldBySelf())
	}
	m.Unlock()

	// Reaped: the pid is gone.
	cmd.Wait()
	m.state.Store(owner)
	if died, err := m.Lock(context.Background()); died != cmd.Process.Pid || err != nil {
		t.Fatalf("Lock after the owner was reaped: %v %v", died, err)
	}
	m.Unlock()

	// Our own pid with another start time: a dead process whose pid we got.
	m.state.Store((Self() + 1<<32) | waitersBit)
	if died, err := m.Lock(context.Background()); died != os.Getpid() || err != nil {
		t.Fatalf("Lock after pid reuse: %v %v", died, err)
	}
	// A done context still gets one liveness check before giving up.
	m.state.Store(owner)
	done, cancel2 := context.WithCancel(context.Background())
	cancel2()
	if died, err := m.Lock(done); died != cmd.Process.Pid || err != nil {
		t.Fatalf("Lock with a done context of a dead owner's lock: %v %v", died, err)
	}
}

func TestProcStat(t *testing.T) {
	start, state, err := procStat(os.Getpid())
	if err != nil || state != 'R' && state != 'S' || start == 0 {
		t.Fatalf("procStat(self) = %d %q %v", start, state, err)
	}
	if uint32(Self()>>32) != start || int(Self()&pidMask) != os.Getpid() {
		t.Fatalf("Self = %x", Self())
	}
	if _, _, err := procStat(1 << 30); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("procStat of a missing pid: %v", err)
	}
}
