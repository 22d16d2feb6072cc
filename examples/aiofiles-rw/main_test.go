package main

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"path/filepath"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestOutput(t *testing.T) {
	var out bytes.Buffer
	if err := run(context.Background(), &out, t.TempDir()); err != nil {
		t.Fatal(err)
	}
	want := `file.txt: Hello, World! (0)
notes.txt: Hello, World! (1)
log.txt: Hello, World! (2)
`
	if out.String() != want {
		t.Fatalf("output:\n%s\nwant:\n%s", out.String(), want)
	}
}

// A write that fails is reported by the group, like an exception out of
// an aiofiles block.
func TestWriteError(t *testing.T) {
	err := run(context.Background(), &bytes.Buffer{}, filepath.Join(t.TempDir(), "missing"))
	if !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("run into a missing directory = %v", err)
	}
}
