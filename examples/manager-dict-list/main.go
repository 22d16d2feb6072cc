// Command manager-dict-list is the Go twin of the Manager the seeds name
// among multiprocessing's classes — "Manager: Класс для управления
// разделяемыми объектами между процессами. Позволяет создавать
// разделяемые списки, словари, очереди и другие" (shared/seeds/
// 002_b7bdd2563399d811.txt, "Многопоточные и многопроцессорные программы
// в python"; 003_c3bae16890c099e5.txt, "4. Межпроцессное взаимодействие",
// "Менеджеры (Managers)"). The seeds give no code for it; this is
// Python's own example of a Manager dict and list, followed by the
// nested update Python's proxies silently lose:
//
//	from multiprocessing import Process, Manager
//
//	def f(d, l):
//	    d[1] = '1'
//	    d['2'] = 2
//	    d[0.25] = None
//	    l.reverse()
//
//	def square(d, i):
//	    d['squares'].append(i * i)   # appends to a copy: lost
//
//	if __name__ == '__main__':
//	    with Manager() as manager:
//	        d = manager.dict()
//	        l = manager.list(range(10))
//	        p = Process(target=f, args=(d, l))
//	        p.start()
//	        p.join()
//	        print(d)
//	        print(l)
//
//	        d['squares'] = []
//	        ps = [Process(target=square, args=(d, i)) for i in range(4)]
//	        for p in ps: p.start()
//	        for p in ps: p.join()
//	        print(d['squares'])          # [] — every append was lost
//
// A Go dict has one key and one value type, so the keys are strings and
// the values ints; None has no int, so 0.25 maps to 0. The proxies travel
// to the children as arguments, as in Python, and connect to the manager
// there. Where Python loses the appends, Modify makes each one atomic in
// the manager, so all four arrive (in the order the children ran; the
// program sorts them to print a stable line).
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"slices"

	"github.com/concurgo/concur/process"
)

type fArgs struct {
	D *process.DictProxy[string, int]
	L *process.ListProxy[int]
}

// f runs in a child: it changes the dict and the list it was given.
var f = process.RegisterTarget("f", func(ctx context.Context, a fArgs) error {
	if err := a.D.Set(ctx, "1", 1); err != nil {
		return err
	}
	if err := a.D.Set(ctx, "2", 2); err != nil {
		return err
	}
	if err := a.D.Set(ctx, "0.25", 0); err != nil {
		return err
	}
	_, err := a.L.ModifyAll(ctx, func(l *[]int) error { slices.Reverse(*l); return nil })
	return err
})

type squareArgs struct {
	D *process.DictProxy[string, []int]
	I int
}

// square appends i*i to the list under d["squares"], in the manager.
var square = process.RegisterTarget("square", func(ctx context.Context, a squareArgs) error {
	_, err := a.D.Modify(ctx, "squares", func(s *[]int, _ bool) error {
		*s = append(*s, a.I*a.I)
		return nil
	})
	return err
})

func main() {
	process.Main()
	if err := run(os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func run(w io.Writer) error {
	ctx := context.Background()
	manager, err := process.StartManager(ctx, process.WithOwnProcess())
	if err != nil {
		return err
	}
	defer manager.Shutdown(ctx)

	d, err := process.ManagerDict[string, int](ctx, manager)
	if err != nil {
		return err
	}
	l, err := process.ManagerList[int](ctx, manager)
	if err != nil {
		return err
	}
	if _, err := l.Append(ctx, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9); err != nil {
		return err
	}
	p := process.New(f, fArgs{D: d, L: l})
	if err := p.Start(); err != nil {
		return err
	}
	if err := p.Join(ctx); err != nil {
		return err
	}
	dict, err := d.Copy(ctx)
	if err != nil {
		return err
	}
	list, err := l.Copy(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintln(w, dict)
	fmt.Fprintln(w, list)

	squares, err := process.ManagerDict[string, []int](ctx, manager)
	if err != nil {
		return err
	}
	if err := squares.Set(ctx, "squares", []int{}); err != nil {
		return err
	}
	var ps []*process.Child[struct{}]
	for i := range 4 {
		p := process.New(square, squareArgs{D: squares, I: i})
		if err := p.Start(); err != nil {
			return err
		}
		ps = append(ps, p)
	}
	for _, p := range ps {
		if err := p.Join(ctx); err != nil {
			return err
		}
	}
	got, _, err := squares.Get(ctx, "squares")
	if err != nil {
		return err
	}
	slices.Sort(got)
	fmt.Fprintln(w, got)
	return nil
}
