package thread

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"reflect"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/concurgo/concur"
)

// The tests follow CPython's test_threading.ExceptHookTests.

func hookCalls(t *testing.T) func() []ExceptHookArgs {
	var mu sync.Mutex
	var calls []ExceptHookArgs
	prev := SetExceptHook(func(a ExceptHookArgs) {
		if Current() != a.Thread {
			t.Error("hook not run in the failing thread")
		}
		mu.Lock()
		calls = append(calls, a)
		mu.Unlock()
	})
	t.Cleanup(func() { SetExceptHook(prev) })
	return func() []ExceptHookArgs {
		mu.Lock()
		defer mu.Unlock()
		return calls
	}
}

type divError struct{}

func (divError) Error() string { return "division by zero" }

func TestExceptHookArgs(t *testing.T) {
	calls := hookCalls(t)
	ok := New(worker)
	failed := New(func() error { return divError{} })
	panicked := New(func() error { var m map[string]int; m["x"] = 1; return nil })
	for _, th := range []*Thread{ok, failed, panicked} {
		th.Start()
		th.Join(bg) // returns after the hook: the hook runs before the thread stops
	}
	got := calls()
	if len(got) != 2 {
		t.Fatalf("hook called %d times, want 2", len(got))
	}
	e := got[0]
	if e.Thread != failed || e.Err != (divError{}) || e.Value != (divError{}) || e.Type != reflect.TypeFor[divError]() || e.Stack != nil {
		t.Fatalf("error args %+v", e)
	}
	p := got[1]
	var pe *concur.PanicError
	if p.Thread != panicked || !errors.As(p.Err, &pe) || len(p.Stack) == 0 {
		t.Fatalf("panic args %+v", p)
	}
	if p.Value != pe.Value || p.Type != reflect.TypeOf(pe.Value) || !p.Type.Implements(reflect.TypeFor[runtime.Error]()) {
		t.Fatalf("panic Type %v is not the panic value's type", p.Type)
	}
	if !bytes.Contains(p.Stack, []byte("TestExceptHookArgs")) {
		t.Fatalf("stack lacks the panicking function:\n%s", p.Stack)
	}
}

func TestSetExceptHookReturnsPrevious(t *testing.T) {
	prev := SetExceptHook(nil)
	defer SetExceptHook(prev)
	mine := func(ExceptHookArgs) {}
	if got := SetExceptHook(mine); reflect.ValueOf(got).Pointer() != reflect.ValueOf(DefaultExceptHook).Pointer() {
		t.Fatal("SetExceptHook did not return the default hook")
	}
	if got := SetExceptHook(nil); reflect.ValueOf(got).Pointer() != reflect.ValueOf(mine).Pointer() {
		t.Fatal("SetExceptHook did not return the installed hook")
	}
}

func TestWriteException(t *testing.T) {
	var b bytes.Buffer
	writeException(&b, ExceptHookArgs{Err: errors.New("boom"), Thread: New(worker, WithName("w"))})
	if got := b.String(); got != "Exception in thread w:\nboom\n" {
		t.Fatalf("%q", got)
	}
	b.Reset()
	writeException(&b, ExceptHookArgs{Err: &concur.PanicError{Value: 1}, Stack: []byte("goroutine 7 [running]:\n"), Thread: Main()})
	if got := b.String(); got != "Exception in thread MainThread:\npanic: 1\n\ngoroutine 7 [running]:\n" {
		t.Fatalf("%q", got)
	}
}

// TestDefaultExceptHookOutput runs failing threads in a child process, to
// see what really reaches stderr: the default hook's report, the except
// hook's own panic, silence for Goexit, and a program that survives.
func TestDefaultExceptHookOutput(t *testing.T) {
	if os.Getenv("THREAD_TEST_CHILD") == "excepthook" {
		New(func() error { return errors.New("boom") }, WithName("erring")).Start()
		for _, th := range Enumerate() {
			if th != Main() && th != Current() {
				th.Join(bg)
			}
		}
		th := New(func() error { panic("kaboom") }, WithName("panicking"))
		th.Start()
		th.Join(bg)
		th = New(func() error { runtime.Goexit(); return nil }, WithName("exiting"))
		th.Start()
		th.Join(bg)
		SetExceptHook(func(ExceptHookArgs) { panic("hook broke") })
		th = New(func() error { return errors.New("x") }, WithName("last"))
		th.Start()
		th.Join(bg)
		os.Stdout.WriteString("survived\n")
		os.Exit(0)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestDefaultExceptHookOutput$")
	cmd.Env = append(os.Environ(), "THREAD_TEST_CHILD=excepthook")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil || string(out) != "survived\n" {
		t.Fatalf("child: %v, stdout %q, stderr:\n%s", err, out, stderr.String())
	}
	got := stderr.String()
	for _, want := range []string{
		"Exception in thread erring:\nboom\n",
		"Exception in thread panicking:\npanic: kaboom\n\ngoroutine ",
		"Exception in thread.ExceptHook:\npanic: hook broke\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("stderr lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "exiting") {
		t.Errorf("default hook reported runtime.Goexit:\n%s", got)
	}
	if !regexp.MustCompile(`(?s)panicking:.*TestDefaultExceptHookOutput`).MatchString(got) {
		t.Errorf("panic report lacks the stack:\n%s", got)
	}
}
