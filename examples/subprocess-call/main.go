// Command subprocess-call is the Go twin of the seed's first example in
// "Запуск и коммуникация с другими программами" (1. Запуск внешней
// программы из Python), shared/seeds/004_185cbd479786a44e.txt:
//
//	import subprocess
//
//	# Запустить внешнюю программу
//	subprocess.call(['python', 'external_program.py'])
//
// The external program is external_program.py beside this file, embedded
// in the binary and run with python3 -c so that the example works from any
// directory. As with subprocess.call, the child shares the caller's stdout
// and stderr and Call returns its return code. Unlike Python, a missing
// python3 is an error matching fs.ErrNotExist (FileNotFoundError), which
// the example reports.
package main

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"

	"github.com/concurgo/concur/subprocess"
)

//go:embed external_program.py
var externalProgram string

func main() {
	if err := run(context.Background(), os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

// run starts the external program with stdout and stderr going to the
// given writers (the terminal, when they are os.Stdout and os.Stderr) and
// reports its return code.
func run(ctx context.Context, stdout, stderr io.Writer) error {
	code, err := subprocess.Call(ctx, []string{"python3", "-c", externalProgram, "--from", "Go"},
		subprocess.Stdout(subprocess.To(stdout)), subprocess.Stderr(subprocess.To(stderr)))
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("python3 is not installed: %w", err)
	}
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, "external program returned", code)
	return nil
}
