package process

import (
	"context"
	"errors"
	"io"
	"os"
	"testing"
	"time"
)

// Conns between real processes: passed to a child as its argument, files
// sent to a child over one, and a child killed halfway through a Send.

var connEchoChild = RegisterTarget("conn-test-echo", func(ctx context.Context, c *Conn) error {
	defer c.Close()
	for {
		var s string
		if err := c.Recv(ctx, &s); err == io.EOF {
			return nil
		} else if err != nil {
			return err
		}
		if err := c.Send(ctx, "child got "+s); err != nil {
			return err
		}
	}
})

func TestConnAsProcessArgument(t *testing.T) {
	ctx := timeout(t, 30*time.Second)
	parent, child := pipePair(t, true)
	p := New(connEchoChild, child)
	if err := p.Start(); err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	child.Close() // the child has its own descriptor; ours would hide its EOF
	for _, s := range []string{"one", "two"} {
		if err := parent.Send(ctx, s); err != nil {
			t.Fatal(err)
		}
		var reply string
		if err := parent.Recv(ctx, &reply); err != nil || reply != "child got "+s {
			t.Fatalf("got %q, %v", reply, err)
		}
	}
	parent.Close() // EOF ends the child's loop
	if err := p.Join(ctx); err != nil {
		t.Fatal(err)
	}
}

// connFileChild receives a file over its Conn and writes to it.
var connFileChild = RegisterTarget("conn-test-file", func(ctx context.Context, c *Conn) error {
	defer c.Close()
	f, err := c.RecvFile(ctx)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = f.WriteString("written by the child through a descriptor it was sent")
	return err
})

func TestSendFileToChild(t *testing.T) {
	ctx := timeout(t, 30*time.Second)
	parent, child := pipePair(t, true)
	p := New(connFileChild, child)
	if err := p.Start(); err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	child.Close()
	f, err := os.CreateTemp(t.TempDir(), "shared")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := parent.SendFile(ctx, f); err != nil {
		t.Fatal(err)
	}
	if err := p.Join(ctx); err != nil {
		t.Fatal(err)
	}
	if s := readAllFrom0(t, f); s != "written by the child through a descriptor it was sent" {
		t.Fatalf("file holds %q", s)
	}
}

// connFloodChild sends 1 MiB messages until it is killed.
var connFloodChild = RegisterTarget("conn-test-flood", func(ctx context.Context, c *Conn) error {
	msg := make([]byte, 1<<20)
	for {
		if err := c.SendBytes(ctx, msg); err != nil {
			return err
		}
	}
})

// TestChildKilledMidSend: the reader of a child SIGKILLed halfway through
// a message gets the whole messages that were sent, then
// ErrTruncatedMessage (an io.ErrUnexpectedEOF) — never a hang, never a
// partial message.
func TestChildKilledMidSend(t *testing.T) {
	ctx := timeout(t, 30*time.Second)
	parent, child := pipePair(t, true)
	p := New(connFloodChild, child)
	if err := p.Start(); err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	child.Close()
	if m, err := parent.RecvBytes(ctx); err != nil || len(m) != 1<<20 {
		t.Fatalf("first message: %d bytes, %v", len(m), err)
	}
	// The socket buffer (about 200 KB) is smaller than a message, so the
	// child is now blocked inside one.
	time.Sleep(20 * time.Millisecond)
	if err := p.Kill(); err != nil {
		t.Fatal(err)
	}
	p.Join(ctx)
	if code, _ := p.ExitCode(); code != -9 {
		t.Fatalf("exit code %d, want -9", code)
	}
	for {
		m, err := parent.RecvBytes(ctx)
		if err == nil {
			if len(m) != 1<<20 {
				t.Fatalf("a partial message of %d bytes was delivered", len(m))
			}
			continue
		}
		if !errors.Is(err, ErrTruncatedMessage) || !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Fatalf("after the kill: %v, want ErrTruncatedMessage", err)
		}
		t.Logf("reader: %v", err)
		return
	}
}
