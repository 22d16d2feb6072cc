package process

import (
	"bufio"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

func TestSharedMemoryLifecycle(t *testing.T) {
	m, err := CreateSharedMemory("", 100)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Unlink()
	if !strings.HasPrefix(m.Name(), "psm_") || m.Size() != 100 {
		t.Fatalf("name %q size %d", m.Name(), m.Size())
	}
	if _, err := CreateSharedMemory(m.Name(), 10); !errors.Is(err, fs.ErrExist) {
		t.Fatalf("creating a taken name: %v", err)
	}
	copy(m.Buf(), "shared")
	o, err := OpenSharedMemory("/" + m.Name())
	if err != nil {
		t.Fatal(err)
	}
	if o.Name() != m.Name() || string(o.Buf()[:6]) != "shared" {
		t.Fatalf("opened %q: %q", o.Name(), o.Buf()[:6])
	}
	// Passed to a child, it is the same memory even once unlinked.
	c := sharedRoundTrip(t, o)
	if err := o.Close(); err != nil {
		t.Fatal(err)
	}
	if err := o.Close(); !errors.Is(err, os.ErrClosed) {
		t.Fatalf("second Close: %v", err)
	}
	if err := m.Unlink(); err != nil {
		t.Fatal(err)
	}
	c.Buf()[0] = 'S'
	if m.Buf()[0] != 'S' || c.Name() != m.Name() {
		t.Fatal("the received copy is not the same memory")
	}
	c.Close()
	m.Close()
	if _, err := OpenSharedMemory(m.Name()); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("opening an unlinked name: %v", err)
	}
	if err := m.Unlink(); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("second Unlink: %v", err)
	}
	func() {
		defer func() {
			if err, _ := recover().(error); !errors.Is(err, os.ErrClosed) {
				t.Fatalf("Buf after Close panicked with %v", err)
			}
		}()
		m.Buf()
	}()
	if _, err := CreateSharedMemory("a/b", 10); err == nil {
		t.Fatal("a name with a slash must be refused")
	}
	if _, err := CreateSharedMemory("", 0); err == nil {
		t.Fatal("size 0 must be refused")
	}
}

// sharedMemPython returns the python3 to run for a pyenv version, or
// skips (fails under CONCUR_REQUIRE_TOOLS=1) when it is missing.
func sharedMemPython(t *testing.T, version string) func(script string, args ...string) string {
	t.Helper()
	py, err := exec.LookPath("python3")
	if err == nil {
		err = exec.Command(py, "-c", "import multiprocessing.shared_memory").Run()
	}
	cmdEnv := append(os.Environ(), "PYENV_VERSION="+version)
	if err == nil {
		cmd := exec.Command(py, "-c", "import sys; print('%d.%d.%d' % sys.version_info[:3])")
		cmd.Env = cmdEnv
		var out []byte
		out, err = cmd.Output()
		if err == nil && strings.TrimSpace(string(out)) != version {
			err = errors.New("got Python " + strings.TrimSpace(string(out)))
		}
	}
	if err != nil {
		if os.Getenv("CONCUR_REQUIRE_TOOLS") == "1" {
			t.Fatalf("Python %s: %v", version, err)
		}
		t.Skipf("Python %s: %v", version, err)
	}
	return func(script string, args ...string) string {
		t.Helper()
		cmd := exec.Command(py, append([]string{"-c", script}, args...)...)
		cmd.Env = cmdEnv
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("python %s: %v\n%s", version, err, out)
		}
		return string(out)
	}
}

// attachScript opens a segment by name the way a Python program should
// open one it did not create: without letting the resource tracker
// unlink it at exit.
const attachScript = `
import sys
from multiprocessing import shared_memory, resource_tracker
name = sys.argv[1]
if sys.version_info >= (3, 13):
    m = shared_memory.SharedMemory(name=name, track=False)
else:
    m = shared_memory.SharedMemory(name=name)
    resource_tracker.unregister(m._name, "shared_memory")
print(m.size, bytes(m.buf[:5]).decode())
m.buf[5:10] = b"world"
m.close()
`

const pythonCreateScript = `
import sys
from multiprocessing import shared_memory
m = shared_memory.SharedMemory(create=True, size=64)
m.buf[:6] = b"python"
print(m.name, flush=True)
sys.stdin.readline()  # wait until the Go side has read it
m.close()
m.unlink()
`

var sharedMemPythons = []string{"3.11.7", "3.12.1", "3.13.0"}

func TestSharedMemoryPythonInterop(t *testing.T) {
	for _, version := range sharedMemPythons {
		t.Run(version, func(t *testing.T) {
			python := sharedMemPython(t, version)

			// Go creates, Python attaches, reads and writes.
			m, err := CreateSharedMemory("", 4096)
			if err != nil {
				t.Fatal(err)
			}
			defer m.Close()
			defer m.Unlink()
			copy(m.Buf(), "hello")
			out := python(attachScript, m.Name())
			if strings.TrimSpace(out) != "4096 hello" {
				t.Fatalf("Python saw %q", out)
			}
			if got := string(m.Buf()[:10]); got != "helloworld" {
				t.Fatalf("Go sees %q after Python wrote", got)
			}
			// The segment outlived the Python process (no tracker unlink).
			time.Sleep(100 * time.Millisecond) // the tracker acts after exit
			if o, err := OpenSharedMemory(m.Name()); err != nil {
				t.Fatalf("segment gone after Python exited: %v", err)
			} else {
				o.Close()
			}

			// Python creates, Go opens by name.
			py, _ := exec.LookPath("python3")
			cmd := exec.Command(py, "-c", pythonCreateScript)
			cmd.Env = append(os.Environ(), "PYENV_VERSION="+version)
			stdin, _ := cmd.StdinPipe()
			stdout, _ := cmd.StdoutPipe()
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			line, _ := bufio.NewReader(stdout).ReadString('\n')
			name := strings.TrimSpace(line)
			o, err := OpenSharedMemory(name)
			if err != nil {
				t.Fatalf("open Python's %q: %v", name, err)
			}
			if string(o.Buf()[:6]) != "python" || o.Size() != 64 {
				t.Fatalf("Go sees %q, size %d", o.Buf()[:6], o.Size())
			}
			o.Close()
			stdin.Write([]byte("\n"))
			if err := cmd.Wait(); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestSharedMemoryPythonTrackerUnlinks records the CPython behaviour the
// documentation warns about: a Python process that merely attaches with
// the defaults unlinks the segment when it exits.
func TestSharedMemoryPythonTrackerUnlinks(t *testing.T) {
	python := sharedMemPython(t, "3.12.1")
	m, err := CreateSharedMemory("", 64)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	python(`
import sys, warnings
warnings.simplefilter("ignore")
from multiprocessing import shared_memory
shared_memory.SharedMemory(name=sys.argv[1]).close()
`, m.Name())
	deadline := time.Now().Add(5 * time.Second)
	for {
		o, err := OpenSharedMemory(m.Name())
		if errors.Is(err, fs.ErrNotExist) {
			break // unlinked by Python's resource tracker
		}
		if err == nil {
			o.Close()
		}
		if time.Now().After(deadline) {
			m.Unlink()
			t.Fatal("Python 3.12's resource tracker no longer unlinks attached segments: update the SharedMemory docs")
		}
		time.Sleep(10 * time.Millisecond)
	}
	// Our mapping still works; only the name is gone.
	m.Buf()[0] = 1
}
