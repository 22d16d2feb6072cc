//go:build linux

package subprocess_test

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"syscall"
	"time"

	"github.com/concurgo/concur/subprocess"
)

// Python: subprocess.run(["sh", "-c", ...], capture_output=True)
func ExampleRun() {
	cp, err := subprocess.Run(context.Background(), []string{"sh", "-c", "echo to stdout; echo to stderr >&2; exit 3"},
		subprocess.CaptureOutput())
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("code %d, stdout %q, stderr %q\n", cp.ReturnCode, cp.Stdout, cp.Stderr)
	// Output: code 3, stdout "to stdout\n", stderr "to stderr\n"
}

// Python: subprocess.run(args, timeout=0.1). The deadline kills the child's
// whole process group; the error says it was a timeout.
func ExampleRun_timeout() {
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	cp, err := subprocess.Run(ctx, []string{"sh", "-c", "sleep 1000 & wait"}, subprocess.CaptureOutput())
	var te *subprocess.TimeoutExpired
	fmt.Println(errors.As(err, &te), errors.Is(err, context.DeadlineExceeded))
	fmt.Println("return code", cp.ReturnCode)
	// Output:
	// true true
	// return code -9
}

// Python: subprocess.run(args, input=b"...", capture_output=True)
func ExampleInput() {
	cp, err := subprocess.Run(context.Background(), []string{"tr", "a-z", "A-Z"},
		subprocess.Input([]byte("hello\n")), subprocess.CaptureOutput())
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%s", cp.Stdout)
	// Output: HELLO
}

// Python: subprocess.check_output(args, stderr=subprocess.STDOUT)
func ExampleCheckOutput() {
	out, err := subprocess.CheckOutput(context.Background(), []string{"sh", "-c", "echo one; echo two >&2"},
		subprocess.Stderr(subprocess.ToStdout))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%s", out)
	// Output:
	// one
	// two
}

// Python: except subprocess.CalledProcessError as e: e.returncode, e.stderr
func ExampleCalledProcessError() {
	err := subprocess.CheckCall(context.Background(), []string{"ls", "/no/such/dir"},
		subprocess.Stderr(subprocess.Pipe))
	var cpe *subprocess.CalledProcessError
	if errors.As(err, &cpe) {
		fmt.Println("return code", cpe.ReturnCode, "with an error message:", len(cpe.Stderr) > 0)
	}
	// Output: return code 2 with an error message: true
}

// Python: except FileNotFoundError — a missing program is an error, not a
// return code.
func ExampleStart_missingProgram() {
	_, err := subprocess.Start([]string{"no-such-program"})
	fmt.Println(errors.Is(err, fs.ErrNotExist))
	// Output: true
}

// Python: subprocess.run(cmd, shell=True). Values go in as positional
// parameters, never pasted into the command line.
func ExampleShell() {
	name := "world; rm -rf /" // hostile input stays one harmless argument
	cp, err := subprocess.Run(context.Background(), []string{`echo "hello, $1"`, "sh", name},
		subprocess.Shell(), subprocess.Stdout(subprocess.Pipe))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%s", cp.Stdout)
	// Output: hello, world; rm -rf /
}

// Python: p = Popen(args, stdin=PIPE, stdout=PIPE); out, _ = p.communicate(input)
func ExamplePopen_Communicate() {
	p, err := subprocess.Start([]string{"sort"}, subprocess.Stdin(subprocess.Pipe), subprocess.Stdout(subprocess.Pipe))
	if err != nil {
		fmt.Println(err)
		return
	}
	out, _, err := p.Communicate(context.Background(), []byte("pear\napple\nfig\n"))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%sreturn code %d\n", out, p.ReturnCode())
	// Output:
	// apple
	// fig
	// pear
	// return code 0
}

// Python: p.terminate(); p.wait() gives -signal.SIGTERM.
func ExamplePopen_Terminate() {
	p, err := subprocess.Start([]string{"sleep", "1000"})
	if err != nil {
		fmt.Println(err)
		return
	}
	p.Terminate()
	code, err := p.Wait(context.Background())
	fmt.Println(code, code == -int(syscall.SIGTERM), err)
	// Output: -15 true <nil>
}

// Python: p.wait(timeout=...) leaves the child running on timeout; here
// that is a select on Done.
func ExamplePopen_Done() {
	p, err := subprocess.Start([]string{"sleep", "1000"})
	if err != nil {
		fmt.Println(err)
		return
	}
	select {
	case <-p.Done():
		fmt.Println("exited")
	case <-time.After(10 * time.Millisecond):
		_, running := p.Poll()
		fmt.Println("still running:", !running)
	}
	p.Kill()
	code, _ := p.Wait(context.Background())
	fmt.Println("killed:", code)
	// Output:
	// still running: true
	// killed: -9
}
