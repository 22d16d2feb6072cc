// Command pipe-worker is the Go twin of the seed's pipe example, "Какие
// способы обмена данными между процессами существуют в Python?",
// shared/seeds/000_77c3227d2e64a08f.txt:
//
//	import multiprocessing
//
//	def worker(conn):
//	    data = conn.recv()
//	    print("Received:", data)
//	    conn.send("Message received!")
//
//	if __name__ == "__main__":
//	    parent_conn, child_conn = multiprocessing.Pipe()
//	    p = multiprocessing.Process(target=worker, args=(child_conn,))
//	    p.start()
//	    parent_conn.send("Hello from main process!")
//	    print(parent_conn.recv())
//	    p.join()
//
// The child's end of the Pipe travels to it as the function's argument,
// as in Python; worker is registered by name because Go cannot send a
// function to another process, and process.Main, first in main, is the
// `if __name__ == "__main__":` guard.
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/concurgo/concur/process"
)

var worker = process.RegisterTarget("worker", func(ctx context.Context, conn *process.Conn) error {
	defer conn.Close()
	var data string
	if err := conn.Recv(ctx, &data); err != nil {
		return err
	}
	fmt.Println("Received:", data)
	return conn.Send(ctx, "Message received!")
})

func main() {
	process.Main()
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func run() error {
	ctx := context.Background()
	parentConn, childConn, err := process.Pipe(true)
	if err != nil {
		return err
	}
	defer parentConn.Close()
	p := process.New(worker, childConn)
	if err := p.Start(); err != nil {
		return err
	}
	defer p.Close()
	childConn.Close() // the child has its own copy now
	if err := parentConn.Send(ctx, "Hello from main process!"); err != nil {
		return err
	}
	var reply string
	if err := parentConn.Recv(ctx, &reply); err != nil {
		return err
	}
	fmt.Println(reply)
	return p.Join(ctx)
}
