package main

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/concurgo/concur/examples/internal/exampletest"
)

func TestMain(m *testing.M) { exampletest.Main(m, main) }

func TestOutput(t *testing.T) {
	res := exampletest.Run(t)
	lines := strings.Split(strings.TrimSpace(res.Stdout), "\n")
	if len(lines) != 100 {
		t.Fatalf("stdout:\n%s", res.Stdout)
	}
	for _, run := range [][]string{lines[:50], lines[50:]} { // the two versions run in turn
		slices.Sort(run)
		var want []string
		for i := range 50 {
			want = append(want, fmt.Sprintf("Записано число %d с блокировкой", i))
		}
		slices.Sort(want)
		if !slices.Equal(run, want) {
			t.Fatalf("stdout:\n%s", res.Stdout)
		}
	}
	data, err := os.ReadFile(filepath.Join(res.Dir, "numbers_with_lock.txt"))
	if err != nil {
		t.Fatal(err)
	}
	var numbers []int
	for _, f := range strings.Fields(string(data)) {
		n, _ := strconv.Atoi(f)
		numbers = append(numbers, n)
	}
	slices.Sort(numbers)
	for i, n := range numbers {
		if n != i || len(numbers) != 50 {
			t.Fatalf("file holds %v", numbers)
		}
	}
}
