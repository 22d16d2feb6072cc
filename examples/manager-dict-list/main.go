// Command manager-dict-list is what the seeds say of multiprocessing's
// Manager — "a class for managing objects shared between processes: it
// creates shared lists, dicts, queues and others" (seed
// 002_b7bdd2563399d811.txt, "Многопоточные и многопроцессорные программы
// в python"; seed 003_c3bae16890c099e5.txt, "4. Межпроцессное
// взаимодействие", Менеджеры) — shown with the example Python's own
// documentation gives for it:
//
//	def f(d, l):
//	    d['1'] = 1
//	    d['2'] = 2
//	    l.reverse()
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
// The dict and the list live in the manager; d and l are proxies, and
// every call on them is a round trip to it, from the parent and from the
// child alike. The proxies are typed, where Python's take anything. A
// change of several steps — the list's reversal — is one ModifyAll, so
// that no other client sees the list half reversed; Python's l.reverse()
// is one call too, but `d[k].append(x)` on a proxy silently changes a copy,
// which Modify does instead on the manager's value.
package main

import (
	"context"
	"fmt"
	"log"
	"slices"

	"github.com/concurgo/concur/process"
)

// shared is f's arguments: the two proxies.
type shared struct {
	D *process.DictProxy[string, int]
	L *process.ListProxy[int]
}

var f = process.RegisterTarget("f", func(ctx context.Context, a shared) error {
	if err := a.D.Set(ctx, "1", 1); err != nil {
		return err
	}
	if err := a.D.Set(ctx, "2", 2); err != nil {
		return err
	}
	_, err := a.L.ModifyAll(ctx, func(l *[]int) error {
		slices.Reverse(*l)
		return nil
	})
	return err
})

func main() {
	process.Main()
	if err := run(context.Background()); err != nil {
		log.Fatal(err)
	}
}

func run(ctx context.Context) error {
	manager, err := process.StartManager(ctx)
	if err != nil {
		return err
	}
	defer manager.Shutdown(ctx) // leaving Python's with block
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
	p := process.New(f, shared{d, l})
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
	fmt.Println(dict)
	fmt.Println(list)
	return nil
}
