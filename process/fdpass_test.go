package process

import (
	"bytes"
	"context"
	"encoding/gob"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"

	"github.com/concurgo/concur/internal/wire"
	"golang.org/x/sys/unix"
)

func openFDs(t *testing.T) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	return len(ents)
}

// noFDLeak fails the test if it ends with more open descriptors than it
// started with.
func noFDLeak(t *testing.T) {
	before := openFDs(t)
	t.Cleanup(func() {
		if after := openFDs(t); after > before {
			t.Errorf("%d descriptors open after the test, %d before", after, before)
		}
	})
}

func tempFileWith(t *testing.T, content string) *os.File {
	t.Helper()
	f, err := os.Create(filepath.Join(t.TempDir(), content))
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString(content)
	t.Cleanup(func() { f.Close() })
	return f
}

func readAllFrom0(t *testing.T, f *os.File) string {
	t.Helper()
	b, err := io.ReadAll(io.NewSectionReader(f, 0, 1<<20))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestSendFile(t *testing.T) {
	ctx := context.Background()
	a, b := pipePair(t, true)
	f := tempFileWith(t, "shared file descriptors")
	if err := a.SendFile(ctx, f); err != nil {
		t.Fatal(err)
	}
	got, err := b.RecvFile(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer got.Close()
	if got.Name() != f.Name() {
		t.Errorf("name %q, want %q", got.Name(), f.Name())
	}
	if s := readAllFrom0(t, got); s != "shared file descriptors" {
		t.Errorf("read %q through the received file", s)
	}
	// Both descriptors share one open file: a write through one is seen
	// at the shared offset by the other.
	got.WriteString("!")
	if s := readAllFrom0(t, f); s != "shared file descriptors!" {
		t.Errorf("read %q through the sender's file", s)
	}
}

// TestFilesGoToTheirOwnMessages sends a burst of messages, some carrying
// files, so that the receiver reads many messages per system call, and
// checks that every file arrives with its own message.
func TestFilesGoToTheirOwnMessages(t *testing.T) {
	noFDLeak(t)
	ctx := context.Background()
	a, b := pipePair(t, true)
	const n = 60
	files := make([]*os.File, n)
	for i := range files {
		files[i] = tempFileWith(t, fmt.Sprint("file-", i))
	}
	go func() {
		for i := range n {
			var err error
			switch i % 3 {
			case 0:
				err = a.SendFile(ctx, files[i])
			case 1:
				err = a.SendBytes(ctx, []byte(fmt.Sprint("bytes-", i)))
			case 2:
				err = a.SendBytes(ctx, make([]byte, 40<<10+i)) // a large message between files
			}
			if err != nil {
				t.Error(err)
				return
			}
		}
	}()
	for i := range n {
		switch i % 3 {
		case 0:
			f, err := b.RecvFile(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if s := readAllFrom0(t, f); s != fmt.Sprint("file-", i) {
				t.Fatalf("message %d carried %q", i, s)
			}
			f.Close()
		case 1:
			m, err := b.RecvBytes(ctx)
			if err != nil || string(m) != fmt.Sprint("bytes-", i) {
				t.Fatalf("message %d: %q, %v", i, m, err)
			}
		case 2:
			m, err := b.RecvBytes(ctx)
			if err != nil || len(m) != 40<<10+i {
				t.Fatalf("message %d: %d bytes, %v", i, len(m), err)
			}
		}
	}
}

func TestUnclaimedFilesAreClosed(t *testing.T) {
	noFDLeak(t)
	ctx := context.Background()
	f := tempFileWith(t, "x")
	a, b, err := Pipe(true)
	if err != nil {
		t.Fatal(err)
	}
	// Received as bytes: the file is closed.
	a.SendFile(ctx, f)
	if m, err := b.RecvBytes(ctx); err != nil || string(m) != f.Name() {
		t.Fatalf("got %q, %v", m, err)
	}
	// A file message received by Recv into a type with no file: closed.
	a.SendFile(ctx, f)
	var s string
	if err := b.Recv(ctx, &s); err == nil {
		t.Fatal("Recv of a file message into a string succeeded")
	}
	// RecvFile of a message without a file: an error, nothing leaks.
	a.SendBytes(ctx, []byte("no file"))
	if _, err := b.RecvFile(ctx); err == nil {
		t.Fatal("RecvFile of a plain message succeeded")
	}
	// Files never received: closed with the Conn.
	a.SendFile(ctx, f)
	a.SendFile(ctx, f)
	b.TryPoll() // pulls the messages, and their descriptors, into b
	a.Close()
	b.Close()
}

// TestStrayDescriptorsAreClosed plays a peer that attaches descriptors to
// bytes in the middle of a message, which no message can own.
func TestStrayDescriptorsAreClosed(t *testing.T) {
	noFDLeak(t)
	c, peer := rawPair(t)
	f := tempFileWith(t, "stray")
	raw, _ := peer.SyscallConn()
	raw.Control(func(fd uintptr) {
		unix.Write(int(fd), []byte{0, 0, 0, 6, 'a', 'b'})
		unix.Sendmsg(int(fd), []byte("cd"), unix.UnixRights(int(f.Fd())), nil, 0)
		unix.Write(int(fd), []byte{'e', 'f', 0, 0, 0, 1, 'g'})
	})
	for _, want := range []string{"abcdef", "g"} {
		m, err := c.RecvBytes(context.Background())
		if err != nil || string(m) != want {
			t.Fatalf("got %q, %v; want %q", m, err, want)
		}
	}
	if len(c.batches) != 0 || c.frame.fds != nil {
		t.Fatal("the stray descriptor is still held")
	}
}

func TestSendConnOverConn(t *testing.T) {
	noFDLeak(t)
	ctx := context.Background()
	a, b := pipePair(t, true)
	x, y := pipePair(t, true)
	type envelope struct {
		Note string
		Conn *Conn
	}
	if err := a.Send(ctx, envelope{"use this", y}); err != nil {
		t.Fatal(err)
	}
	var got envelope
	if err := b.Recv(ctx, &got); err != nil {
		t.Fatal(err)
	}
	defer got.Conn.Close()
	if got.Note != "use this" || got.Conn == nil || got.Conn == y {
		t.Fatalf("got %+v", got)
	}
	// The received Conn is the other end of x, as y is.
	y.Close()
	x.SendBytes(ctx, []byte("through the passed end"))
	if m, err := got.Conn.RecvBytes(ctx); err != nil || string(m) != "through the passed end" {
		t.Fatalf("got %q, %v", m, err)
	}
	got.Conn.SendBytes(ctx, []byte("and back"))
	if m, err := x.RecvBytes(ctx); err != nil || string(m) != "and back" {
		t.Fatalf("got %q, %v", m, err)
	}
	// A one-way Pipe can carry no descriptor.
	r, w := pipePair(t, false)
	if err := w.Send(ctx, envelope{Conn: x}); !errors.Is(err, ErrNoFilePassing) {
		t.Fatalf("Send of a Conn over a one-way pipe: %v", err)
	}
	_ = r
}

func TestConnGobOutsideMessage(t *testing.T) {
	a, _ := pipePair(t, true)
	err := gob.NewEncoder(io.Discard).Encode(struct{ C *Conn }{a})
	if !errors.Is(err, ErrNotInMessage) {
		t.Fatalf("bare gob encoding of a Conn: %v, want ErrNotInMessage", err)
	}
}

func TestConnWithUnreadDataCannotBePassed(t *testing.T) {
	ctx := context.Background()
	a, b := pipePair(t, true)
	carrier, other := pipePair(t, true)
	a.SendBytes(ctx, []byte("1"))
	a.SendBytes(ctx, []byte("2"))
	b.RecvBytes(ctx) // reads ahead: "2" is buffered in b
	if err := carrier.Send(ctx, struct{ C *Conn }{b}); err == nil {
		t.Fatal("passing a Conn with buffered data succeeded")
	}
	_ = other
}

// FuzzConnRecv feeds arbitrary bytes to a Conn's receiving side and checks
// it against wire.ReadFrame, the plain reader: the same messages, then an
// error of the same kind.
func FuzzConnRecv(f *testing.F) {
	f.Add([]byte{0, 0, 0, 3, 'a', 'b', 'c', 0, 0, 0, 0}, uint16(0))
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0, 1, 'z'}, uint16(1))
	f.Add([]byte{0x80, 0, 0, 0}, uint16(0))
	f.Add([]byte{0, 0, 0, 9, 'x'}, uint16(4))
	f.Fuzz(func(t *testing.T, in []byte, limit uint16) {
		c, peer := rawPair(t, WithMaxMessageSize(int64(limit)))
		go func() { peer.Write(in); peer.Close() }()
		ref := bytes.NewReader(in)
		for {
			got, err := c.RecvBytes(context.Background())
			want, werr := wire.ReadFrame(ref, int64(limit))
			if (err == nil) != (werr == nil) || !bytes.Equal(got, want) {
				t.Fatalf("Conn: %q, %v; wire.ReadFrame: %q, %v", got, err, want, werr)
			}
			if err != nil {
				if werr == io.EOF && err != io.EOF || werr != io.EOF && err == io.EOF {
					t.Fatalf("Conn: %v; wire.ReadFrame: %v", err, werr)
				}
				return
			}
		}
	})
}

// FuzzConnRecvFiles sends arbitrary bytes in arbitrary chunks, attaching a
// descriptor to some chunks, as a confused or hostile peer could. The
// messages must be those wire.ReadFrame sees, a descriptor may only reach
// a message that overlaps the chunk it came with (a conforming sender
// attaches it to the message's first byte, and then it reaches exactly
// that message: TestFilesGoToTheirOwnMessages), and once the Conn is
// closed no descriptor may remain open.
func FuzzConnRecvFiles(f *testing.F) {
	f.Add([]byte{0, 0, 0, 3, 'a', 'b', 'c', 0, 0, 0, 1, 'd'}, []byte{7, 5}, uint8(2))
	f.Add([]byte{0, 0, 0, 3, 'a', 'b', 'c', 0, 0, 0, 1, 'd'}, []byte{2, 5, 5}, uint8(3))
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0, 1, 'z'}, []byte{1, 1, 11}, uint8(7))
	f.Fuzz(func(t *testing.T, in, cuts []byte, withFile uint8) {
		if len(cuts) > 16 {
			cuts = cuts[:16]
		}
		if len(in) > 64<<10 { // the peer writes it all before the Conn reads
			in = in[:64<<10]
		}
		before := openFDs(t)
		c, peer := rawPair(t)
		devnull, err := os.Open(os.DevNull)
		if err != nil {
			t.Fatal(err)
		}
		// Chunk i carries a file when bit i of withFile is set; the rest
		// of the input goes last, without one.
		var fileChunks [][2]int // stream ranges of chunks that carried a file
		rest, off := in, 0
		raw, _ := peer.SyscallConn()
		send := func(chunk []byte, file bool) {
			raw.Control(func(fd uintptr) {
				var oob []byte
				if file {
					oob = unix.UnixRights(int(devnull.Fd()))
					fileChunks = append(fileChunks, [2]int{off, off + len(chunk)})
				}
				unix.Sendmsg(int(fd), chunk, oob, nil, 0)
			})
			off += len(chunk)
		}
		for i, cut := range cuts {
			n := min(int(cut), len(rest))
			if n == 0 {
				continue
			}
			send(rest[:n], withFile&(1<<(i%8)) != 0)
			rest = rest[n:]
		}
		if len(rest) > 0 {
			send(rest, false)
		}
		devnull.Close()
		peer.Close()

		ref := bytes.NewReader(in)
		start := 0
		for {
			m, fds, _, err := c.nextFrame(context.Background())
			want, werr := wire.ReadFrame(ref, 0)
			if (err == nil) != (werr == nil) || !bytes.Equal(m, want) {
				t.Fatalf("Conn: %q, %v; wire.ReadFrame: %q, %v", m, err, want, werr)
			}
			if err != nil {
				break
			}
			end := len(in) - ref.Len()
			if len(fds) > 0 && !slices.ContainsFunc(fileChunks, func(r [2]int) bool { return r[0] < end && start < r[1] }) {
				t.Fatalf("the message at [%d, %d) got a descriptor; files came with %v", start, end, fileChunks)
			}
			closeFDs(fds)
			start = end
		}
		c.Close()
		if after := openFDs(t); after > before {
			t.Fatalf("%d descriptors open after, %d before", after, before)
		}
	})
}

// TestSendProcessFile: a process.File inside a message travels with its
// descriptor, as it does as a process argument.
func TestSendProcessFile(t *testing.T) {
	noFDLeak(t)
	ctx := context.Background()
	a, b := pipePair(t, true)
	type job struct {
		Out  File
		Name string
	}
	f := tempFileWith(t, "log")
	if err := a.Send(ctx, job{File{f}, "report"}); err != nil {
		t.Fatal(err)
	}
	var got job
	if err := b.Recv(ctx, &got); err != nil {
		t.Fatal(err)
	}
	defer got.Out.Close()
	if got.Name != "report" || readAllFrom0(t, got.Out.File) != "log" {
		t.Fatalf("got %+v", got)
	}
}

// TestConcurrentSendersWithFiles: senders on several goroutines mix
// messages with and without files; each file must arrive with the message
// that names it.
func TestConcurrentSendersWithFiles(t *testing.T) {
	noFDLeak(t)
	ctx := context.Background()
	a, b := pipePair(t, true)
	type msg struct {
		Content string
		F       File
	}
	const senders, each = 4, 40
	files := make([]*os.File, senders*each)
	for i := range files {
		if i%2 == 0 {
			files[i] = tempFileWith(t, fmt.Sprint("content-", i))
		}
	}
	var wg sync.WaitGroup
	for s := range senders {
		wg.Go(func() {
			for i := s * each; i < (s+1)*each; i++ {
				if err := a.Send(ctx, msg{fmt.Sprint("content-", i), File{files[i]}}); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	go func() { wg.Wait(); a.Close() }()
	withFile := 0
	for {
		var m msg
		err := b.Recv(ctx, &m)
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if m.F.File != nil {
			withFile++
			if got := readAllFrom0(t, m.F.File); got != m.Content {
				t.Fatalf("message %q carried the file of %q", m.Content, got)
			}
			m.F.Close()
		}
	}
	if withFile != senders*each/2 {
		t.Fatalf("%d files arrived, want %d", withFile, senders*each/2)
	}
}
