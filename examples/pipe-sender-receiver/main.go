// Command pipe-sender-receiver is the Go twin of the seed's pipe example,
// "Обмен данными между процессами", 3. Каналы (Pipes),
// shared/seeds/004_185cbd479786a44e.txt:
//
//	from multiprocessing import Process, Pipe
//
//	# Создание канала для обмена данными между процессами
//	parent_conn, child_conn = Pipe()
//
//	# Функция, которая будет отправлять данные в канал
//	def sender(connection):
//	    connection.send("Hello from sender!")
//
//	# Функция, которая будет принимать данные из канала
//	def receiver(connection):
//	    data = connection.recv()
//	    print("Data received in receiver:", data)
//
//	# Создание и запуск процессов
//	sender_process = Process(target=sender, args=(parent_conn,))
//	receiver_process = Process(target=receiver, args=(child_conn,))
//
//	sender_process.start()
//	receiver_process.start()
//
//	sender_process.join()
//	receiver_process.join()
//
// Both ends of the Pipe go to two children, which talk to each other
// directly; the parent only starts and joins them. The functions are
// registered by name, and process.Main, first in main, keeps the children
// from running main's body (the Python snippet relies on the fork start
// method for that; with spawn it would need the __main__ guard too).
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/concurgo/concur/process"
)

// Функция, которая будет отправлять данные в канал
var sender = process.RegisterTarget("sender", func(ctx context.Context, connection *process.Conn) error {
	defer connection.Close()
	return connection.Send(ctx, "Hello from sender!")
})

// Функция, которая будет принимать данные из канала
var receiver = process.RegisterTarget("receiver", func(ctx context.Context, connection *process.Conn) error {
	defer connection.Close()
	var data string
	if err := connection.Recv(ctx, &data); err != nil {
		return err
	}
	fmt.Println("Data received in receiver:", data)
	return nil
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
	// Создание канала для обмена данными между процессами
	parentConn, childConn, err := process.Pipe(true)
	if err != nil {
		return err
	}

	// Создание и запуск процессов
	senderProcess := process.New(sender, parentConn)
	receiverProcess := process.New(receiver, childConn)

	if err := senderProcess.Start(); err != nil {
		return err
	}
	defer senderProcess.Close()
	if err := receiverProcess.Start(); err != nil {
		return err
	}
	defer receiverProcess.Close()
	// The children hold their own copies of the ends.
	parentConn.Close()
	childConn.Close()

	if err := senderProcess.Join(ctx); err != nil {
		return err
	}
	return receiverProcess.Join(ctx)
}
