// Command concur is the concur toolkit's command line.
package main

import (
	"fmt"
	"os"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == "version" {
		fmt.Println("concur (development)")
		return
	}
	fmt.Fprintln(os.Stderr, "usage: concur version")
	os.Exit(2)
}
