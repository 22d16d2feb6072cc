// Package wire implements the message framing of Python's
// multiprocessing.connection, which concur's Conn, queues and worker
// protocols share: a 4-byte big-endian signed length, or -1 followed by an
// 8-byte unsigned length for messages over 2 GiB − 1, then the payload.
package wire

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"sync"
)

// shortMax is the largest payload with a 4-byte header.
const shortMax = math.MaxInt32

// MaxHeaderLen is the length of the longest header (the long form).
const MaxHeaderLen = 12

// SmallWrite is the size up to which header and payload go out in a single
// write, as CPython does (it uses 16 KiB); larger payloads are written as
// two vectors to avoid copying them.
const SmallWrite = 16 << 10

// ErrTooLarge reports a frame whose declared length exceeds the reader's
// limit; the payload is not read, so the stream cannot be resynchronised
// and should be closed.
var ErrTooLarge = errors.New("wire: message larger than the limit")

// ErrMalformed reports a frame header that no conforming peer sends: a
// negative length other than -1. CPython reads such a header as an empty
// message; concur refuses it.
var ErrMalformed = errors.New("wire: malformed frame header")

// HeaderLen returns the header length for a payload of n bytes.
func HeaderLen(n int) int {
	if n > shortMax {
		return MaxHeaderLen
	}
	return 4
}

// AppendHeader appends the header for a payload of n bytes to dst.
func AppendHeader(dst []byte, n int) []byte {
	if n > shortMax {
		dst = binary.BigEndian.AppendUint32(dst, math.MaxUint32) // int32 -1
		return binary.BigEndian.AppendUint64(dst, uint64(n))
	}
	return binary.BigEndian.AppendUint32(dst, uint32(n))
}

// smallFrames holds buffers for WriteFrame's single-write path, so that a
// stream of small messages does not allocate one buffer per message.
var smallFrames = sync.Pool{New: func() any {
	b := make([]byte, 0, 4+SmallWrite)
	return &b
}}

// WriteFrame writes p as one frame.
func WriteFrame(w io.Writer, p []byte) error {
	if len(p) <= SmallWrite {
		bp := smallFrames.Get().(*[]byte)
		buf := append(AppendHeader((*bp)[:0], len(p)), p...)
		_, err := w.Write(buf)
		*bp = buf[:0]
		smallFrames.Put(bp)
		return err
	}
	var hdr [MaxHeaderLen]byte
	// net.Buffers uses writev on sockets and falls back to two writes.
	bufs := [][]byte{AppendHeader(hdr[:0], len(p)), p}
	_, err := writeBuffers(w, bufs)
	return err
}

// ParseHeader decodes the frame header at the start of b. It returns the
// payload length and the header's length, or a zero header length and no
// error when b holds only part of a header. Errors are as for ReadHeader.
// Readers that buffer the stream use it; ReadHeader is built on it.
func ParseHeader(b []byte, max int64) (n int64, hdrLen int, err error) {
	if len(b) < 4 {
		return 0, 0, nil
	}
	n = int64(int32(binary.BigEndian.Uint32(b)))
	hdrLen = 4
	if n == -1 {
		if len(b) < MaxHeaderLen {
			return 0, 0, nil
		}
		u := binary.BigEndian.Uint64(b[4:])
		if u > math.MaxInt64 {
			return 0, 0, fmt.Errorf("%w: length %d", ErrMalformed, u)
		}
		n, hdrLen = int64(u), MaxHeaderLen
	} else if n < 0 {
		return 0, 0, fmt.Errorf("%w: length %d", ErrMalformed, n)
	}
	if max > 0 && n > max {
		return 0, 0, fmt.Errorf("%w: %d bytes, limit %d", ErrTooLarge, n, max)
	}
	return n, hdrLen, nil
}

// ReadHeader reads a frame header and returns the payload length. It
// returns io.EOF if the stream ends cleanly before the header,
// io.ErrUnexpectedEOF if it ends inside it, ErrMalformed for a negative
// length other than -1 and ErrTooLarge (wrapped, with the sizes) when the
// length exceeds max. max <= 0 means no limit. It reads exactly the
// header's bytes, never beyond.
func ReadHeader(r io.Reader, max int64) (int64, error) {
	var hdr [MaxHeaderLen]byte
	if _, err := io.ReadFull(r, hdr[:4]); err != nil {
		return 0, err
	}
	n, hl, err := ParseHeader(hdr[:4], max)
	if err == nil && hl == 0 { // the long form: 8 more bytes
		if _, err := io.ReadFull(r, hdr[4:]); err != nil {
			return 0, noEOF(err)
		}
		n, _, err = ParseHeader(hdr[:], max)
	}
	return n, err
}

// ReadFrame reads one frame. It returns io.EOF only at a frame boundary;
// a stream that ends inside a frame gives io.ErrUnexpectedEOF. It reads
// exactly the frame's bytes, so a protocol can hand the stream on to
// another reader afterwards.
func ReadFrame(r io.Reader, max int64) ([]byte, error) {
	n, err := ReadHeader(r, max)
	if err != nil {
		return nil, err
	}
	return ReadPayload(r, n, nil)
}

// ReadPayload reads an n-byte payload, reusing buf when it is large enough.
// It grows the buffer as data arrives rather than trusting n up front, so a
// peer that declares a huge length and sends nothing cannot make the reader
// allocate it.
func ReadPayload(r io.Reader, n int64, buf []byte) ([]byte, error) {
	if int64(cap(buf)) >= n {
		buf = buf[:n]
		if _, err := io.ReadFull(r, buf); err != nil {
			return nil, noEOF(err)
		}
		return buf, nil
	}
	buf = buf[:0]
	for int64(len(buf)) < n {
		buf = GrowPayload(buf, n)
		m, err := io.ReadFull(r, buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+m]
		if err != nil {
			return nil, noEOF(err)
		}
	}
	return buf, nil
}

// GrowPayload returns buf with room for more of an n-byte payload: the
// first step is at most 1 MiB, and each later step doubles what has
// arrived, so memory follows the data actually received rather than the
// length a peer declared.
func GrowPayload(buf []byte, n int64) []byte {
	const first = 1 << 20
	have := int64(len(buf))
	want := min(n, max(first, 2*have))
	if int64(cap(buf)) >= want {
		return buf
	}
	nb := make([]byte, have, want)
	copy(nb, buf)
	return nb
}

func noEOF(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}
