// Command thread-mainthread is the Go twin of seed 001_2345feefc5625c48.txt,
// sections "Главный поток - MainThread" and "Главный и текущий поток": the
// main goroutine is the MainThread, and Current tells which thread a plain
// function runs in. Python's ident is an OS thread id; here it is the
// goroutine id, 1 for the main goroutine.
package main

import (
	"fmt"

	"github.com/concurgo/concur/thread"
)

func checkMainThread() {
	if thread.Current().Name() == "MainThread" {
		fmt.Println("Это главный поток")
	} else {
		fmt.Println("Это не главный поток")
	}
}

func checkMainAndCurrentThread() {
	c, m := thread.Current(), thread.Main()
	fmt.Printf("Главный потока: %s (daemon=%v, id=%d)\n", m.Name(), m.Daemon(), m.Ident())
	fmt.Printf("Текущий потока: %s (daemon=%v, id=%d)\n", c.Name(), c.Daemon(), c.Ident())
	if c.Name() == m.Name() {
		fmt.Println("Это главный поток")
	} else {
		fmt.Println("Это не главный поток")
	}
}

func main() {
	checkMainThread()
	checkMainAndCurrentThread()
}
