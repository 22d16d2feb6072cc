//go:build linux

// Package subprocess is Python's subprocess module for Go, built on os/exec:
// Run, Call, CheckCall and CheckOutput for the common cases, and Popen for
// full control of a running child.
//
// What it adds to os/exec is what every caller of os/exec otherwise has to
// get right by hand:
//
//   - A context deadline is the timeout. When it ends, the whole process
//     tree is stopped — the child runs in a new process group, and the group
//     is killed (optionally SIGTERM first, SIGKILL after a Grace period) — and
//     the error, a *TimeoutExpired, carries the output captured so far.
//   - Communicate feeds stdin and drains stdout and stderr concurrently, so a
//     child writing megabytes to both never deadlocks.
//   - A descendant that keeps a pipe open after the child exits cannot hang
//     Wait or Communicate: after WaitDelay the pipes are cut off.
//   - A return code is Python's: the exit status, or -N when signal N killed
//     the child. A check that fails is a *CalledProcessError carrying the
//     output; a missing program is an error that matches fs.ErrNotExist
//     (Python's FileNotFoundError), never a return code.
//   - No shell is involved unless Shell is given.
//
// The package is Linux-only: it holds an exited child unreaped (waitid with
// WNOWAIT) until it has finished with the child's process group, so that a
// signal meant for that group can never reach a recycled process ID.
//
// Unlike Python, a child inherits the parent's stdin, stdout and stderr
// unless told otherwise (Python's default, but not os/exec's), and it runs
// in its own process group unless SameProcessGroup is given (Python keeps it
// in the parent's group). See the Python→Go table in
// docs/python-mapping.md#subprocess-package-subprocess.
package subprocess
