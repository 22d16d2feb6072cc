package concur_test

import (
	"errors"
	"fmt"
	"io"
	"runtime"
	"strings"
	"testing"

	"github.com/concurgo/concur"
)

func TestCatchReturnsError(t *testing.T) {
	if err := concur.Catch(func() error { return io.EOF }); err != io.EOF {
		t.Fatalf("Catch = %v, want io.EOF", err)
	}
	if err := concur.Catch(func() error { return nil }); err != nil {
		t.Fatalf("Catch = %v, want nil", err)
	}
}

func TestCatchRecoversPanicWithStack(t *testing.T) {
	err := concur.Catch(func() error { panic(io.ErrUnexpectedEOF) })
	var pe *concur.PanicError
	if !errors.As(err, &pe) {
		t.Fatalf("Catch = %T %v, want *PanicError", err, err)
	}
	if !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("errors.Is does not see the panic value through %v", err)
	}
	if !strings.Contains(string(pe.Stack), "TestCatchRecoversPanicWithStack") {
		t.Errorf("stack does not name the panicking function:\n%s", pe.Stack)
	}
	if got := pe.Error(); got != "panic: "+io.ErrUnexpectedEOF.Error() {
		t.Errorf("Error() = %q", got)
	}
}

func TestCatchNonErrorPanic(t *testing.T) {
	err := concur.Catch(func() error { panic("boom") })
	var pe *concur.PanicError
	if !errors.As(err, &pe) || pe.Value != "boom" || pe.Unwrap() != nil {
		t.Fatalf("Catch = %#v", err)
	}
}

func TestGuardReportsGoexit(t *testing.T) {
	got := make(chan error, 2)
	done := make(chan struct{})
	go func() {
		defer close(done)
		concur.Guard(func() error { runtime.Goexit(); return nil }, func(err error) { got <- err })
		t.Error("Guard returned after Goexit")
	}()
	<-done
	if err := <-got; !errors.Is(err, concur.ErrGoexit) {
		t.Fatalf("done(%v), want ErrGoexit", err)
	}
	if len(got) != 0 {
		t.Fatal("done called twice")
	}
}

func TestGuardCallsDoneOnce(t *testing.T) {
	for _, fn := range []func() error{
		func() error { return nil },
		func() error { return io.EOF },
		func() error { panic("x") },
	} {
		calls := 0
		concur.Guard(fn, func(error) { calls++ })
		if calls != 1 {
			t.Fatalf("done called %d times", calls)
		}
	}
}

func ExampleCatch() {
	err := concur.Catch(func() error {
		var m map[string]int
		m["x"] = 1 // panics: assignment to entry in nil map
		return nil
	})
	var pe *concur.PanicError
	fmt.Println(errors.As(err, &pe))
	fmt.Println(err)
	// Output:
	// true
	// panic: assignment to entry in nil map
}
