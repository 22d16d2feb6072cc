package process

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

func TestPoolWithoutMainFailsAtOnce(t *testing.T) {
	// Not parallel: it pretends, for a moment, that Main was never called.
	mainCalled.Store(false)
	defer mainCalled.Store(true)
	p, err := NewPool(2)
	if !errors.Is(err, ErrMainNotCalled) || !errors.Is(err, ErrBrokenPool) || p != nil {
		t.Fatalf("NewPool without Main = %v, %v", p, err)
	}
}

var internalPid = RegisterFunc("test.internal.pid", func(int) int { return os.Getpid() })

// Without a pidfd to watch a worker's exit with, the pool's reader reads
// at all times and callers never take its role: everything still works,
// and an idle worker's death is still noticed.
func TestPoolWithoutExitWatch(t *testing.T) {
	// Not parallel: it replaces pidfdOpen for the pools it starts.
	pidfdOpen = func(int, int) (int, error) { return -1, unix.ENOSYS }
	defer func() { pidfdOpen = unix.PidfdOpen }()
	ctx := context.Background()
	p, err := NewPool(2)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Terminate()
	pid, err := Apply(ctx, p, internalPid, 1)
	if err != nil {
		t.Fatal(err)
	}
	pids, err := Map(ctx, p, internalPid, make([]int, 100))
	if err != nil || !slices.Contains(pids, pid) {
		t.Fatalf("Map = %v, %v", pids, err)
	}
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		if _, err := os.Stat(fmt.Sprintf("/proc/%d", pid)); errors.Is(err, os.ErrNotExist) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the idle worker %d, killed, was not reaped", pid)
		}
	}
	for range 20 {
		if next, err := Apply(ctx, p, internalPid, 1); err != nil || next == pid {
			t.Fatalf("Apply after the death = %d, %v", next, err)
		}
	}
}

// onExit reports the exit of a running child, and of one that had
// exited, unreaped, before it was asked: that one sends the poller no new
// event.
func TestOnExit(t *testing.T) {
	t.Parallel()
	for _, running := range []bool{true, false} {
		t.Run(fmt.Sprint("running=", running), func(t *testing.T) {
			t.Parallel()
			cmd := exec.Command("sleep", "60")
			if !running {
				cmd = exec.Command("true")
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			defer cmd.Wait()
			if !running { // wait until it has exited, leaving it unreaped
				var info unix.Siginfo
				if err := unix.Waitid(unix.P_PID, cmd.Process.Pid, &info, unix.WEXITED|unix.WNOWAIT, nil); err != nil {
					t.Fatal(err)
				}
			}
			exited := make(chan struct{})
			if !onExit(cmd.Process.Pid, func() { close(exited) }) {
				t.Fatal("onExit could not watch a child")
			}
			if running {
				select {
				case <-exited:
					t.Fatal("onExit reported a running child as exited")
				case <-time.After(20 * time.Millisecond):
				}
				cmd.Process.Kill()
			}
			select {
			case <-exited:
			case <-time.After(10 * time.Second):
				t.Fatal("onExit did not report the exit")
			}
		})
	}
}

// FuzzPoolItems decodes chunks of arguments or results as another process
// could send them: the decoders must not panic, and what they accept must
// encode back to the same bytes for the types that travel as memory.
func FuzzPoolItems(f *testing.F) {
	seed := func(data []byte, err error) {
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	seed(encodeItems([]int{1, 2, 3}))
	seed(encodeItems([]bool{true, false}))
	seed(encodeItems([]string{"a", "bc"}))
	seed(encodeItems([]powItem{{1, "x"}, {2, "y"}}))
	f.Add([]byte{})
	f.Add([]byte{2})
	f.Fuzz(func(t *testing.T, data []byte) {
		if v, err := decodeItems[int64](data); err == nil {
			again, err := encodeItems(v)
			if err != nil || string(again) != string(data) {
				t.Fatalf("[]int64 round trip: %x, %v", again, err)
			}
		}
		if v, err := decodeItems[bool](data); err == nil {
			if again, err := encodeItems(v); err != nil || string(again) != string(data) {
				t.Fatalf("[]bool round trip: %x, %v", again, err)
			}
		}
		decodeItems[string](data)
		decodeItems[powItem](data)
		decodeItems[any](data)
	})
}

type powItem struct {
	X int
	S string
}
