//go:build linux

package subprocess_test

import (
	"bytes"
	"context"
	"os/exec"
	"testing"

	"github.com/concurgo/concur/subprocess"
)

// Each benchmark here has its os/exec baseline beside it, so that one run
// gives the ratio: what subprocess costs on top of a bare fork and exec.

func BenchmarkRunTrue(b *testing.B) {
	ctx := context.Background()
	for b.Loop() {
		// DevNull everywhere, as os/exec's default, for a like-for-like
		// comparison.
		if _, err := subprocess.Run(ctx, []string{"/bin/true"},
			subprocess.Stdin(subprocess.DevNull), subprocess.Stdout(subprocess.DevNull), subprocess.Stderr(subprocess.DevNull)); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkExecCommandRunTrue(b *testing.B) {
	for b.Loop() {
		if err := exec.Command("/bin/true").Run(); err != nil {
			b.Fatal(err)
		}
	}
}

// 1 MiB of output, captured.
var captureArgv = []string{"head", "-c", "1048576", "/dev/zero"}

func BenchmarkCheckOutput1MiB(b *testing.B) {
	ctx := context.Background()
	b.SetBytes(1 << 20)
	for b.Loop() {
		if out, err := subprocess.CheckOutput(ctx, captureArgv); err != nil || len(out) != 1<<20 {
			b.Fatal(len(out), err)
		}
	}
}

func BenchmarkExecCommandOutput1MiB(b *testing.B) {
	b.SetBytes(1 << 20)
	for b.Loop() {
		if out, err := exec.Command(captureArgv[0], captureArgv[1:]...).Output(); err != nil || len(out) != 1<<20 {
			b.Fatal(len(out), err)
		}
	}
}

// 1 MiB through cat and back: Communicate against exec.Cmd with a
// bytes.Reader for stdin and a bytes.Buffer for stdout.
var payload = bytes.Repeat([]byte{'x'}, 1<<20)

func BenchmarkCommunicateCat1MiB(b *testing.B) {
	ctx := context.Background()
	b.SetBytes(1 << 20)
	for b.Loop() {
		cp, err := subprocess.Run(ctx, []string{"cat"}, subprocess.Input(payload), subprocess.Stdout(subprocess.Pipe))
		if err != nil || len(cp.Stdout) != len(payload) {
			b.Fatal(err)
		}
	}
}

func BenchmarkExecCommandCat1MiB(b *testing.B) {
	b.SetBytes(1 << 20)
	for b.Loop() {
		var out bytes.Buffer
		cmd := exec.Command("cat")
		cmd.Stdin, cmd.Stdout = bytes.NewReader(payload), &out
		if err := cmd.Run(); err != nil || out.Len() != len(payload) {
			b.Fatal(err)
		}
	}
}
