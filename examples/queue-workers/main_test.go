package main

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/concurgo/concur/examples/internal/exampletest"
)

func TestMain(m *testing.M) { exampletest.Main(m, main) }

// TestEveryItemOnce: each item is processed exactly once, by one of the
// two threads, before the final line.
func TestEveryItemOnce(t *testing.T) {
	out := exampletest.Run(t).Stdout
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) != 21 || lines[20] != "Все задачи выполнены" {
		t.Fatalf("output:\n%s", out)
	}
	var items []int
	idents := map[int64]bool{}
	for _, l := range lines[:20] {
		var ident int64
		var item int
		if _, err := fmt.Sscanf(l, "%d обработал %d", &ident, &item); err != nil {
			t.Fatalf("line %q: %v", l, err)
		}
		items = append(items, item)
		idents[ident] = true
	}
	slices.Sort(items)
	for i, v := range items {
		if v != i {
			t.Fatalf("items processed: %v", items)
		}
	}
	if len(idents) > 2 {
		t.Fatalf("%d thread idents, want at most 2", len(idents))
	}
}
