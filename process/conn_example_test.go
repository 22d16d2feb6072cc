package process_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/concurgo/concur/process"
)

// Two ends of a Pipe exchange typed messages. Across processes, one end is
// given to a child as its argument (see examples/pipe-worker).
func ExamplePipe() {
	ctx := context.Background()
	parentConn, childConn, err := process.Pipe(true)
	if err != nil {
		panic(err)
	}
	defer parentConn.Close()
	go func() {
		defer childConn.Close()
		var data string
		childConn.Recv(ctx, &data)
		childConn.Send(ctx, "Message received: "+data)
	}()
	parentConn.Send(ctx, "Hello from main process!")
	var reply string
	parentConn.Recv(ctx, &reply)
	fmt.Println(reply)
	// The other end closed: the stream ends cleanly.
	err = parentConn.Recv(ctx, &reply)
	fmt.Println(err == io.EOF)
	// Output:
	// Message received: Hello from main process!
	// true
}

// A Listener with an authentication key, and a client that knows it. A
// Python multiprocessing.connection.Client(address, authkey=b"secret")
// could connect in its place, and Dial can connect to a Python Listener.
func ExampleListen_authKey() {
	ctx := context.Background()
	key := process.WithAuthKey([]byte("secret"))
	l, err := process.Listen("tcp", "127.0.0.1:0", key)
	if err != nil {
		panic(err)
	}
	defer l.Close()
	go func() {
		conn, err := l.Accept(ctx)
		if err != nil {
			return
		}
		defer conn.Close()
		msg, _ := conn.RecvBytes(ctx)
		conn.SendBytes(ctx, append([]byte("echo: "), msg...))
	}()

	conn, err := process.Dial(ctx, "tcp", l.Addr().String(), key)
	if err != nil {
		panic(err)
	}
	defer conn.Close()
	conn.SendBytes(ctx, []byte("hello"))
	reply, _ := conn.RecvBytes(ctx)
	fmt.Println(string(reply))

	_, err = process.Dial(ctx, "tcp", l.Addr().String(), process.WithAuthKey([]byte("guess")))
	fmt.Println(errors.Is(err, process.ErrAuthentication))
	// Output:
	// echo: hello
	// true
}

// Sending an open file to the other end of a Pipe: the seeds' "shared file
// descriptors". The receiver gets its own descriptor for the same open
// file.
func ExampleConn_SendFile() {
	ctx := context.Background()
	a, b, err := process.Pipe(true)
	if err != nil {
		panic(err)
	}
	defer a.Close()
	defer b.Close()
	f, err := os.CreateTemp("", "shared")
	if err != nil {
		panic(err)
	}
	defer os.Remove(f.Name())
	defer f.Close()

	a.SendFile(ctx, f)
	received, err := b.RecvFile(ctx)
	if err != nil {
		panic(err)
	}
	received.WriteString("written through the received descriptor")
	received.Close()

	content, _ := os.ReadFile(f.Name())
	fmt.Println(string(content))
	// Output: written through the received descriptor
}

// Poll with a deadline is Python's conn.poll(timeout).
func ExampleConn_Poll() {
	a, b, err := process.Pipe(true)
	if err != nil {
		panic(err)
	}
	defer a.Close()
	defer b.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	ready, err := b.Poll(ctx)
	fmt.Println(ready, err)

	a.SendBytes(context.Background(), []byte("now"))
	ready, err = b.Poll(context.Background())
	fmt.Println(ready, err)
	// Output:
	// false context deadline exceeded
	// true <nil>
}
