package main

import (
	"regexp"
	"testing"

	"github.com/concurgo/concur/examples/internal/exampletest"
)

func TestMain(m *testing.M) { exampletest.Main(m, main) }

func TestOutput(t *testing.T) {
	want := regexp.MustCompile(`^родитель: файл открыт
первый процесс пишет в общий дескриптор \(pid \d+\)
второй процесс пишет в общий дескриптор \(pid \d+\)
родитель: дописал после детей — смещение общее
$`)
	if out := exampletest.Run(t).Stdout; !want.MatchString(out) {
		t.Fatalf("output:\n%s", out)
	}
}
