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
)

// shortMax is the largest payload with a 4-byte header.
const shortMax = math.MaxInt32

// smallWrite is the size up to which header and payload go out in a single
// write, as CPython does (it uses 16 KiB); larger payloads are written as
// two vectors to avoid copying them.
const smallWrite = 16 << 10

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
		return 12
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

// WriteFrame writes p as one frame.
func WriteFrame(w io.Writer, p []byte) error {
	if len(p) <= smallWrite {
		var stack [4 + smallWrite]byte
		buf := append(AppendHeader(stack[:0], len(p)), p...)
		_, err := w.Write(buf)
		return err
	}
	var hdr [12]byte
	// net.Buffers uses writev on sockets and falls back to two writes.
	bufs := [][]byte{AppendHeader(hdr[:0], len(p)), p}
	_, err := writeBuffers(w, bufs)
	return err
}

// ReadHeader reads a frame header and returns the payload length. It
// returns io.EOF if the stream ends cleanly before the header,
// io.ErrUnexpectedEOF if it ends inside it, ErrMalformed for a negative
// length other than -1 and ErrTooLarge (wrapped, with the sizes) when the
// length exceeds max. max <= 0 means no limit.
func ReadHeader(r io.Reader, max int64) (int64, error) {
	var hdr [8]byte
	if _, err := io.ReadFull(r, hdr[:4]); err != nil {
		return 0, err
	}
	n := int64(int32(binary.BigEndian.Uint32(hdr[:4])))
	if n == -1 {
		if _, err := io.ReadFull(r, hdr[:8]); err != nil {
			return 0, noEOF(err)
		}
		u := binary.BigEndian.Uint64(hdr[:8])
		if u > math.MaxInt64 {
			return 0, fmt.Errorf("%w: length %d", ErrMalformed, u)
		}
		n = int64(u)
	} else if n < 0 {
		return 0, fmt.Errorf("%w: length %d", ErrMalformed, n)
	}
	if max > 0 && n > max {
		return 0, fmt.Errorf("%w: %d bytes, limit %d", ErrTooLarge, n, max)
	}
	return n, nil
}

// ReadFrame reads one frame. It returns io.EOF only at a frame boundary;
// a stream that ends inside a frame gives io.ErrUnexpectedEOF.
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
	const chunk = 1 << 20
	buf = buf[:0]
	for int64(len(buf)) < n {
		step := min(n-int64(len(buf)), chunk)
		if int64(len(buf)) > 0 {
			step = min(n-int64(len(buf)), int64(len(buf))) // double as data arrives
		}
		buf = append(buf, make([]byte, step)...)
		if _, err := io.ReadFull(r, buf[int64(len(buf))-step:]); err != nil {
			return nil, noEOF(err)
		}
	}
	return buf, nil
}

func noEOF(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}
