package process

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"
)

func TestEventWakesWaitersInOtherMappings(t *testing.T) {
	e, err := NewEvent()
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	other := sharedRoundTrip(t, e)
	defer other.Close()
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			if err := other.Wait(context.Background()); err != nil {
				t.Error(err)
			}
		})
	}
	e.Set()
	e.Set() // idempotent
	wg.Wait()
	if !other.IsSet() {
		t.Fatal("IsSet")
	}
	e.Clear()
	ctx, cancel := context.WithTimeout(context.Background(), time.Millisecond)
	defer cancel()
	if err := other.Wait(ctx); !errors.Is(err, context.DeadlineExceeded) || other.IsSet() {
		t.Fatalf("Wait on a cleared event: %v", err)
	}
}

// TestEventSetThenClear: a waiter released by Set returns nil even if the
// flag was cleared before it ran, as in Python.
func TestEventSetThenClear(t *testing.T) {
	e, err := NewEvent()
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	for range 50 {
		started := make(chan struct{})
		res := make(chan error)
		go func() {
			close(started)
			res <- e.Wait(context.Background())
		}()
		<-started
		for e.st.waiters.Load() == 0 {
			time.Sleep(10 * time.Microsecond)
		}
		e.Set()
		e.Clear()
		if err := <-res; err != nil {
			t.Fatal(err)
		}
	}
}
