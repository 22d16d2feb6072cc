package process

import (
	"context"
	"os"
	"sync/atomic"
)

// envChild marks a process that concur started. Main removes it from the
// child's environment at once, so that a program the child executes in
// turn is not mistaken for a concur child; a marked process that never
// reached Main is one that forgot to call it.
const envChild = "CONCUR_PROCESS_CHILD"

// mainCalled records that Main ran: in the parent, Start refuses to spawn
// without it; in a child, it is set before the function is dispatched.
var mainCalled atomic.Bool

// Main is the Go form of Python's `if __name__ == '__main__':`. Call it
// first in main, and first in TestMain in test binaries:
//
//	func main() {
//		process.Main()
//		// the program, which may start processes
//	}
//
//	func TestMain(m *testing.M) {
//		process.Main()
//		goleak.VerifyTestMain(m)
//	}
//
// In the program the user started, Main returns at once. In a child that
// concur started (the same binary re-executed), Main never returns: it
// runs the registered function the child was started for, reports the
// outcome to the parent and exits. Whatever main does before Main also
// runs in every child, so do nothing before it; package initialization
// (including Register in package-level variables) runs everywhere, which
// is how parent and child agree on the registered names.
//
// A program that starts a process without having called Main gets
// ErrMainNotCalled, never a fork bomb or a hang.
func Main() {
	if _, child := os.LookupEnv(envChild); !child {
		mainCalled.Store(true)
		return
	}
	os.Unsetenv(envChild)
	mainCalled.Store(true)
	runChild()
}

// Exit ends the program the way a Python program ends after using
// multiprocessing: it terminates (SIGTERM) the running daemon children,
// waits for every child to exit, then calls os.Exit(code).
//
// Go has no atexit hook, so this step is explicit. A program that returns
// from main or calls os.Exit without it does not leave children behind
// either: every child, daemon or not, exits as soon as its parent is gone
// (see the package documentation); what only Exit gives is waiting for
// the non-daemon children to finish their work, as Python does.
//
// A child process does the same when its function returns, before it
// exits: its daemon children are terminated and the others are joined.
func Exit(code int) {
	shutdownChildren()
	os.Exit(code)
}

// shutdownChildren is Python's multiprocessing.util._exit_function:
// terminate the daemon children, then join all of them.
func shutdownChildren() {
	active := ActiveChildren()
	for _, p := range active {
		if p.daemon {
			p.Terminate()
		}
	}
	for _, p := range active {
		p.Join(context.Background())
	}
}
