package wire

import (
	"io"
	"net"
)

func writeBuffers(w io.Writer, bufs [][]byte) (int64, error) {
	b := net.Buffers(bufs)
	return b.WriteTo(w)
}
