package process

import (
	"os"

	"golang.org/x/sys/unix"
)

// Pipe returns the two ends of a new message connection: Python's
// multiprocessing.Pipe(duplex). With duplex, both ends send and receive
// over an AF_UNIX stream socketpair, which can also carry files (SendFile,
// and Send of values holding a Conn or another handle). Without, the
// first Conn only receives and the second only sends, over an os.Pipe,
// as in Python.
//
// Pipe applies WithMaxMessageSize; by default its Conns have no message
// limit, since both ends belong to one program. Either end can be given to
// a child process as a Process argument or sent over another Conn.
func Pipe(duplex bool, opts ...ConnOption) (*Conn, *Conn, error) {
	cfg := newConnConfig(0, opts)
	if !duplex {
		r, w, err := os.Pipe()
		if err != nil {
			return nil, nil, err
		}
		rc, err := newConn(r, kindPipeReader, cfg.maxMessage, nil)
		if err != nil {
			w.Close()
			return nil, nil, err
		}
		wc, err := newConn(w, kindPipeWriter, cfg.maxMessage, nil)
		if err != nil {
			rc.Close()
			return nil, nil, err
		}
		return rc, wc, nil
	}
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, nil, os.NewSyscallError("socketpair", err)
	}
	a, err := newConn(os.NewFile(uintptr(fds[0]), "pipe"), kindUnix, cfg.maxMessage, nil)
	if err != nil {
		unix.Close(fds[1])
		return nil, nil, err
	}
	b, err := newConn(os.NewFile(uintptr(fds[1]), "pipe"), kindUnix, cfg.maxMessage, nil)
	if err != nil {
		a.Close()
		return nil, nil, err
	}
	return a, b, nil
}
