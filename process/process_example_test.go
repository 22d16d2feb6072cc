package process_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/concurgo/concur/process"
)

// Registered functions live in package-level variables, so that a child,
// the same binary, registers them too.
var (
	exampleCube = process.Register("example.cube", func(_ context.Context, x int) (int, error) {
		return x * x * x, nil
	})
	exampleGreet = process.RegisterTarget("example.greet", func(_ context.Context, name string) error {
		fmt.Printf("hello, %s, from %s\n", name, process.Current().Name())
		return nil
	})
	exampleDivide = process.Register("example.divide", func(_ context.Context, a [2]int) (int, error) {
		if a[1] == 0 {
			return 0, errors.New("division by zero")
		}
		return a[0] / a[1], nil
	})
	exampleForever = process.RegisterTarget("example.forever", func(ctx context.Context, _ struct{}) error {
		<-ctx.Done()
		fmt.Println("cleaning up:", context.Cause(ctx))
		return nil
	})
	exampleLog = process.RegisterTarget("example.log", func(_ context.Context, f process.File) error {
		defer f.Close()
		_, err := io.WriteString(f, "written by the child\n")
		return err
	})
)

// New, Start and Result: a function runs in a child process and its
// result comes back.
func ExampleNew() {
	p := process.New(exampleCube, 3)
	if err := p.Start(); err != nil {
		fmt.Println(err)
		return
	}
	v, err := p.Result(context.Background())
	fmt.Println(v, err)
	// Output: 27 <nil>
}

// The seeds' pattern: start several processes, then join them all. The
// child writes to the parent's standard output.
func ExampleProcess_Join() {
	p := process.New(exampleGreet, "world", process.WithName("greeter"))
	if err := p.Start(); err != nil {
		fmt.Println(err)
		return
	}
	if err := p.Join(context.Background()); err != nil {
		fmt.Println(err)
	}
	code, _ := p.ExitCode()
	fmt.Println("exit code", code)
	// Output:
	// hello, world, from greeter
	// exit code 0
}

// A function's error reaches the parent as a *RemoteError.
func ExampleRemoteError() {
	_, err := process.Run(context.Background(), exampleDivide, [2]int{1, 0})
	var re *process.RemoteError
	if errors.As(err, &re) {
		fmt.Println(re.Message)
	}
	// Output: division by zero
}

// Run with a deadline: a child that overruns is stopped, not left behind.
func ExampleRun_timeout() {
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, err := process.Run(ctx, exampleForever, struct{}{})
	fmt.Println(err)
	// Output: context deadline exceeded
}

// Terminate with a grace period: the child's context is cancelled, and it
// cleans up before it exits.
func ExampleWithGracePeriod() {
	p := process.New(exampleForever, struct{}{}, process.WithGracePeriod(5*time.Second))
	if err := p.Start(); err != nil {
		fmt.Println(err)
		return
	}
	p.Terminate() // Start returned once the child's handler was in place

	fmt.Println(p.Join(context.Background()))
	// Output:
	// cleaning up: process: received SIGTERM
	// <nil>
}

// An open file travels to the child inside the argument.
func ExampleFile() {
	r, w, err := os.Pipe()
	if err != nil {
		fmt.Println(err)
		return
	}
	defer r.Close()
	p := process.New(exampleLog, process.File{File: w})
	err = p.Start()
	w.Close() // the child has its own descriptor
	if err != nil {
		fmt.Println(err)
		return
	}
	data, _ := io.ReadAll(r)
	fmt.Print(string(data))
	fmt.Println(p.Join(context.Background()))
	// Output:
	// written by the child
	// <nil>
}
