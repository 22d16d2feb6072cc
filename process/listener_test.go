package process

import (
	"context"
	"errors"
	"fmt"
	"net"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// listenAddrs are the address forms a Listener takes: a unix socket path,
// an abstract unix name and a loopback TCP port.
func listenAddrs(t *testing.T) [][2]string {
	return [][2]string{
		{"unix", filepath.Join(t.TempDir(), "sock")},
		{"unix", fmt.Sprintf("@concur-test-%d-%s", time.Now().UnixNano(), t.Name())},
		{"tcp", "127.0.0.1:0"},
	}
}

func listen(t *testing.T, network, addr string, opts ...ConnOption) *Listener {
	t.Helper()
	l, err := Listen(network, addr, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

// echoOnce accepts one connection and echoes one message on it.
func echoOnce(t *testing.T, l *Listener) <-chan error {
	done := make(chan error, 1)
	go func() {
		c, err := l.Accept(context.Background())
		if err != nil {
			done <- err
			return
		}
		defer c.Close()
		m, err := c.RecvBytes(context.Background())
		if err == nil {
			err = c.SendBytes(context.Background(), append([]byte("echo: "), m...))
		}
		done <- err
	}()
	return done
}

func TestListenerDial(t *testing.T) {
	for _, addr := range listenAddrs(t) {
		for _, key := range [][]byte{nil, []byte("key")} {
			t.Run(fmt.Sprintf("%s %s key=%q", addr[0], addr[1], key), func(t *testing.T) {
				var opts []ConnOption
				if key != nil {
					opts = append(opts, WithAuthKey(key))
				}
				l := listen(t, addr[0], addr[1], opts...)
				done := echoOnce(t, l)
				c, err := Dial(context.Background(), addr[0], l.Addr().String(), opts...)
				if err != nil {
					t.Fatal(err)
				}
				defer c.Close()
				if err := c.SendBytes(context.Background(), []byte("hi")); err != nil {
					t.Fatal(err)
				}
				m, err := c.RecvBytes(context.Background())
				if err != nil || string(m) != "echo: hi" {
					t.Fatalf("got %q, %v", m, err)
				}
				if err := <-done; err != nil {
					t.Fatal(err)
				}
			})
		}
	}
}

func TestWrongKeyRejectedOnBothSides(t *testing.T) {
	for _, addr := range [][2]string{listenAddrs(t)[0], listenAddrs(t)[2]} {
		t.Run(addr[0], func(t *testing.T) {
			serverErr := make(chan error, 1)
			l := listen(t, addr[0], addr[1], WithAuthKey([]byte("right")),
				WithHandshakeErrorHandler(func(err error) { serverErr <- err }))
			_, err := Dial(context.Background(), addr[0], l.Addr().String(), WithAuthKey([]byte("wrong")))
			if !errors.Is(err, ErrAuthentication) {
				t.Fatalf("client: %v, want ErrAuthentication", err)
			}
			t.Logf("client: %v", err)
			err = <-serverErr
			if !errors.Is(err, ErrAuthentication) {
				t.Fatalf("server: %v, want ErrAuthentication", err)
			}
			t.Logf("server: %v", err)
			// The listener goes on serving.
			ctx := timeout(t, 10*time.Millisecond)
			if _, err := l.Accept(ctx); !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("Accept after a failed handshake: %v", err)
			}
		})
	}
}

// TestSlowClientDoesNotBlockAccept: a client that connects and stalls its
// handshake holds up neither Accept nor other clients, and is dropped when
// its handshake deadline passes.
func TestSlowClientDoesNotBlockAccept(t *testing.T) {
	errs := make(chan error, 1)
	l := listen(t, "tcp", "127.0.0.1:0", WithAuthKey([]byte("k")), WithHandshakeTimeout(200*time.Millisecond),
		WithHandshakeErrorHandler(func(err error) { errs <- err }))
	slow, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer slow.Close()
	done := echoOnce(t, l)
	c, err := Dial(context.Background(), "tcp", l.Addr().String(), WithAuthKey([]byte("k")))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SendBytes(context.Background(), []byte("fast"))
	if m, err := c.RecvBytes(context.Background()); err != nil || string(m) != "echo: fast" {
		t.Fatalf("got %q, %v", m, err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if err := <-errs; !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("the stalled client's handshake ended with %v, want a timeout", err)
	}
}

func TestDialHandshakeBoundedByContext(t *testing.T) {
	// A listener that accepts but never speaks: the client's handshake
	// waits for a challenge until its ctx ends.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var wg sync.WaitGroup
	wg.Go(func() {
		if c, err := ln.Accept(); err == nil {
			defer c.Close()
			c.Read(make([]byte, 1))
		}
	})
	defer wg.Wait()
	_, err = Dial(timeout(t, 50*time.Millisecond), "tcp", ln.Addr().String(), WithAuthKey([]byte("k")))
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("got %v, want DeadlineExceeded", err)
	}
}

func TestListenerClose(t *testing.T) {
	l, err := Listen("unix", filepath.Join(t.TempDir(), "s"), WithAuthKey([]byte("k")))
	if err != nil {
		t.Fatal(err)
	}
	// A connection in its handshake when the Listener closes is dropped.
	stalled, err := net.Dial("unix", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer stalled.Close()
	accepted := make(chan error)
	go func() {
		_, err := l.Accept(context.Background())
		accepted <- err
	}()
	time.Sleep(10 * time.Millisecond)
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if err := <-accepted; !errors.Is(err, net.ErrClosed) {
		t.Fatalf("Accept on close: %v", err)
	}
	if _, err := l.Accept(context.Background()); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("Accept after close: %v", err)
	}
	if err := l.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	// The socket path is gone, as Python's Listener.close removes it.
	if _, err := Dial(context.Background(), "unix", l.Addr().String()); err == nil {
		t.Fatal("Dial after Close succeeded")
	}
}

func TestListenRejectsPacketNetworks(t *testing.T) {
	if _, err := Listen("udp", "127.0.0.1:0"); err == nil {
		t.Fatal("Listen on udp succeeded")
	}
	if _, err := Dial(context.Background(), "unixgram", "x"); err == nil {
		t.Fatal("Dial on unixgram succeeded")
	}
}

func TestListenerMaxMessageSize(t *testing.T) {
	l := listen(t, "tcp", "127.0.0.1:0", WithMaxMessageSize(8))
	got := make(chan error, 1)
	go func() {
		c, err := l.Accept(context.Background())
		if err == nil {
			_, err = c.RecvBytes(context.Background())
			c.Close()
		}
		got <- err
	}()
	c, err := Dial(context.Background(), "tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SendBytes(context.Background(), make([]byte, 9))
	if err := <-got; !errors.Is(err, ErrMessageTooLarge) {
		t.Fatalf("got %v, want ErrMessageTooLarge", err)
	}
}

// TestManyClientsAtOnce: concurrent clients all authenticate and each
// talks to its own accepted Conn.
func TestManyClientsAtOnce(t *testing.T) {
	ctx := timeout(t, 30*time.Second)
	key := WithAuthKey([]byte("k"))
	l := listen(t, "unix", filepath.Join(t.TempDir(), "s"), key)
	const clients = 40
	var servers sync.WaitGroup
	for range clients {
		servers.Go(func() {
			c, err := l.Accept(ctx)
			if err != nil {
				t.Error(err)
				return
			}
			defer c.Close()
			m, err := c.RecvBytes(ctx)
			if err == nil {
				err = c.SendBytes(ctx, append(m, '!'))
			}
			if err != nil {
				t.Error(err)
			}
		})
	}
	var wg sync.WaitGroup
	for i := range clients {
		wg.Go(func() {
			c, err := Dial(ctx, "unix", l.Addr().String(), key)
			if err != nil {
				t.Error(err)
				return
			}
			defer c.Close()
			c.SendBytes(ctx, []byte(fmt.Sprint(i)))
			if m, err := c.RecvBytes(ctx); err != nil || string(m) != fmt.Sprint(i, "!") {
				t.Errorf("client %d: %q, %v", i, m, err)
			}
		})
	}
	wg.Wait()
	servers.Wait()
}
