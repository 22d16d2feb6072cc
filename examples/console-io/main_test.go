package main

import (
	"strings"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestOutput(t *testing.T) {
	for _, in := range []string{"Алиса\n", "Алиса\r\n", "Алиса"} {
		var out strings.Builder
		if err := run(strings.NewReader(in), &out); err != nil {
			t.Fatal(err)
		}
		if want := "Введите ваше имя: Привет, Алиса!\n"; out.String() != want {
			t.Errorf("input %q: output %q, want %q", in, out.String(), want)
		}
	}
}

func TestEndOfInput(t *testing.T) {
	var out strings.Builder
	if err := run(strings.NewReader(""), &out); err == nil || err.Error() != "EOF when reading a line" {
		t.Errorf("err = %v, want Python's EOFError message", err)
	}
}
