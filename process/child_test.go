package process

import (
	"context"
	"errors"
	"testing"
)

// internalSleeps blocks until its child is stopped from outside.
var internalSleeps = RegisterTarget("test.internal.sleeps", func(ctx context.Context, _ struct{}) error {
	<-ctx.Done()
	return nil
})

func TestChildExitsWhenControlConnectionEnds(t *testing.T) {
	t.Parallel()
	// The watchdog alone, without Pdeathsig: end the connection as a
	// parent's death would, and the child must exit on its own.
	p := New(internalSleeps, struct{}{})
	if err := p.Start(); err != nil {
		t.Fatal(err)
	}
	p.mu.Lock()
	link := p.link
	p.mu.Unlock()
	link.conn.CloseWrite()
	if err := p.Join(context.Background()); err != nil {
		t.Fatalf("Join = %v, want a clean exit", err)
	}
	if _, err := p.Result(context.Background()); !errors.Is(err, ErrNoResult) {
		t.Fatalf("Result = %v, want ErrNoResult", err)
	}
}

func TestStartWithoutMainFailsAtOnce(t *testing.T) {
	// Not parallel: it pretends, for a moment, that Main was never called.
	mainCalled.Store(false)
	defer mainCalled.Store(true)
	p := New(internalSleeps, struct{}{})
	if err := p.Start(); !errors.Is(err, ErrMainNotCalled) {
		t.Fatalf("Start = %v, want ErrMainNotCalled", err)
	}
	if err := p.Join(context.Background()); !errors.Is(err, ErrMainNotCalled) {
		t.Fatalf("Join after the failed Start = %v", err)
	}
}

func TestUnknownFunctionInChild(t *testing.T) {
	t.Parallel()
	w := &worker{ctx: context.Background(), setup: &setupMsg{}}
	res := w.run(&callMsg{ID: 3, Func: "no.such.function"}, nil)
	if res.Status != statusError || res.ID != 3 {
		t.Fatalf("result %+v, want an error", res)
	}
}

func TestInboxKeepsOrder(t *testing.T) {
	t.Parallel()
	box := &inbox{ready: make(chan struct{}, 1)}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := range 1000 {
			box.put([]byte{byte(i), byte(i >> 8)})
		}
	}()
	for i := range 1000 {
		if m := box.take(); int(m[0])|int(m[1])<<8 != i {
			t.Fatalf("message %d arrived as %v", i, m)
		}
	}
	<-done
}
