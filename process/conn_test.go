package process

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"runtime"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// rawPair returns a Conn and the raw other end of a socketpair, so tests
// can check exact bytes and play a misbehaving peer.
func rawPair(t *testing.T, opts ...ConnOption) (*Conn, *os.File) {
	t.Helper()
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	cfg := newConnConfig(0, opts)
	c, err := newConn(os.NewFile(uintptr(fds[0]), "conn"), kindUnix, cfg.maxMessage, nil)
	if err != nil {
		t.Fatal(err)
	}
	peer := os.NewFile(uintptr(fds[1]), "peer")
	t.Cleanup(func() { c.Close(); peer.Close() })
	return c, peer
}

func pipePair(t *testing.T, duplex bool, opts ...ConnOption) (*Conn, *Conn) {
	t.Helper()
	a, b, err := Pipe(duplex, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close(); b.Close() })
	return a, b
}

func timeout(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// payload returns n bytes that differ between sizes and positions, so a
// misplaced or mixed-up byte is caught.
func payload(n int) []byte {
	p := make([]byte, n)
	for i := range p {
		p[i] = byte(i*7 + n)
	}
	return p
}

func TestPipeSizes(t *testing.T) {
	ctx := context.Background()
	a, b := pipePair(t, true)
	sizes := []int{0, 1, 100, 16 << 10, 16<<10 + 1, readBufSize - 4, readBufSize, readBufSize + 1, 1 << 20, 3<<20 + 5}
	go func() {
		for _, n := range sizes {
			if err := a.SendBytes(ctx, payload(n)); err != nil {
				t.Error(err)
				return
			}
		}
		a.Close()
	}()
	for _, n := range sizes {
		got, err := b.RecvBytes(ctx)
		if err != nil || !bytes.Equal(got, payload(n)) {
			t.Fatalf("size %d: got %d bytes, %v", n, len(got), err)
		}
	}
	if _, err := b.RecvBytes(ctx); err != io.EOF {
		t.Fatalf("after the peer closed: %v, want io.EOF", err)
	}
	if _, err := b.RecvBytes(ctx); err != io.EOF {
		t.Fatalf("EOF is not sticky: %v", err)
	}
}

func TestPipeBothDirections(t *testing.T) {
	ctx := context.Background()
	a, b := pipePair(t, true)
	done := make(chan error)
	go func() {
		msg, err := b.RecvBytes(ctx)
		if err == nil {
			err = b.SendBytes(ctx, append(msg, " back"...))
		}
		done <- err
	}()
	if err := a.SendBytes(ctx, []byte("there")); err != nil {
		t.Fatal(err)
	}
	got, err := a.RecvBytes(ctx)
	if err != nil || string(got) != "there back" {
		t.Fatalf("got %q, %v", got, err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func TestOneWayPipe(t *testing.T) {
	ctx := context.Background()
	r, w := pipePair(t, false)
	if err := w.SendBytes(ctx, []byte("one way")); err != nil {
		t.Fatal(err)
	}
	got, err := r.RecvBytes(ctx)
	if err != nil || string(got) != "one way" {
		t.Fatalf("got %q, %v", got, err)
	}
	if err := r.SendBytes(ctx, nil); err == nil {
		t.Error("send on the read end succeeded")
	}
	if _, err := w.RecvBytes(ctx); err == nil {
		t.Error("receive on the write end succeeded")
	}
	if err := w.SendFile(ctx, os.Stdin); !errors.Is(err, ErrNoFilePassing) {
		t.Errorf("SendFile over a one-way pipe: %v, want ErrNoFilePassing", err)
	}
	w.Close()
	if _, err := r.RecvBytes(ctx); err != io.EOF {
		t.Fatalf("after close: %v, want io.EOF", err)
	}
}

// TestPythonFraming checks the bytes on the wire against the reference:
// a 4-byte big-endian length, then the payload, and an empty message as
// four zero bytes.
func TestPythonFraming(t *testing.T) {
	ctx := context.Background()
	c, peer := rawPair(t)
	for _, p := range [][]byte{[]byte("abc"), nil} {
		if err := c.SendBytes(ctx, p); err != nil {
			t.Fatal(err)
		}
	}
	got := make([]byte, 11)
	if _, err := io.ReadFull(peer, got); err != nil {
		t.Fatal(err)
	}
	if h := hex.EncodeToString(got); h != "0000000361626300000000" {
		t.Fatalf("wire bytes %s", h)
	}
	// The long form is accepted for any length, as Python accepts it.
	peer.Write([]byte{0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0, 2, 'h', 'i'})
	if m, err := c.RecvBytes(ctx); err != nil || string(m) != "hi" {
		t.Fatalf("long form: %q, %v", m, err)
	}
}

func TestReceiveErrors(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		name string
		in   []byte
		max  int64
		want error
	}{
		{"closed inside the header", []byte{0, 0}, 0, ErrTruncatedMessage},
		{"closed inside the payload", []byte{0, 0, 0, 5, 'a', 'b'}, 0, io.ErrUnexpectedEOF},
		{"closed inside a long header", []byte{0xff, 0xff, 0xff, 0xff, 0, 0}, 0, io.ErrUnexpectedEOF},
		{"negative length", []byte{0x80, 0, 0, 0, 'x'}, 0, ErrMalformedFrame},
		{"long length over int64", []byte{0xff, 0xff, 0xff, 0xff, 0x80, 0, 0, 0, 0, 0, 0, 0}, 0, ErrMalformedFrame},
		{"over the limit", []byte{0, 0, 1, 0}, 255, ErrMessageTooLarge},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, peer := rawPair(t, WithMaxMessageSize(tc.max))
			peer.Write(tc.in)
			peer.Close()
			_, err := c.RecvBytes(ctx)
			if !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
			if _, again := c.RecvBytes(ctx); !errors.Is(again, tc.want) {
				t.Fatalf("the error is not sticky: %v", again)
			}
		})
	}
}

func TestMaxMessageSizeOnSend(t *testing.T) {
	ctx := context.Background()
	a, b := pipePair(t, true, WithMaxMessageSize(10))
	if err := a.SendBytes(ctx, make([]byte, 11)); !errors.Is(err, ErrMessageTooLarge) {
		t.Fatalf("got %v, want ErrMessageTooLarge", err)
	}
	// Nothing was written: the Conn is still usable.
	if err := a.SendBytes(ctx, []byte("ten bytes!")); err != nil {
		t.Fatal(err)
	}
	if m, err := b.RecvBytes(ctx); err != nil || string(m) != "ten bytes!" {
		t.Fatalf("got %q, %v", m, err)
	}
	defer func() {
		if recover() == nil {
			t.Error("a negative limit did not panic")
		}
	}()
	WithMaxMessageSize(-1)
}

func TestSendRecvTyped(t *testing.T) {
	type job struct {
		ID   int
		Name string
		Args []float64
	}
	ctx := context.Background()
	a, b := pipePair(t, true)
	want := job{7, "square", []float64{1.5, 2}}
	if err := a.Send(ctx, want); err != nil {
		t.Fatal(err)
	}
	if err := a.Send(ctx, "Hello from main process!"); err != nil {
		t.Fatal(err)
	}
	var got job
	if err := b.Recv(ctx, &got); err != nil || got.Name != want.Name || got.ID != 7 || len(got.Args) != 2 {
		t.Fatalf("got %+v, %v", got, err)
	}
	var s string
	if err := b.Recv(ctx, &s); err != nil || s != "Hello from main process!" {
		t.Fatalf("got %q, %v", s, err)
	}
	// Encoding errors come back from Send, and nothing is sent.
	if err := a.Send(ctx, func() {}); !errors.As(err, new(*EncodeError)) {
		t.Fatalf("Send(func): %v, want *EncodeError", err)
	}
	// A message of the wrong type is a DecodeError, and the next one is fine.
	a.Send(ctx, "not a job")
	a.Send(ctx, want)
	if err := b.Recv(ctx, &got); !errors.As(err, new(*DecodeError)) {
		t.Fatalf("Recv of a string into a struct: %v, want *DecodeError", err)
	}
	if err := b.Recv(ctx, &got); err != nil || got.ID != 7 {
		t.Fatalf("after a decode error: %+v, %v", got, err)
	}
}

func TestPoll(t *testing.T) {
	a, b := pipePair(t, true)
	ok, err := b.Poll(timeout(t, 10*time.Millisecond))
	if ok || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Poll with nothing sent: %v, %v", ok, err)
	}
	if b.TryPoll() {
		t.Fatal("TryPoll with nothing sent")
	}
	a.SendBytes(context.Background(), []byte("x"))
	if ok, err := b.Poll(context.Background()); !ok || err != nil {
		t.Fatalf("Poll with a message waiting: %v, %v", ok, err)
	}
	if !b.TryPoll() {
		t.Fatal("TryPoll with a message waiting")
	}
	b.RecvBytes(context.Background())
	a.Close()
	if ok, err := b.Poll(context.Background()); !ok || err != nil {
		t.Fatalf("Poll at EOF: %v, %v", ok, err)
	}
	b.Close()
	if !b.TryPoll() {
		t.Fatal("TryPoll on a closed Conn: a receive would not block")
	}
}

// TestPollWaitsForTheWholeMessage: Poll is true only when the receive that
// follows cannot block.
func TestPollWaitsForTheWholeMessage(t *testing.T) {
	c, peer := rawPair(t)
	peer.Write([]byte{0, 0, 0, 4, 'a', 'b'})
	if ok, err := c.Poll(timeout(t, 10*time.Millisecond)); ok || err == nil {
		t.Fatalf("Poll with half a message: %v, %v", ok, err)
	}
	peer.Write([]byte{'c', 'd'})
	if ok, err := c.Poll(context.Background()); !ok || err != nil {
		t.Fatalf("Poll with the whole message: %v, %v", ok, err)
	}
}

// TestReceiveResumesAfterDeadline: a deadline inside a message keeps what
// arrived, for small (buffered) and large (direct) messages alike.
func TestReceiveResumesAfterDeadline(t *testing.T) {
	for _, n := range []int{100, 5 << 20} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			c, peer := rawPair(t)
			p := payload(n)
			frame := append([]byte{byte(n >> 24), byte(n >> 16), byte(n >> 8), byte(n)}, p...)
			half := len(frame) / 2
			go peer.Write(frame[:half])
			_, err := c.RecvBytes(timeout(t, 20*time.Millisecond))
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("got %v, want DeadlineExceeded", err)
			}
			go peer.Write(frame[half:])
			got, err := c.RecvBytes(context.Background())
			if err != nil || !bytes.Equal(got, p) {
				t.Fatalf("after resuming: %d bytes, %v", len(got), err)
			}
		})
	}
}

func TestCancelAndCloseInterruptReceive(t *testing.T) {
	_, b := pipePair(t, true)
	ctx, cancel := context.WithCancel(context.Background())
	go func() { time.Sleep(5 * time.Millisecond); cancel() }()
	if _, err := b.RecvBytes(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled: %v", err)
	}
	// A receive after a cancelled one is not affected by the old deadline.
	if b.TryPoll() {
		t.Fatal("TryPoll after cancel")
	}
	go func() { time.Sleep(5 * time.Millisecond); b.Close() }()
	if _, err := b.RecvBytes(context.Background()); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("closed while receiving: %v", err)
	}
	if err := b.SendBytes(context.Background(), nil); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("send after close: %v", err)
	}
	if err := b.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
}

// TestContextWatchOutlivesCall: a Conn keeps watching the context of its
// last call, so a loop over one context registers with it once. A
// cancellation that lands between calls must still stop the next call
// with that context, and must not touch a call with another one.
func TestContextWatchOutlivesCall(t *testing.T) {
	a, b := pipePair(t, true)
	ctx, cancel := context.WithCancel(context.Background())
	bg := context.Background()
	for i := range 3 { // calls on one context, the watch kept between them
		if err := a.SendBytes(ctx, []byte{byte(i)}); err != nil {
			t.Fatal(err)
		}
		if got, err := b.RecvBytes(ctx); err != nil || !bytes.Equal(got, []byte{byte(i)}) {
			t.Fatalf("message %d: %q, %v", i, got, err)
		}
	}
	cancel() // while no call is in progress
	if _, err := b.RecvBytes(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("receive on the cancelled context: %v", err)
	}
	// With nothing sent, a send cannot fail for want of room, so only
	// the watch can make it fail: the cancellation must.
	if err := a.SendBytes(ctx, []byte("x")); !errors.Is(err, context.Canceled) {
		t.Fatalf("send on the cancelled context: %v", err)
	}
	// Another context is not touched by the old cancellation: both
	// directions work and a receive waits for its message.
	go func() { time.Sleep(5 * time.Millisecond); a.SendBytes(bg, []byte("late")) }()
	if got, err := b.RecvBytes(bg); err != nil || string(got) != "late" {
		t.Fatalf("receive on a fresh context: %q, %v", got, err)
	}
	if err := b.SendBytes(bg, []byte("back")); err != nil {
		t.Fatal(err)
	}
	if got, err := a.RecvBytes(bg); err != nil || string(got) != "back" {
		t.Fatalf("reply on a fresh context: %q, %v", got, err)
	}
	// And the same again after a context that ends by its deadline.
	short, stop := context.WithTimeout(bg, time.Millisecond)
	defer stop()
	<-short.Done()
	if _, err := b.RecvBytes(short); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("receive past the deadline: %v", err)
	}
	go func() { time.Sleep(5 * time.Millisecond); a.SendBytes(bg, []byte("again")) }()
	if got, err := b.RecvBytes(bg); err != nil || string(got) != "again" {
		t.Fatalf("receive after a deadline: %q, %v", got, err)
	}
}

// TestConnNotHeldByContext: the watch a Conn keeps on a call's context
// does not keep the Conn alive: a closed one ends its watch, and one
// dropped without Close is still collected, its file with it (the file's
// own cleanup then closes the descriptor).
func TestConnNotHeldByContext(t *testing.T) {
	for _, close := range []bool{true, false} {
		t.Run(fmt.Sprintf("close=%t", close), func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			conn, file := make(chan struct{}), make(chan struct{})
			func() {
				a, b, err := Pipe(true)
				if err != nil {
					t.Fatal(err)
				}
				if err := a.SendBytes(ctx, []byte("x")); err != nil {
					t.Fatal(err)
				}
				if _, err := b.RecvBytes(ctx); err != nil {
					t.Fatal(err)
				}
				runtime.AddCleanup(b, func(ch chan struct{}) { ch <- struct{}{} }, conn)
				runtime.AddCleanup(b.f, func(ch chan struct{}) { ch <- struct{}{} }, file)
				a.Close()
				if close {
					b.Close()
				}
			}()
			left := 2
			for range 100 {
				runtime.GC()
				select {
				case <-conn:
					left--
				case <-file:
					left--
				case <-time.After(10 * time.Millisecond): // cleanups run on their own goroutine
				}
				if left == 0 {
					return
				}
			}
			t.Fatal("a Conn or its file is still reachable from the context of its last call")
		})
	}
}

// TestSendInterruptedInsideMessage: a send stopped by its deadline after
// part of the message went out leaves the stream broken, and says so.
func TestSendInterruptedInsideMessage(t *testing.T) {
	a, b := pipePair(t, true)
	// Allocated before the deadline starts: touching 64 MiB can take a
	// slow machine longer than the deadline, and then nothing is sent.
	big := make([]byte, 64<<20)
	err := a.SendBytes(timeout(t, 20*time.Millisecond), big)
	if err == nil || !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("got %v, want a broken-connection error", err)
	}
	if err2 := a.SendBytes(context.Background(), nil); err2 != err {
		t.Fatalf("the broken state is not sticky: %v", err2)
	}
	// A send stopped before writing anything leaves the Conn usable.
	c, d := pipePair(t, true)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := c.SendBytes(ctx, []byte("x")); !errors.Is(err, context.Canceled) && err != nil {
		t.Fatalf("cancelled send: %v", err)
	}
	_ = b
	c.SendBytes(context.Background(), []byte("y"))
	if m, err := d.RecvBytes(context.Background()); err != nil || (string(m) != "x" && string(m) != "y") {
		t.Fatalf("after a cancelled send: %q, %v", m, err)
	}
}

// TestConcurrentSendersDoNotInterleave sends from many goroutines, small
// messages and messages large enough to go out in several writes, and
// checks that every message arrives whole.
func TestConcurrentSendersDoNotInterleave(t *testing.T) {
	ctx := context.Background()
	a, b := pipePair(t, true)
	const senders, each = 8, 40
	var wg sync.WaitGroup
	for s := range senders {
		wg.Go(func() {
			for i := range each {
				n := 10 + (s*each+i)%7*9000 // up to ~54 KB: both write paths
				p := bytes.Repeat([]byte{byte(s)}, n)
				p[0] = byte(i)
				if err := a.SendBytes(ctx, p); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	go func() { wg.Wait(); a.Close() }()
	seen := make([]int, senders)
	for {
		m, err := b.RecvBytes(ctx)
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		s := m[len(m)-1]
		if !bytes.Equal(m[1:], bytes.Repeat([]byte{s}, len(m)-1)) {
			t.Fatal("a message mixes bytes of two senders")
		}
		if int(m[0]) != seen[s] {
			t.Fatalf("sender %d: message %d arrived as number %d", s, m[0], seen[s])
		}
		seen[s]++
	}
	for s, n := range seen {
		if n != each {
			t.Errorf("sender %d: %d messages arrived", s, n)
		}
	}
}

// TestConcurrentReceivers: each message goes to exactly one receiver.
func TestConcurrentReceivers(t *testing.T) {
	ctx := context.Background()
	a, b := pipePair(t, true)
	const n = 2000
	go func() {
		for i := range n {
			a.Send(ctx, i)
		}
		a.Close()
	}()
	var mu sync.Mutex
	got := make(map[int]int)
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for {
				var v int
				err := b.Recv(ctx, &v)
				if err == io.EOF {
					return
				}
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				got[v]++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if len(got) != n {
		t.Fatalf("%d distinct messages received, want %d", len(got), n)
	}
	for v, k := range got {
		if k != 1 {
			t.Fatalf("message %d received %d times", v, k)
		}
	}
}

// TestSmallMessagesDoNotAllocateBeyondPayload guards the read path's
// design: a small message costs one allocation, its payload.
func TestSmallMessagesDoNotAllocateBeyondPayload(t *testing.T) {
	ctx := context.Background()
	a, b := pipePair(t, true)
	msg := make([]byte, 64)
	allocs := testing.AllocsPerRun(200, func() {
		if err := a.SendBytes(ctx, msg); err != nil {
			t.Fatal(err)
		}
		if _, err := b.RecvBytes(ctx); err != nil {
			t.Fatal(err)
		}
	})
	if allocs > 1 {
		t.Errorf("%v allocations per 64-byte message, want 1", allocs)
	}
}

func TestRecvBytesInto(t *testing.T) {
	ctx := context.Background()
	a, b := pipePair(t, true)
	buf := make([]byte, 0, 1<<20)
	for _, n := range []int{10, readBufSize + 1, 1 << 20, 1<<20 + 1} {
		go a.SendBytes(ctx, payload(n))
		got, err := b.RecvBytesInto(ctx, buf)
		if err != nil || !bytes.Equal(got, payload(n)) {
			t.Fatalf("%d bytes: got %d, %v", n, len(got), err)
		}
		if fits := n <= cap(buf); fits != (&got[0] == &buf[:1][0]) {
			t.Fatalf("%d bytes: reused the buffer: %v, want %v", n, !fits, fits)
		}
	}
	// Interrupted halfway, a large message stops using the caller's buffer.
	c, peer := rawPair(t)
	n := 1 << 20
	frame := append([]byte{0, byte(n >> 16), byte(n >> 8), byte(n)}, payload(n)...)
	go peer.Write(frame[:n/2])
	if _, err := c.RecvBytesInto(timeout(t, 20*time.Millisecond), buf); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("got %v, want DeadlineExceeded", err)
	}
	clear(buf[:cap(buf)])
	go peer.Write(frame[n/2:])
	got, err := c.RecvBytes(ctx)
	if err != nil || !bytes.Equal(got, payload(n)) {
		t.Fatalf("after resuming: %d bytes, %v", len(got), err)
	}
	if &got[0] == &buf[:1][0] {
		t.Fatal("RecvBytes returned the buffer given to an earlier RecvBytesInto")
	}
}
