package main

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/concurgo/concur/examples/internal/exampletest"
)

func TestMain(m *testing.M) { exampletest.Main(m, main) }

// TestOutput: five items processed once each, then each of the three
// workers reports the empty queue once.
func TestOutput(t *testing.T) {
	out := exampletest.Run(t).Stdout
	var items []int
	stopped := map[int64]bool{}
	for _, l := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
		var item int
		var ident int64
		if _, err := fmt.Sscanf(l, "Потребитель обработал %d (поток %d)", &item, &ident); err == nil {
			items = append(items, item)
		} else if _, err := fmt.Sscanf(l, "Очередь пуста, завершение работы (поток %d)", &ident); err == nil {
			stopped[ident] = true
		} else {
			t.Fatalf("unexpected line %q in:\n%s", l, out)
		}
	}
	slices.Sort(items)
	if !slices.Equal(items, []int{0, 1, 2, 3, 4}) || len(stopped) != 3 {
		t.Fatalf("output:\n%s", out)
	}
}
