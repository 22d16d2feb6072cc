// Command aiofiles-rw is what seed 002_b7bdd2563399d811.txt ("Асинхронная
// модель") uses aiofiles for — file I/O that does not block the other
// tasks — with the open/write/read of seed 001_2345feefc5625c48.txt
// ("Чтение и запись файлов"). Go needs no async file library: os calls are
// safe from many goroutines and block only the goroutine that makes them
// (the runtime moves other goroutines to other threads meanwhile). A
// TaskGroup writes the files concurrently, then aio.Gather reads them back
// in order.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/concurgo/concur/aio"
)

func run(ctx context.Context, w io.Writer, dir string) error {
	names := []string{"file.txt", "notes.txt", "log.txt"}

	// async with aiofiles.open(name, 'w') as f: await f.write('Hello, World!')
	g, _ := aio.NewTaskGroup(ctx)
	for i, name := range names {
		g.Go(func(context.Context) error {
			return os.WriteFile(filepath.Join(dir, name), fmt.Appendf(nil, "Hello, World! (%d)", i), 0o644)
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}

	// async with aiofiles.open(name, 'r') as f: data = await f.read()
	var reads []func(context.Context) (string, error)
	for _, name := range names {
		reads = append(reads, func(context.Context) (string, error) {
			data, err := os.ReadFile(filepath.Join(dir, name))
			return string(data), err
		})
	}
	contents, err := aio.Gather(ctx, reads...)
	if err != nil {
		return err
	}
	for i, data := range contents {
		fmt.Fprintf(w, "%s: %s\n", names[i], data)
	}
	return nil
}

func main() {
	dir, err := os.MkdirTemp("", "aiofiles-rw")
	if err == nil {
		defer os.RemoveAll(dir)
		err = run(context.Background(), os.Stdout, dir)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
