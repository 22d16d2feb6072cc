package futex

import (
	"bytes"
	"context"
	"errors"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"
)

// Mutex is a mutual-exclusion lock for memory shared between processes,
// owned by a process rather than a goroutine, and robust: when the
// process holding it dies, a waiter takes it over and is told, the model
// of pthread's robust mutexes (EOWNERDEAD).
//
// The state is one 64-bit word. Its low 32 bits, the futex word, hold the
// owner's pid and a waiters bit; its high 32 bits hold the low bits of the
// owner's start time (clock ticks since boot), written by the same CAS
// that takes the lock, so that a recycled pid is not mistaken for the
// owner. The zero value is unlocked. An uncontended Lock is one CAS and an
// uncontended Unlock one CAS.
//
// A waiter spins briefly, then sleeps on the futex in slices of at most
// Slice; whenever a slice ends with the same owner, and before giving up
// on a done context, it checks that the owner still runs (/proc/<pid>/stat:
// present, not a zombie, same start time). A dead owner's lock is taken
// over with a CAS, so of several waiters exactly one wins it.
//
// Liveness is judged by pid, so every process using a Mutex must share a
// pid namespace (a parent and its children always do).
type Mutex struct {
	state atomic.Uint64
}

const (
	waitersBit = 1 << 31
	pidMask    = 1<<30 - 1 // Linux pids are below 1<<22 (PID_MAX_LIMIT)
)

// spinCount is how many times Lock re-reads a held lock before it sleeps;
// critical sections over shared memory are short, and a sleep and wake-up
// costs microseconds.
const spinCount = 200

// lowHalf is the offset of the futex word (the low 32 bits) inside the
// 64-bit state on this machine's byte order.
var lowHalf = func() uintptr {
	x := uint64(1)
	if *(*byte)(unsafe.Pointer(&x)) == 1 {
		return 0
	}
	return 4
}()

func (m *Mutex) word() *uint32 {
	return (*uint32)(unsafe.Add(unsafe.Pointer(&m.state), lowHalf))
}

// Self returns the owner word of the calling process: its pid in the low
// 32 bits and the low bits of its start time in the high 32. It is read
// from /proc once; every Lock uses it, so later calls are one load.
func Self() uint64 {
	if s := self.Load(); s != 0 {
		return s
	}
	return selfSlow()
}

func selfSlow() uint64 {
	selfOnce.Do(func() {
		pid := os.Getpid()
		start, _, err := procStat(pid)
		if err != nil {
			// /proc is not mounted: liveness cannot be checked either,
			// and a zero start time disables stealing (see ownerAlive).
			start = 0
		}
		self.Store(uint64(start)<<32 | uint64(pid))
	})
	return self.Load()
}

var (
	self     atomic.Uint64
	selfOnce sync.Once
)

// TryLock takes the lock if it is free, without waiting, and reports
// whether it did. It does not recover a lock whose owner died: only Lock
// checks the owner's liveness.
func (m *Mutex) TryLock() bool {
	return m.state.CompareAndSwap(0, Self())
}

// Lock takes the lock, waiting while another process (or another
// goroutine of this one) holds it. When it took the lock over from a
// process that died holding it, it returns that process's pid as
// deadOwner (else 0): the caller then holds the lock and should repair
// whatever the lock protects. If ctx is done first it returns ctx's error
// without the lock.
func (m *Mutex) Lock(ctx context.Context) (deadOwner int, err error) {
	if m.state.CompareAndSwap(0, Self()) {
		return 0, nil
	}
	return m.lockSlow(ctx)
}

func (m *Mutex) lockSlow(ctx context.Context) (int, error) {
	me := Self()
	for range spinCount {
		if m.state.Load() == 0 && m.state.CompareAndSwap(0, me) {
			return 0, nil
		}
	}
	var (
		checked   uint64    // the owner word last found alive
		checkedAt time.Time // when
	)
	for {
		s := m.state.Load()
		if s == 0 {
			// Taken with the waiters bit set: there may be other sleepers,
			// and the cost of being wrong is one spare wake-up at Unlock.
			if m.state.CompareAndSwap(0, me|waitersBit) {
				return 0, nil
			}
			continue
		}
		if s&waitersBit == 0 {
			if !m.state.CompareAndSwap(s, s|waitersBit) {
				continue
			}
			s |= waitersBit
		}
		err := WaitContext(ctx, m.word(), uint32(s), Slice)
		if m.state.Load() != s {
			if err != nil {
				return 0, err
			}
			continue
		}
		// Same owner as before the sleep: a full slice passed or ctx is
		// done. Check that the owner lives, at most once per slice per
		// owner unless we are about to give up.
		if err != nil || s != checked || time.Since(checkedAt) >= Slice {
			if !ownerAlive(s, me) {
				if m.state.CompareAndSwap(s, me|waitersBit) {
					return int(s & pidMask), nil
				}
				continue
			}
			checked, checkedAt = s, time.Now()
		}
		if err != nil {
			return 0, err
		}
	}
}

// Unlock releases the lock, whoever holds it: like a Python
// multiprocessing.Lock, a lock taken by one process may be released by
// another. It reports false, changing nothing, if the lock was not held.
func (m *Mutex) Unlock() bool {
	if m.state.CompareAndSwap(Self(), 0) {
		return true // held by this process, nobody waiting: the common case
	}
	for {
		s := m.state.Load()
		if s == 0 {
			return false
		}
		if m.state.CompareAndSwap(s, 0) {
			if s&waitersBit != 0 {
				Wake(m.word(), 1)
			}
			return true
		}
	}
}

// Locked reports whether some process holds the lock.
func (m *Mutex) Locked() bool { return m.state.Load() != 0 }

// HeldBySelf reports whether the calling process holds the lock.
func (m *Mutex) HeldBySelf() bool { return m.state.Load()&^waitersBit == Self() }

// Owner returns the pid of the process holding the lock, or 0.
func (m *Mutex) Owner() int { return int(m.state.Load() & pidMask) }

// ownerAlive reports whether the process named by the owner word s is
// still running. me is the caller's own owner word.
func ownerAlive(s, me uint64) bool {
	s &^= waitersBit
	if s == me || me>>32 == 0 {
		// Ourselves, or /proc is unreadable here (Self found no start
		// time) and a missing stat file proves nothing.
		return true
	}
	pid := int(s & pidMask)
	start, state, err := procStat(pid)
	if errors.Is(err, os.ErrNotExist) {
		return false
	}
	if err != nil {
		return true // cannot tell: never steal a lock on a guess
	}
	if state == 'Z' || state == 'X' {
		return false // killed but not yet reaped by its parent
	}
	return uint32(s>>32) == start
}

// procStat reads the state and the low 32 bits of the start time of pid
// from /proc/<pid>/stat.
func procStat(pid int) (start uint32, state byte, err error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, 0, err
	}
	// The command name, field 2, is in parentheses and may hold anything;
	// the fields after its closing parenthesis start with the state.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, 0, errors.New("futex: malformed /proc stat")
	}
	fields := bytes.Fields(b[i+1:])
	const stateField, startField = 0, 19 // fields 3 and 22 of proc(5)
	if len(fields) <= startField || len(fields[stateField]) != 1 {
		return 0, 0, errors.New("futex: malformed /proc stat")
	}
	ticks, err := strconv.ParseUint(string(fields[startField]), 10, 64)
	if err != nil {
		return 0, 0, err
	}
	return uint32(ticks), fields[stateField][0], nil
}
