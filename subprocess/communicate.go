//go:build linux

package subprocess

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"time"
)

type communicated struct {
	stdout, stderr []byte
	err            error
}

// Communicate writes input to the child's stdin and closes it, reads its
// stdout and stderr to the end, and waits for it to exit: Python's
// Popen.communicate(input). The three streams are served concurrently, so
// a child that writes megabytes to both outputs while its input is still
// being written never deadlocks. stdout and stderr are what the Stdout and
// Stderr pipes delivered, nil for streams that are not a Pipe. A non-zero
// return code is not an error; ReturnCode tells it.
//
// When ctx ends first, Communicate stops the child's process group (see
// Grace), collects what the pipes still deliver and returns it, with a
// *TimeoutExpired carrying the same output. Python leaves the child running
// and expects the caller to kill it and call communicate again; here the
// first call does both.
//
// Once the child has exited, the pipes are read for at most WaitDelay
// more; a descendant still holding one then is cut off and Communicate
// reports exec.ErrWaitDelay.
//
// input must be empty unless Stdin is Pipe; otherwise Communicate panics.
// Communicate closes Stdin, Stdout and Stderr. Later calls return the
// first call's results.
func (p *Popen) Communicate(ctx context.Context, input []byte) (stdout, stderr []byte, err error) {
	if len(input) > 0 && p.Stdin == nil {
		panic("subprocess: Communicate with input needs Stdin(Pipe)")
	}
	p.commMu.Lock()
	defer p.commMu.Unlock()
	if p.comm == nil {
		p.comm = p.communicate(ctx, input)
	}
	return p.comm.stdout, p.comm.stderr, p.comm.err
}

func (p *Popen) communicate(ctx context.Context, input []byte) *communicated {
	var feeding sync.WaitGroup
	var writeErr error
	if p.Stdin != nil {
		feeding.Go(func() { writeErr = feed(p.Stdin, input) })
	}
	drained := make(chan struct{}, 2)
	outs := [2]*drain{startDrain(p.Stdout, drained), startDrain(p.Stderr, drained)}
	pending := 0
	for _, d := range outs {
		if d != nil {
			pending++
		}
	}

	var timeout *TimeoutExpired
	var cutoff <-chan time.Time
	cut := false
	exited, done := p.exited, ctx.Done()
	for exited != nil || pending > 0 {
		select {
		case <-done:
			// Stop the child, or after its exit whatever of its group holds
			// a pipe; then keep collecting what the pipes deliver.
			done = nil
			timeout = newTimeoutExpired(ctx, p.Args)
			p.stop()
		case <-exited:
			exited = nil
			if p.waitDelay > 0 {
				t := time.NewTimer(p.waitDelay)
				defer t.Stop()
				cutoff = t.C
			}
		case <-drained:
			pending--
		case <-cutoff:
			cutoff, cut = nil, true
			for _, d := range outs {
				if d != nil {
					d.f.Close() // ends the blocked read
				}
			}
		}
	}

	if p.Stdin != nil {
		p.Stdin.Close() // unblocks a write to a pipe a descendant holds but never reads
	}
	feeding.Wait()
	stdout, outErr := outs[0].result(cut)
	stderr, errErr := outs[1].result(cut)
	r := &communicated{stdout: stdout, stderr: stderr}
	p.reap()

	var cutErr error
	if cut {
		cutErr = exec.ErrWaitDelay
	}
	if timeout != nil {
		timeout.Stdout, timeout.Stderr = r.stdout, r.stderr
		r.err = timeout
	} else {
		r.err = firstErr(p.waitErr, writeErr, outErr, errErr, cutErr, p.reapErr)
	}
	return r
}

// drain collects one output pipe.
type drain struct {
	f   *os.File
	buf bytes.Buffer
	err error
}

// startDrain starts reading f to its end, reporting on drained when it
// has; it returns nil for a nil f.
func startDrain(f *os.File, drained chan<- struct{}) *drain {
	if f == nil {
		return nil
	}
	d := &drain{f: f}
	go func() {
		_, d.err = d.buf.ReadFrom(f)
		drained <- struct{}{}
	}()
	return d
}

// result closes the pipe once it has been drained and returns what it
// delivered. A read error is no error if WaitDelay cut the pipe off, since
// cutting it off is what made the read fail, nor if the caller had closed
// the pipe, which Python's communicate skips too.
func (d *drain) result(cut bool) ([]byte, error) {
	if d == nil {
		return nil, nil
	}
	d.f.Close()
	if cut || errors.Is(d.err, os.ErrClosed) {
		return d.buf.Bytes(), nil
	}
	return d.buf.Bytes(), d.err
}

// feed writes input to the child's stdin and closes it. A child that exits
// or closes stdin before reading everything is not an error, as in Python.
func feed(stdin *os.File, input []byte) error {
	var err error
	if len(input) > 0 {
		_, err = stdin.Write(input)
	}
	if cerr := stdin.Close(); err == nil {
		err = cerr
	}
	if errors.Is(err, syscall.EPIPE) || errors.Is(err, os.ErrClosed) {
		return nil
	}
	return err
}
