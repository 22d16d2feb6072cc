package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestBench(t *testing.T) {
	out := filepath.Join(t.TempDir(), "bench.json")
	var stdout, stderr bytes.Buffer
	args := []string{"bench", "-run", "^rlock$", "-python", "", "-format", "json", "-o", out}
	if err := run(context.Background(), args, &stdout, &stderr); err != nil {
		t.Fatalf("bench: %v\n%s", err, stderr.String())
	}
	if stdout.Len() != 0 {
		t.Errorf("stdout %q, want the table in the file only", stdout.String())
	}
	if !strings.Contains(stderr.String(), "[ 1/1] rlock") || !strings.Contains(stderr.String(), "done in") {
		t.Errorf("progress:\n%s", stderr.String())
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var rep struct {
		Mode string
		Rows []struct {
			ID            string
			BaselineRatio float64 `json:"baseline_ratio"`
		}
	}
	if err := json.Unmarshal(b, &rep); err != nil {
		t.Fatalf("%v:\n%s", err, b)
	}
	if rep.Mode != "quick" || len(rep.Rows) != 1 || rep.Rows[0].ID != "rlock" || rep.Rows[0].BaselineRatio <= 0 {
		t.Errorf("report %+v", rep)
	}
}

func TestBenchBadFlags(t *testing.T) {
	for _, args := range [][]string{
		{"bench", "-format", "yaml"},
		{"bench", "-run", "("},
		{"bench", "extra"},
	} {
		var stdout, stderr bytes.Buffer
		if err := run(context.Background(), args, &stdout, &stderr); !errors.Is(err, errUsage) {
			t.Errorf("%q: %v, want a usage error", args, err)
		}
	}
	var stderr bytes.Buffer
	err := run(context.Background(), []string{"bench", "-run", "^lock$", "-o", filepath.Join(t.TempDir(), "no", "such", "dir")}, nil, &stderr)
	if !errors.Is(err, os.ErrNotExist) {
		t.Errorf("-o into a missing directory: %v", err)
	}
}
