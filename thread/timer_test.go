package thread

import (
	"errors"
	"fmt"
	"testing"
	"testing/synctest"
	"time"
)

// The tests follow CPython's test_threading.TimerTests.

func TestTimerFires(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var firedAt time.Time
		start := time.Now()
		tm := NewTimer(3*time.Second, func() error { firedAt = time.Now(); return nil })
		tm.Start()
		if err := tm.Join(bg); err != nil {
			t.Fatal(err)
		}
		if d := firedAt.Sub(start); d != 3*time.Second {
			t.Fatalf("fired after %v", d)
		}
		if tm.Cancel() {
			t.Fatal("Cancel after firing reported success")
		}
	})
}

func TestTimerCancel(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		fired := false
		tm := NewTimer(time.Hour, func() error { fired = true; return nil })
		tm.Start()
		time.Sleep(time.Minute)
		if !tm.Cancel() {
			t.Fatal("Cancel of a pending timer failed")
		}
		start := time.Now()
		if err := tm.Join(bg); err != nil {
			t.Fatal(err)
		}
		if time.Since(start) != 0 {
			t.Fatal("a cancelled timer kept its thread waiting")
		}
		time.Sleep(2 * time.Hour)
		if fired {
			t.Fatal("cancelled timer fired")
		}
		if tm.Cancel() {
			t.Fatal("second Cancel reported success")
		}
	})
}

func TestTimerCancelBeforeStart(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		fired := false
		tm := NewTimer(time.Second, func() error { fired = true; return nil })
		tm.Cancel()
		tm.Start()
		tm.Join(bg)
		if fired {
			t.Fatal("timer cancelled before Start fired")
		}
	})
}

func TestTimerIsAThread(t *testing.T) {
	quiet(t)
	synctest.Test(t, func(t *testing.T) {
		boom := errors.New("boom")
		tm := NewTimer(time.Second, func() error { return boom }, WithName("alarm"))
		if tm.Name() != "alarm" || tm.IsAlive() {
			t.Fatal(tm)
		}
		tm.Start()
		if err := tm.Start(); !errors.Is(err, ErrAlreadyStarted) {
			t.Fatal(err)
		}
		if err := tm.Join(bg); err != boom {
			t.Fatalf("Join = %v, want the function's error", err)
		}
	})
	var n int
	if _, err := fmt.Sscanf(NewTimer(time.Second, worker).Name(), "Thread-%d", &n); err != nil {
		t.Fatal("default Timer name is not Thread-N")
	}
}
