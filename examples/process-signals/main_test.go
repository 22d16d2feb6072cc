package main

import (
	"regexp"
	"testing"

	"github.com/concurgo/concur/examples/internal/exampletest"
)

func TestMain(m *testing.M) { exampletest.Main(m, main) }

func TestOutput(t *testing.T) {
	want := regexp.MustCompile(`^Дочерний процесс: начинаю работу
Родитель: отправляю SIGTERM
Дочерний процесс: получен сигнал 15 \(terminated\), сохраняю результат и выхожу
Родитель: дочерний процесс вернул «сделано шагов: \d+», код выхода 0
$`)
	if out := exampletest.Run(t).Stdout; !want.MatchString(out) {
		t.Fatalf("output:\n%s", out)
	}
}
