package main

import (
	"regexp"
	"testing"

	"github.com/concurgo/concur/examples/internal/exampletest"
)

func TestMain(m *testing.M) { exampletest.Main(m, main) }

func TestOutput(t *testing.T) {
	out := exampletest.Run(t).Stdout
	want := regexp.MustCompile(`^id главного потока: \d+
Запускаем новый поток
Ждем завершения нового потока...
Это сообщение от задачи task из потока \d+
Главный поток проснулся
Время выполнения программы: \d\.\d{4} секунды
Работа нового потока завершена
Время выполнения программы: \d\.\d{4} секунды
$`)
	if !want.MatchString(out) {
		t.Fatalf("output:\n%s", out)
	}
}
