// Command process-shared-fd is the Go twin of "5. Общие дескрипторы файлов
// (shared file descriptors)" in "Обмен данными между процессами", seed
// 004_185cbd479786a44e.txt: the parent opens a file and hands the open
// descriptor to child processes, which exchange data with it through the
// file. The seed describes this without code; in Python the descriptor
// would be inherited (os.set_inheritable) or sent with
// multiprocessing.reduction.send_handle.
//
// A process.File in the argument is that descriptor: the child receives
// the same open file — the same offset — not a path to reopen. The two
// writers take turns (the second starts after the first is joined),
// because two processes appending to one offset without a lock would
// interleave, as two threads would.
package main

import (
	"context"
	"fmt"
	"io"
	"log"
	"os"

	"github.com/concurgo/concur/process"
)

type writeArg struct {
	F    process.File
	Line string
}

var writer = process.RegisterTarget("writer", func(_ context.Context, a writeArg) error {
	defer a.F.Close()
	_, err := fmt.Fprintf(a.F, "%s (pid %d)\n", a.Line, os.Getpid())
	return err
})

func main() {
	process.Main()

	f, err := os.CreateTemp("", "shared-fd-*.txt")
	if err != nil {
		log.Fatal(err)
	}
	defer os.Remove(f.Name())
	defer f.Close()
	fmt.Fprintln(f, "родитель: файл открыт")

	for i, line := range []string{"первый процесс пишет в общий дескриптор", "второй процесс пишет в общий дескриптор"} {
		p := process.New(writer, writeArg{F: process.File{File: f}, Line: line}, process.WithName(fmt.Sprint("writer-", i+1)))
		if err := p.Start(); err != nil {
			log.Fatal(err)
		}
		if err := p.Join(context.Background()); err != nil {
			log.Fatal(err)
		}
	}
	fmt.Fprintln(f, "родитель: дописал после детей — смещение общее")

	f.Seek(0, io.SeekStart)
	data, err := io.ReadAll(f)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Print(string(data))
}
