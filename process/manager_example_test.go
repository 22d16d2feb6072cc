package process_test

import (
	"context"
	"fmt"
	"slices"

	"github.com/concurgo/concur/process"
)

type exampleTally struct {
	Scores *process.DictProxy[string, int]
	Names  *process.ListProxy[string]
	Player string
}

// exampleScore runs in a child, with the proxies it was passed.
var exampleScore = process.RegisterTarget("example.score", func(ctx context.Context, a exampleTally) error {
	if err := a.Scores.Set(ctx, a.Player, len(a.Player)); err != nil {
		return err
	}
	_, err := a.Names.Append(ctx, a.Player)
	return err
})

// A manager holds a dict and a list; child processes change them through
// proxies passed as arguments: Python's
//
//	with Manager() as m:
//	    d, l = m.dict(), m.list()
//	    Process(target=f, args=(d, l)).start() ...
func ExampleStartManager() {
	ctx := context.Background()
	m, err := process.StartManager(ctx)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer m.Shutdown(ctx)
	scores, _ := process.ManagerDict[string, int](ctx, m)
	names, _ := process.ManagerList[string](ctx, m)

	var children []*process.Child[struct{}]
	for _, player := range []string{"ann", "bob", "carol"} {
		c := process.New(exampleScore, exampleTally{Scores: scores, Names: names, Player: player})
		if err := c.Start(); err != nil {
			fmt.Println(err)
			return
		}
		children = append(children, c)
	}
	for _, c := range children {
		c.Join(ctx)
	}
	all, _ := scores.Copy(ctx)
	list, _ := names.Copy(ctx)
	slices.Sort(list)
	fmt.Println(all)
	fmt.Println(list)
	// Output:
	// map[ann:3 bob:3 carol:5]
	// [ann bob carol]
}

// Python's proxies return copies, so `d["log"].append(x)` changes a copy
// and is lost. Modify makes the update in the manager, atomically even
// when processes race on the same entry.
func ExampleDictProxy_Modify() {
	ctx := context.Background()
	m, _ := process.StartManager(ctx)
	defer m.Shutdown(ctx)
	d, _ := process.ManagerDict[string, []string](ctx, m)

	log, _, _ := d.Get(ctx, "log")
	log = append(log, "lost") // changes this copy only, as in Python
	stored, _, _ := d.Get(ctx, "log")
	fmt.Println(log, stored)

	d.Modify(ctx, "log", func(log *[]string, _ bool) error {
		*log = append(*log, "kept")
		return nil
	})
	got, _, _ := d.Get(ctx, "log")
	fmt.Println(got)
	// Output:
	// [lost] []
	// [kept]
}

// A manager that other programs reach: it listens on TCP with a key of
// its own, and names the queue they look up — Python's
// BaseManager.register("get_queue", ...) and, in the client,
// BaseManager(address, authkey).connect() and m.get_queue().
func ExampleConnectManager() {
	ctx := context.Background()
	key := []byte("a secret both programs know")
	server, err := process.StartManager(ctx,
		process.WithManagerAddress("tcp", "127.0.0.1:0"), process.WithManagerAuthKey(key))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer server.Shutdown(ctx)
	jobs, _ := process.ManagerQueue[string](ctx, server, 0, process.WithObjectName("jobs"))
	jobs.Put(ctx, "resize photo.jpg")

	// In the other program, with the address and the key:
	client, err := process.ConnectManager(ctx, "tcp", server.Addr().String(), process.WithManagerAuthKey(key))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer client.Close()
	queue, err := process.LookupQueue[string](ctx, client, "jobs")
	if err != nil {
		fmt.Println(err)
		return
	}
	job, _ := queue.Get(ctx)
	fmt.Println(job)
	// Output: resize photo.jpg
}

// A namespace's attributes are named by strings and read into a variable
// of their type; ModifyAttr updates one in place.
func ExampleNamespaceProxy() {
	ctx := context.Background()
	m, _ := process.StartManager(ctx)
	defer m.Shutdown(ctx)
	ns, _ := process.ManagerNamespace(ctx, m)

	ns.Set(ctx, "x", 10)
	ns.Set(ctx, "y", "hello")
	process.ModifyAttr(ctx, ns, "x", func(x *int, _ bool) error { *x++; return nil })

	var x int
	var y string
	ns.Get(ctx, "x", &x)
	ns.Get(ctx, "y", &y)
	fmt.Println(x, y)
	// Output: 11 hello
}

// A lock in the manager is recovered when its holder dies: the next
// Acquire takes it and is told (process.ErrOwnerDead). Here it is plain.
func ExampleLockProxy() {
	ctx := context.Background()
	m, _ := process.StartManager(ctx)
	defer m.Shutdown(ctx)
	lock, _ := process.ManagerLock(ctx, m)
	if err := lock.Acquire(ctx); err != nil {
		fmt.Println(err)
		return
	}
	locked, _ := lock.Locked(ctx)
	fmt.Println("locked:", locked)
	lock.Release(ctx)
	// Output: locked: true
}
