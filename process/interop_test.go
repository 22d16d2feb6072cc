package process

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Interop with CPython's multiprocessing.connection, against the real
// interpreters: a Python Client talks to a concur Listener and a concur
// Client (Dial) to a Python Listener, for each Python version, over unix
// sockets (a path and an abstract name) and TCP, without a key, with the
// right key and with a wrong one.

var interopVersions = []string{"3.11.7", "3.12.1", "3.13.0"}

// interopChecked remembers, per version, why it is unusable ("" if it is).
var interopChecked sync.Map // version -> func() string

// interopPython returns a command running testdata/script with the given
// Python version, or skips the test when that version is missing (fails
// instead when CONCUR_REQUIRE_TOOLS=1).
func interopPython(t *testing.T, ctx context.Context, version, script string, args ...string) *exec.Cmd {
	t.Helper()
	v, _ := interopChecked.LoadOrStore(version, sync.OnceValue(func() string {
		check := exec.Command("python3", "-c", "import sys; print('%d.%d.%d' % sys.version_info[:3])")
		check.Env = append(os.Environ(), "PYENV_VERSION="+version)
		out, err := check.Output()
		if err != nil || strings.TrimSpace(string(out)) != version {
			return fmt.Sprintf("python %s is not available (%v, %q)", version, err, out)
		}
		return ""
	}))
	if msg := v.(func() string)(); msg != "" {
		if os.Getenv("CONCUR_REQUIRE_TOOLS") == "1" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	cmd := exec.CommandContext(ctx, "python3", append([]string{filepath.Join("testdata", script)}, args...)...)
	cmd.Env = append(os.Environ(), "PYENV_VERSION="+version)
	cmd.Stderr = os.Stderr
	return cmd
}

type interopCase struct {
	name, network, addr  string
	serverKey, clientKey string // "-" means no key
}

// abstractNames numbers the abstract socket names of interopCases: the
// interop tests run in parallel, and a name that only told processes and
// versions apart would be bound by two of them at once.
var abstractNames atomic.Int64

func interopCases(t *testing.T, version string) []interopCase {
	dir := t.TempDir()
	abstract := fmt.Sprintf("@concur-interop-%d-%s-%d", os.Getpid(), version, abstractNames.Add(1))
	return []interopCase{
		{"unix no key", "unix", filepath.Join(dir, "a"), "-", "-"},
		{"unix key", "unix", filepath.Join(dir, "b"), "s3cret", "s3cret"},
		{"unix wrong key", "unix", filepath.Join(dir, "c"), "s3cret", "guess"},
		{"abstract key", "unix", abstract, "s3cret", "s3cret"},
		{"tcp no key", "tcp", "127.0.0.1:0", "-", "-"},
		{"tcp key", "tcp", "127.0.0.1:0", "s3cret", "s3cret"},
		{"tcp wrong key", "tcp", "127.0.0.1:0", "s3cret", "guess"},
	}
}

func keyOpts(key string) []ConnOption {
	if key == "-" {
		return nil
	}
	return []ConnOption{WithAuthKey([]byte(key))}
}

func TestInteropPythonClient(t *testing.T) {
	t.Parallel()
	for _, version := range interopVersions {
		t.Run(version, func(t *testing.T) {
			t.Parallel()
			for _, tc := range interopCases(t, version) {
				t.Run(tc.name, func(t *testing.T) {
					ctx := timeout(t, 30*time.Second)
					handshakeErrs := make(chan error, 1)
					l := listen(t, tc.network, tc.addr, append(keyOpts(tc.serverKey),
						WithHandshakeErrorHandler(func(err error) { handshakeErrs <- err }))...)
					served := make(chan error, 1)
					go func() { served <- echoAll(ctx, l) }()

					cmd := interopPython(t, ctx, version, "py_client.py", tc.network, l.Addr().String(), tc.clientKey)
					out, err := cmd.Output()
					wrong := tc.serverKey != tc.clientKey
					if wrong {
						if !bytes.HasPrefix(out, []byte("AuthenticationError")) {
							t.Fatalf("python client with a wrong key: %v, output %q", err, out)
						}
						if err := <-handshakeErrs; !errors.Is(err, ErrAuthentication) {
							t.Fatalf("listener: %v, want ErrAuthentication", err)
						}
						return
					}
					if err != nil {
						t.Fatalf("python client: %v, output %q", err, out)
					}
					want := fmt.Sprintf("echo: hello from python %s\nbig ok\n", version[:strings.LastIndex(version, ".")])
					if string(out) != want {
						t.Fatalf("python client printed %q, want %q", out, want)
					}
					if err := <-served; err != nil {
						t.Fatal(err)
					}
				})
			}
		})
	}
}

// echoAll accepts one connection and answers each message with "echo: "
// and the message, until the peer closes.
func echoAll(ctx context.Context, l *Listener) error {
	c, err := l.Accept(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	for {
		m, err := c.RecvBytes(ctx)
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if err := c.SendBytes(ctx, append([]byte("echo: "), m...)); err != nil {
			return err
		}
	}
}

func TestInteropPythonListener(t *testing.T) {
	t.Parallel()
	for _, version := range interopVersions {
		t.Run(version, func(t *testing.T) {
			t.Parallel()
			for _, tc := range interopCases(t, version) {
				t.Run(tc.name, func(t *testing.T) {
					ctx := timeout(t, 30*time.Second)
					cmd := interopPython(t, ctx, version, "py_listener.py", tc.network, tc.addr, tc.serverKey)
					stdout, err := cmd.StdoutPipe()
					if err != nil {
						t.Fatal(err)
					}
					if err := cmd.Start(); err != nil {
						t.Fatal(err)
					}
					defer cmd.Wait()
					lines := bufio.NewScanner(stdout)
					if !lines.Scan() {
						t.Fatalf("python listener did not start: %v", lines.Err())
					}
					addr := tc.addr
					if tc.network == "tcp" {
						addr = "127.0.0.1:" + lines.Text()
					}
					c, err := Dial(ctx, tc.network, addr, keyOpts(tc.clientKey)...)
					if tc.serverKey != tc.clientKey {
						if !errors.Is(err, ErrAuthentication) {
							t.Fatalf("Dial with a wrong key: %v, want ErrAuthentication", err)
						}
						if !lines.Scan() || !strings.HasPrefix(lines.Text(), "AuthenticationError") {
							t.Fatalf("python listener printed %q", lines.Text())
						}
						return
					}
					if err != nil {
						t.Fatal(err)
					}
					prefix := fmt.Sprintf("python %s got: ", version[:strings.LastIndex(version, ".")])
					big := bytes.Repeat(payload(256), 400)
					for _, msg := range [][]byte{[]byte("hello from go"), big, nil} {
						if err := c.SendBytes(ctx, msg); err != nil {
							t.Fatal(err)
						}
						got, err := c.RecvBytes(ctx)
						if err != nil || !bytes.Equal(got, append([]byte(prefix), msg...)) {
							t.Fatalf("reply to a %d-byte message: %.60q, %v", len(msg), got, err)
						}
					}
					c.Close()
					if !lines.Scan() || lines.Text() != "EOF" {
						t.Fatalf("python listener printed %q after the Go side closed", lines.Text())
					}
				})
			}
		})
	}
}
