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
	var want, got []string
	for i := range 50 {
		want = append(want, fmt.Sprintf("Записано число %d", i))
	}
	got = strings.Split(strings.TrimSpace(res.Stdout), "\n")
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("stdout:\n%s", res.Stdout)
	}
	data, err := os.ReadFile(filepath.Join(res.Dir, "numbers_without_lock.txt"))
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
