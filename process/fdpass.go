package process

import (
	"context"
	"errors"
	"fmt"
	"os"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Passing open files over a Conn: the seeds' "shared file descriptors".
//
// Descriptors travel as SCM_RIGHTS ancillary data attached to the first
// byte of the message they belong to; the kernel installs copies in the
// receiving process, which share the open file (offset, flags) with the
// sender's.
//
// On a stream socket the kernel does not say where in the byte stream
// ancillary data sat, but it does guarantee two things: a recvmsg stops
// right after the chunk that carried descriptors, and a sendmsg's
// descriptors ride on its first chunk. The sender writes a message's
// header as the first byte of the sendmsg that carries its descriptors,
// so the message that owns a batch of descriptors is the last message
// starting inside the recvmsg that delivered them: the one whose header
// starts in [batch.start, batch.end) and that reaches batch.end. The
// receiver checks exactly that, so a message never gets another's files,
// whichever of Recv, RecvBytes or RecvFile consumes it. Descriptors that
// fit no message (only a non-conforming peer sends them) are closed.

// ErrNoFilePassing reports an attempt to send a file, or a value holding
// one, over a Conn that is not a unix socket: a one-way Pipe or a TCP
// connection cannot carry descriptors.
var ErrNoFilePassing = errors.New("process: files can only be passed over a unix-socket Conn (a duplex Pipe, or Dial/Listen on \"unix\")")

// maxFilesPerMessage is the kernel's limit on descriptors in one sendmsg
// (SCM_MAX_FD).
const maxFilesPerMessage = 253

// fdBatch is a set of descriptors and the stream range of the recvmsg
// that delivered them.
type fdBatch struct {
	start, end int64
	fds        []int
	truncated  bool // the kernel dropped some: the sender sent too many
}

// SendFile sends an open file to the peer, which receives it with
// RecvFile: Python's multiprocessing.reduction.send_handle. The peer gets
// its own descriptor for the same open file (shared offset and flags);
// the sender's f stays open. The Conn must be a unix socket.
//
// Python's send_handle writes unframed bytes beside the message stream;
// concur sends the descriptor with a framed message (its payload is the
// file's name), so files and messages can be mixed freely on one Conn.
func (c *Conn) SendFile(ctx context.Context, f *os.File) error {
	if f == nil {
		panic("process: SendFile of a nil file")
	}
	return c.sendFrame(ctx, []byte(f.Name()), []*os.File{f})
}

// RecvFile receives a file sent with SendFile: Python's
// multiprocessing.reduction.recv_handle. The caller owns the file. A
// message that carries no file, or more than one, is consumed and
// reported as an error.
func (c *Conn) RecvFile(ctx context.Context) (*os.File, error) {
	if err := c.lockRecv(ctx); err != nil {
		return nil, err
	}
	defer c.unlockRecv()
	name, fds, _, err := c.nextFrame(ctx)
	if err != nil {
		return nil, err
	}
	if len(fds) != 1 {
		closeFDs(fds)
		return nil, fmt.Errorf("process: RecvFile: the message carried %d files, want 1", len(fds))
	}
	return os.NewFile(uintptr(fds[0]), string(name)), nil
}

// dupForSend duplicates the descriptors of files for one sendmsg. Sending
// duplicates rather than the files' own descriptors means a file the
// caller closes concurrently cannot make the message carry whatever
// descriptor reused its number.
func (c *Conn) dupForSend(files []*os.File) ([]int, error) {
	if c.kind != kindUnix {
		return nil, ErrNoFilePassing
	}
	if len(files) > maxFilesPerMessage {
		return nil, fmt.Errorf("process: a message can carry at most %d files, not %d", maxFilesPerMessage, len(files))
	}
	dups := make([]int, 0, len(files))
	for _, f := range files {
		raw, err := f.SyscallConn()
		if err != nil {
			closeFDs(dups)
			return nil, fmt.Errorf("process: send file %s: %w", f.Name(), err)
		}
		var nfd int
		var derr error
		if err := raw.Control(func(fd uintptr) {
			nfd, derr = unix.FcntlInt(fd, unix.F_DUPFD_CLOEXEC, 0)
		}); err != nil {
			derr = err
		}
		if derr != nil {
			closeFDs(dups)
			return nil, fmt.Errorf("process: send file %s: %w", f.Name(), derr)
		}
		dups = append(dups, nfd)
	}
	return dups, nil
}

// recvmsg reads into p with room for descriptors, recording any that
// arrive as a batch covering this read's range of the stream. The
// msghdr lives in the Conn and has no address, so a read allocates
// nothing unless descriptors arrive.
func (c *Conn) recvmsg(fd int, p []byte) (int, error) {
	if c.oob == nil {
		c.oob = make([]byte, unix.CmsgSpace(maxFilesPerMessage*4))
	}
	c.riov.Base = &p[0]
	c.riov.SetLen(len(p))
	c.rmsg = unix.Msghdr{Iov: &c.riov, Control: &c.oob[0]}
	c.rmsg.SetIovlen(1)
	c.rmsg.SetControllen(len(c.oob))
	r, _, e := unix.Syscall(unix.SYS_RECVMSG, uintptr(fd), uintptr(unsafe.Pointer(&c.rmsg)), unix.MSG_CMSG_CLOEXEC)
	if e != 0 {
		return 0, e
	}
	n := int(r)
	if c.rmsg.Controllen > 0 || c.rmsg.Flags&unix.MSG_CTRUNC != 0 {
		fds := parseRights(c.oob[:c.rmsg.Controllen])
		switch {
		case n == 0:
			closeFDs(fds) // descriptors with no data belong to no message
		default:
			c.batches = append(c.batches, fdBatch{
				start:     c.rtotal,
				end:       c.rtotal + int64(n),
				fds:       fds,
				truncated: c.rmsg.Flags&unix.MSG_CTRUNC != 0,
			})
		}
	}
	return n, nil
}

func parseRights(oob []byte) []int {
	msgs, err := unix.ParseSocketControlMessage(oob)
	if err != nil {
		return nil
	}
	var fds []int
	for i := range msgs {
		if msgs[i].Header.Level == unix.SOL_SOCKET && msgs[i].Header.Type == unix.SCM_RIGHTS {
			got, err := unix.ParseUnixRights(&msgs[i])
			if err == nil {
				fds = append(fds, got...)
			}
		}
	}
	return fds
}

// claimFDs gives the message occupying stream range [start, end) the batch
// it owns, if any, and closes batches that no message can own any more.
func (c *Conn) claimFDs(start, end int64) {
	for len(c.batches) > 0 {
		b := c.batches[0]
		if b.end <= start {
			closeFDs(b.fds)
			c.batches = c.batches[1:]
			continue
		}
		if b.start <= start && b.end <= end {
			c.frame.fds = b.fds
			if b.truncated {
				c.frame.fdsErr = fmt.Errorf("process: receive: a message carried more than %d files; the kernel dropped the rest", maxFilesPerMessage)
			}
			c.batches = c.batches[1:]
		}
		return
	}
	if len(c.batches) == 0 {
		c.batches = nil
	}
}

func closeFDs(fds []int) {
	for _, fd := range fds {
		unix.Close(fd)
	}
}

func newFiles(fds []int, name string) []*os.File {
	if len(fds) == 0 {
		return nil
	}
	files := make([]*os.File, len(fds))
	for i, fd := range fds {
		files[i] = os.NewFile(uintptr(fd), name)
	}
	return files
}
