package main

import (
	"testing"

	"github.com/concurgo/concur/examples/internal/exampletest"
)

func TestMain(m *testing.M) { exampletest.Main(m, main) }

func TestOutput(t *testing.T) {
	want := `Запущен обратный отсчет.
Осталось 5 секунд
Осталось 4 секунд
Осталось 3 секунд
Осталось 2 секунд
Осталось 1 секунд
Обратный отсчет завершен. Главный поток продолжает выполнение.
`
	if out := exampletest.Run(t).Stdout; out != want {
		t.Fatalf("output:\n%s", out)
	}
}
