package process

import (
	"context"
	"io"
	"net"
	"os"
	"testing"

	"golang.org/x/sys/unix"
)

// Pipe against its floor, in one run: the raw baselines move the same
// bytes between two goroutines over an AF_UNIX socketpair through the net
// package, with no framing. Compare with
//
//	go test -run XXX -bench 'RoundTrip|Echo' -cpu 2 -count 5 ./process/

// rawSocketpair returns both ends of a socketpair as net.Conns.
func rawSocketpair(b *testing.B) (net.Conn, net.Conn) {
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		b.Fatal(err)
	}
	conns := make([]net.Conn, 2)
	for i, fd := range fds {
		f := os.NewFile(uintptr(fd), "raw")
		c, err := net.FileConn(f)
		f.Close()
		if err != nil {
			b.Fatal(err)
		}
		conns[i] = c
	}
	b.Cleanup(func() { conns[0].Close(); conns[1].Close() })
	return conns[0], conns[1]
}

// rawEcho reads size bytes and writes them back, until the stream ends.
func rawEcho(c net.Conn, size int) {
	buf := make([]byte, size)
	for {
		if _, err := io.ReadFull(c, buf); err != nil {
			return
		}
		if _, err := c.Write(buf); err != nil {
			return
		}
	}
}

func benchRaw(b *testing.B, size int) {
	a, peer := rawSocketpair(b)
	done := make(chan struct{})
	go func() { rawEcho(peer, size); close(done) }()
	msg, buf := make([]byte, size), make([]byte, size)
	b.SetBytes(int64(2 * size))
	b.ResetTimer()
	for b.Loop() {
		if _, err := a.Write(msg); err != nil {
			b.Fatal(err)
		}
		if _, err := io.ReadFull(a, buf); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	a.Close()
	<-done
}

func benchPipe(b *testing.B, size int, reuse bool) {
	benchPipeCtx(b, context.Background(), size, reuse)
}

func benchPipeCtx(b *testing.B, ctx context.Context, size int, reuse bool) {
	a, peer, err := Pipe(true)
	if err != nil {
		b.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		var buf []byte
		for {
			var m []byte
			var err error
			if reuse {
				m, err = peer.RecvBytesInto(ctx, buf)
			} else {
				m, err = peer.RecvBytes(ctx)
			}
			if err != nil {
				return
			}
			buf = m
			if err := peer.SendBytes(ctx, m); err != nil {
				return
			}
		}
	}()
	msg, buf := make([]byte, size), make([]byte, size)
	b.SetBytes(int64(2 * size))
	b.ResetTimer()
	for b.Loop() {
		if err := a.SendBytes(ctx, msg); err != nil {
			b.Fatal(err)
		}
		var err error
		if reuse {
			_, err = a.RecvBytesInto(ctx, buf)
		} else {
			_, err = a.RecvBytes(ctx)
		}
		if err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	a.Close()
	<-done
	peer.Close()
}

// BenchmarkRawSocketpairRoundTrip64 is the baseline of
// BenchmarkPipeRoundTrip64.
func BenchmarkRawSocketpairRoundTrip64(b *testing.B) { benchRaw(b, 64) }

// BenchmarkPipeRoundTrip64: a 64-byte message there and back over
// Pipe(true). Python's Pipe takes about 56 µs here.
func BenchmarkPipeRoundTrip64(b *testing.B) { benchPipe(b, 64, false) }

// BenchmarkPipeRoundTrip64Into is BenchmarkPipeRoundTrip64 with
// RecvBytesInto reusing a buffer, as the raw baseline does.
func BenchmarkPipeRoundTrip64Into(b *testing.B) { benchPipe(b, 64, true) }

// BenchmarkPipeRoundTrip64Cancellable is BenchmarkPipeRoundTrip64Into
// with a context that can be cancelled, as a program's root context
// usually is: the cost of watching it.
func BenchmarkPipeRoundTrip64Cancellable(b *testing.B) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	benchPipeCtx(b, ctx, 64, true)
}

// BenchmarkRawSocketpairEcho1MiB is the baseline of BenchmarkPipeEcho1MiB.
func BenchmarkRawSocketpairEcho1MiB(b *testing.B) { benchRaw(b, 1<<20) }

// BenchmarkPipeEcho1MiB: 1 MiB there and back over Pipe(true) with
// RecvBytesInto reusing a buffer, as the raw baseline does; MB/s counts
// both directions. Python's Pipe moves about 1.3 GB/s here.
func BenchmarkPipeEcho1MiB(b *testing.B) { benchPipe(b, 1<<20, true) }

// BenchmarkPipeEcho1MiBAlloc is BenchmarkPipeEcho1MiB with RecvBytes,
// which allocates each payload: the difference is the cost of allocating
// and collecting 2 MiB per round trip in a program with a tiny heap.
func BenchmarkPipeEcho1MiBAlloc(b *testing.B) { benchPipe(b, 1<<20, false) }

// BenchmarkPipeRoundTripTyped: a short string there and back with Send
// and Recv, the cost of the codec on top of BenchmarkPipeRoundTrip64.
func BenchmarkPipeRoundTripTyped(b *testing.B) {
	ctx := context.Background()
	a, peer, err := Pipe(true)
	if err != nil {
		b.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			var s string
			if err := peer.Recv(ctx, &s); err != nil {
				return
			}
			if err := peer.Send(ctx, s); err != nil {
				return
			}
		}
	}()
	for b.Loop() {
		if err := a.Send(ctx, "Hello from main process!"); err != nil {
			b.Fatal(err)
		}
		var s string
		if err := a.Recv(ctx, &s); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	a.Close()
	<-done
	peer.Close()
}
