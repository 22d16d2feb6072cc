// Command shared-counter shows why shared memory needs a lock, the lesson
// behind the seeds' shared Value ("Обмен данными между процессами",
// 1. Shared Memory, shared/seeds/004_185cbd479786a44e.txt) and their
// Lock sections: four processes each add 1 to a shared counter 100000
// times, three ways.
//
//  1. Load then Store, no lock: Python's `v.value += 1`, which is a read
//     and a write; increments of different processes overwrite each other
//     and the total comes out short (how short varies from run to run).
//  2. The same under the Value's lock, Python's
//     `with v.get_lock(): v.value += 1`: exactly 400000.
//  3. Add, one atomic step that needs no lock (Python has no equivalent):
//     exactly 400000, and faster.
package main

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/concurgo/concur/process"
)

const processes, increments = 4, 100000

type job struct {
	Counter *process.Value[int64]
	Way     string
}

var worker = process.RegisterTarget("increment", func(ctx context.Context, j job) error {
	v := j.Counter
	for range increments {
		switch j.Way {
		case "unlocked":
			v.Store(v.Load() + 1) // another process may store in between
		case "locked":
			lock := v.GetLock()
			if err := lock.Acquire(ctx); err != nil {
				return err
			}
			v.Store(v.Load() + 1)
			lock.Release()
		case "add":
			v.Add(1)
		}
	}
	return nil
})

func main() {
	process.Main()
	if err := run(os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func run(w io.Writer) error {
	for _, way := range []string{"unlocked", "locked", "add"} {
		total, err := count(way)
		if err != nil {
			return err
		}
		verdict := "correct"
		if total != processes*increments {
			verdict = fmt.Sprintf("%d increments lost", processes*increments-total)
		}
		fmt.Fprintf(w, "%-8s counter = %d (%s)\n", way+":", total, verdict)
	}
	return nil
}

// count runs the processes incrementing one counter the given way and
// returns the final value.
func count(way string) (int64, error) {
	counter, err := process.NewValue[int64](0)
	if err != nil {
		return 0, err
	}
	defer counter.Close()
	var children []*process.Child[struct{}]
	for range processes {
		c := process.New(worker, job{Counter: counter, Way: way})
		if err := c.Start(); err != nil {
			return 0, err
		}
		defer c.Close()
		children = append(children, c)
	}
	for _, c := range children {
		if err := c.Join(context.Background()); err != nil {
			return 0, err
		}
	}
	return counter.Load(), nil
}
