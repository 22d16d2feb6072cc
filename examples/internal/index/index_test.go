// Package index checks examples/README.md, the index of the seeds'
// examples: every code example in the seed notes is listed, and every
// twin it links to is a runnable example with a test.
package index

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// seedsDir is where the seed notes are: shared/ sits beside the
// repository, on developers' machines and in CI alike.
const seedsDir = "../../../../shared/seeds"

// seedExamples returns "NNN:line" for every ```python block and every
// notebook cell (In [N]:) of the seed notes. A ```python line inside an
// open block is part of that block, as Markdown reads it.
func seedExamples(t *testing.T) []string {
	files, err := filepath.Glob(filepath.Join(seedsDir, "*.txt"))
	if err != nil || len(files) == 0 {
		if os.Getenv("CONCUR_REQUIRE_TOOLS") == "1" {
			t.Fatalf("no seed notes in %s", seedsDir)
		}
		t.Skipf("no seed notes in %s", seedsDir)
	}
	cell := regexp.MustCompile(`^In \[([0-9 ]*|None)\]:`)
	var out []string
	for _, f := range files {
		fh, err := os.Open(f)
		if err != nil {
			t.Fatal(err)
		}
		prefix := filepath.Base(f)[:3]
		sc := bufio.NewScanner(fh)
		inBlock := false
		for n := 1; sc.Scan(); n++ {
			line := strings.TrimSpace(sc.Text())
			switch {
			case inBlock && line == "```":
				inBlock = false
			case !inBlock && strings.HasPrefix(line, "```python"):
				inBlock = true
				out = append(out, fmt.Sprintf("%s:%d", prefix, n))
			case !inBlock && cell.MatchString(sc.Text()):
				out = append(out, fmt.Sprintf("%s:%d", prefix, n))
			}
		}
		fh.Close()
	}
	return out
}

func readme(t *testing.T) string {
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestEverySeedExampleListed(t *testing.T) {
	index := readme(t)
	examples := seedExamples(t)
	for _, ex := range examples {
		if !strings.Contains(index, "\n| "+ex+" |") {
			t.Errorf("seed example %s is not in examples/README.md", ex)
		}
	}
	if len(examples) < 70 {
		t.Errorf("found only %d seed examples; is the parser right?", len(examples))
	}
}

func TestLinkedTwinsExist(t *testing.T) {
	links := regexp.MustCompile(`\]\(([a-z0-9-]+)\)`).FindAllStringSubmatch(readme(t), -1)
	if len(links) == 0 {
		t.Fatal("no links in examples/README.md")
	}
	for _, l := range links {
		for _, f := range []string{"main.go", "main_test.go"} {
			if _, err := os.Stat(filepath.Join("../..", l[1], f)); err != nil {
				t.Errorf("twin %s: %v", l[1], err)
			}
		}
	}
}

// Every example directory is in the index, so that none is orphaned.
func TestEveryTwinListed(t *testing.T) {
	index := readme(t)
	dirs, err := os.ReadDir("../..")
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range dirs {
		if d.IsDir() && d.Name() != "internal" && !strings.Contains(index, "]("+d.Name()+")") {
			t.Errorf("examples/%s is not linked from examples/README.md", d.Name())
		}
	}
}
