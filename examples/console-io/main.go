// Command console-io is the Go twin of the console example among the I/O
// operations of seed 001_2345feefc5625c48.txt, section "IO bound"
// ("Взаимодействие с пользователем"):
//
//	# Чтение ввода с клавиатуры
//	name = input('Введите ваше имя: ')
//	# Вывод информации на экран
//	print(f'Привет, {name}!')
//
// Reading the keyboard is I/O-bound: the program waits on the user. In
// Go the wait blocks only the goroutine that reads; other goroutines run
// on (aiofiles-rw shows the same for files). Like input(), the read ends
// at the end of the line, and end of input without a line is an error
// (Python's EOFError).
package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"log"
	"os"
	"strings"
)

func main() {
	if err := run(os.Stdin, os.Stdout); err != nil {
		log.Fatal(err)
	}
}

// input is Python's input(prompt): it prints prompt and reads one line,
// without its line ending.
func input(r *bufio.Reader, w io.Writer, prompt string) (string, error) {
	fmt.Fprint(w, prompt)
	line, err := r.ReadString('\n')
	if err == io.EOF && line == "" {
		return "", errors.New("EOF when reading a line")
	}
	if err != nil && err != io.EOF {
		return "", err
	}
	return strings.TrimRight(line, "\r\n"), nil
}

func run(in io.Reader, out io.Writer) error {
	name, err := input(bufio.NewReader(in), out, "Введите ваше имя: ")
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "Привет, %s!\n", name)
	return nil
}
