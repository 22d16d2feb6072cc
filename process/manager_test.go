package process

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/concurgo/concur/queue"
)

// mgrModes runs fn against a manager of each kind: goroutines of this
// process, and a process of its own.
func mgrModes(t *testing.T, fn func(t *testing.T, m *Manager)) {
	t.Helper()
	for _, mode := range []struct {
		name string
		opts []ManagerOption
	}{
		{"goroutines", nil},
		{"process", []ManagerOption{WithOwnProcess()}},
	} {
		t.Run(mode.name, func(t *testing.T) {
			m := mgrStart(t, mode.opts...)
			fn(t, m)
		})
	}
}

func mgrStart(t testing.TB, opts ...ManagerOption) *Manager {
	t.Helper()
	m, err := StartManager(mgrTestCtx(t), opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := m.Shutdown(context.Background()); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
	})
	return m
}

// mgrTestCtx bounds a test's calls, so that a bug shows as a failure rather
// than a hang.
func mgrTestCtx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func mgrMust[T any](t testing.TB) func(T, error) T {
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

func mgrCheck(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func TestManagerDict(t *testing.T) {
	mgrModes(t, func(t *testing.T, m *Manager) {
		ctx := mgrTestCtx(t)
		d := mgrMust[*DictProxy[string, int]](t)(ManagerDict[string, int](ctx, m))
		defer d.Close()
		if _, ok, err := d.Get(ctx, "a"); ok || err != nil {
			t.Fatalf("Get of a missing key: %v, %v", ok, err)
		}
		mgrCheck(t, d.Set(ctx, "a", 1))
		mgrCheck(t, d.Update(ctx, map[string]int{"b": 2, "c": 3}))
		if v, ok, err := d.Get(ctx, "a"); v != 1 || !ok || err != nil {
			t.Fatalf("Get: %v, %v, %v", v, ok, err)
		}
		if n := mgrMust[int](t)(d.Len(ctx)); n != 3 {
			t.Fatalf("Len: %d", n)
		}
		if ok := mgrMust[bool](t)(d.Contains(ctx, "b")); !ok {
			t.Fatal("Contains(b) = false")
		}
		if v, loaded, err := d.SetDefault(ctx, "b", 20); v != 2 || !loaded || err != nil {
			t.Fatalf("SetDefault of a present key: %v, %v, %v", v, loaded, err)
		}
		if v, loaded, err := d.SetDefault(ctx, "d", 4); v != 4 || loaded || err != nil {
			t.Fatalf("SetDefault of a missing key: %v, %v, %v", v, loaded, err)
		}
		if v, ok, err := d.Pop(ctx, "d"); v != 4 || !ok || err != nil {
			t.Fatalf("Pop: %v, %v, %v", v, ok, err)
		}
		if ok := mgrMust[bool](t)(d.Delete(ctx, "c")); !ok {
			t.Fatal("Delete(c) = false")
		}
		if ok := mgrMust[bool](t)(d.Delete(ctx, "c")); ok {
			t.Fatal("second Delete(c) = true")
		}
		keys := mgrMust[[]string](t)(d.Keys(ctx))
		slices.Sort(keys)
		if !slices.Equal(keys, []string{"a", "b"}) {
			t.Fatalf("Keys: %v", keys)
		}
		if got := mgrMust[map[string]int](t)(d.Copy(ctx)); !maps.Equal(got, map[string]int{"a": 1, "b": 2}) {
			t.Fatalf("Copy: %v", got)
		}
		v, err := d.Modify(ctx, "a", func(v *int, ok bool) error {
			if !ok {
				t.Error("Modify of a present key: ok = false")
			}
			*v += 10
			return nil
		})
		if v != 11 || err != nil {
			t.Fatalf("Modify: %v, %v", v, err)
		}
		v, err = d.Modify(ctx, "new", func(v *int, ok bool) error {
			if ok || *v != 0 {
				t.Errorf("Modify of a missing key: %v, %v", *v, ok)
			}
			*v = 7
			return nil
		})
		if v != 7 || err != nil {
			t.Fatalf("Modify of a missing key: %v, %v", v, err)
		}
		errStop := errors.New("stop")
		if _, err := d.Modify(ctx, "a", func(v *int, _ bool) error { *v = 100; return errStop }); err != errStop {
			t.Fatalf("Modify returning an error: %v", err)
		}
		if v, _, _ := d.Get(ctx, "a"); v != 11 {
			t.Fatalf("a Modify that failed stored %d", v)
		}
		mgrCheck(t, d.Clear(ctx))
		if n := mgrMust[int](t)(d.Len(ctx)); n != 0 {
			t.Fatalf("Len after Clear: %d", n)
		}
	})
}

func TestManagerList(t *testing.T) {
	mgrModes(t, func(t *testing.T, m *Manager) {
		ctx := mgrTestCtx(t)
		l := mgrMust[*ListProxy[string]](t)(ManagerList[string](ctx, m))
		defer l.Close()
		if n := mgrMust[int](t)(l.Append(ctx, "a", "b", "c")); n != 3 {
			t.Fatalf("Append: %d", n)
		}
		mgrCheck(t, l.Insert(ctx, 0, "z"))
		mgrCheck(t, l.Insert(ctx, 4, "end"))
		mgrCheck(t, l.Set(ctx, 1, "A"))
		if v := mgrMust[string](t)(l.Get(ctx, 1)); v != "A" {
			t.Fatalf("Get: %q", v)
		}
		if got := mgrMust[[]string](t)(l.Copy(ctx)); !slices.Equal(got, []string{"z", "A", "b", "c", "end"}) {
			t.Fatalf("Copy: %q", got)
		}
		if v := mgrMust[string](t)(l.Pop(ctx)); v != "end" {
			t.Fatalf("Pop: %q", v)
		}
		if v := mgrMust[string](t)(l.PopAt(ctx, 0)); v != "z" {
			t.Fatalf("PopAt: %q", v)
		}
		for _, bad := range []func() error{
			func() error { _, err := l.Get(ctx, 3); return err },
			func() error { _, err := l.Get(ctx, -1); return err },
			func() error { return l.Set(ctx, 3, "x") },
			func() error { return l.Insert(ctx, 4, "x") },
			func() error { _, err := l.PopAt(ctx, 3); return err },
			func() error { _, err := l.PopAt(ctx, -2); return err },
			func() error { _, err := l.Modify(ctx, 5, func(*string) error { return nil }); return err },
		} {
			if err := bad(); !errors.Is(err, ErrIndexOutOfRange) {
				t.Errorf("out of range: %v", err)
			}
		}
		v, err := l.Modify(ctx, 1, func(s *string) error { *s += "!"; return nil })
		if v != "b!" || err != nil {
			t.Fatalf("Modify: %q, %v", v, err)
		}
		got, err := l.ModifyAll(ctx, func(s *[]string) error { slices.Reverse(*s); return nil })
		if err != nil || !slices.Equal(got, []string{"c", "b!", "A"}) {
			t.Fatalf("ModifyAll: %q, %v", got, err)
		}
		if n := mgrMust[int](t)(l.Len(ctx)); n != 3 {
			t.Fatalf("Len: %d", n)
		}
		mgrCheck(t, l.Clear(ctx))
		if _, err := l.Pop(ctx); !errors.Is(err, ErrIndexOutOfRange) {
			t.Fatalf("Pop of an empty list: %v", err)
		}
	})
}

func TestManagerListModifyAfterShift(t *testing.T) {
	// A Modify whose element moved (an insertion before it) between its
	// read and its write must not write the element now at its index.
	m := mgrStart(t)
	ctx := mgrTestCtx(t)
	l := mgrMust[*ListProxy[int]](t)(ManagerList[int](ctx, m))
	defer l.Close()
	mgrMust[int](t)(l.Append(ctx, 10, 20, 30))
	first := true
	v, err := l.Modify(ctx, 1, func(x *int) error {
		if first {
			first = false
			mgrCheck(t, l.Insert(ctx, 0, 0)) // 20 moves to index 2, 10 to 1
		}
		*x++
		return nil
	})
	if err != nil || v != 11 {
		t.Fatalf("Modify: %v, %v", v, err)
	}
	if got := mgrMust[[]int](t)(l.Copy(ctx)); !slices.Equal(got, []int{0, 11, 20, 30}) {
		t.Fatalf("list: %v", got)
	}
}

func TestManagerQueue(t *testing.T) {
	mgrModes(t, func(t *testing.T, m *Manager) {
		ctx := mgrTestCtx(t)
		q := mgrMust[*QueueProxy[int]](t)(ManagerQueue[int](ctx, m, 2))
		defer q.Close()
		if _, err := q.TryGet(ctx); !errors.Is(err, queue.ErrEmpty) {
			t.Fatalf("TryGet of an empty queue: %v", err)
		}
		mgrCheck(t, q.Put(ctx, 1))
		mgrCheck(t, q.TryPut(ctx, 2))
		if err := q.TryPut(ctx, 3); !errors.Is(err, queue.ErrFull) {
			t.Fatalf("TryPut to a full queue: %v", err)
		}
		if n := mgrMust[int](t)(q.Len(ctx)); n != 2 {
			t.Fatalf("Len: %d", n)
		}
		// A Put that waits for room, freed by a Get.
		put := make(chan error)
		go func() { put <- q.Put(ctx, 3) }()
		mgrWaitParked(t, m, q.Name(), 1)
		if v := mgrMust[int](t)(q.Get(ctx)); v != 1 {
			t.Fatalf("Get: %d", v)
		}
		mgrCheck(t, <-put)
		for want := 2; want <= 3; want++ {
			if v := mgrMust[int](t)(q.Get(ctx)); v != want {
				t.Fatalf("Get: %d, want %d", v, want)
			}
		}
		// A Get that waits for an item.
		got := make(chan int)
		go func() { got <- mgrMust[int](t)(q.Get(ctx)) }()
		mgrWaitParked(t, m, q.Name(), 1)
		mgrCheck(t, q.Put(ctx, 4))
		if v := <-got; v != 4 {
			t.Fatalf("waiting Get: %d", v)
		}
		// Join waits for a TaskDone per item.
		joined := make(chan error)
		go func() { joined <- q.Join(ctx) }()
		for range 3 {
			mgrCheck(t, q.TaskDone(ctx))
		}
		mgrWaitParked(t, m, q.Name(), 1)
		mgrCheck(t, q.TaskDone(ctx))
		mgrCheck(t, <-joined)
		if err := q.TaskDone(ctx); !errors.Is(err, queue.ErrTooManyTaskDone) {
			t.Fatalf("extra TaskDone: %v", err)
		}
	})
}

// mgrWaitParked waits until n requests are parked on the object named name,
// for managers whose server runs in this process; for others it sleeps a
// little, which only makes the test weaker, never wrong.
func mgrWaitParked(t *testing.T, m *Manager, name string, n int) {
	t.Helper()
	if m.srv == nil {
		time.Sleep(20 * time.Millisecond)
		return
	}
	ctx := mgrTestCtx(t)
	for {
		m.srv.mu.RLock()
		o := m.srv.names[name]
		m.srv.mu.RUnlock()
		o.mu.Lock()
		parked := len(o.state.parked())
		o.mu.Unlock()
		if parked >= n {
			return
		}
		if ctx.Err() != nil {
			t.Fatalf("%d requests parked on %s, want %d", parked, name, n)
		}
		time.Sleep(time.Millisecond)
	}
}

type mgrTestPoint struct {
	X, Y int
	Tags []string
}

func TestManagerValue(t *testing.T) {
	mgrModes(t, func(t *testing.T, m *Manager) {
		ctx := mgrTestCtx(t)
		v := mgrMust[*ValueProxy[mgrTestPoint]](t)(ManagerValue(ctx, m, mgrTestPoint{X: 1}))
		defer v.Close()
		if got := mgrMust[mgrTestPoint](t)(v.Get(ctx)); got.X != 1 {
			t.Fatalf("Get: %+v", got)
		}
		mgrCheck(t, v.Set(ctx, mgrTestPoint{X: 2, Y: 3}))
		got, err := v.Modify(ctx, func(p *mgrTestPoint) error {
			p.Tags = append(p.Tags, "moved")
			p.X++
			return nil
		})
		want := mgrTestPoint{X: 3, Y: 3, Tags: []string{"moved"}}
		if err != nil || got.X != want.X || !slices.Equal(got.Tags, want.Tags) {
			t.Fatalf("Modify: %+v, %v", got, err)
		}
		if got := mgrMust[mgrTestPoint](t)(v.Get(ctx)); got.X != 3 || got.Y != 3 || !slices.Equal(got.Tags, want.Tags) {
			t.Fatalf("Get after Modify: %+v", got)
		}
	})
}

func TestManagerNamespace(t *testing.T) {
	mgrModes(t, func(t *testing.T, m *Manager) {
		ctx := mgrTestCtx(t)
		ns := mgrMust[*NamespaceProxy](t)(ManagerNamespace(ctx, m))
		defer ns.Close()
		mgrCheck(t, ns.Set(ctx, "x", 10))
		mgrCheck(t, ns.Set(ctx, "name", "concur"))
		var x int
		if ok, err := ns.Get(ctx, "x", &x); !ok || err != nil || x != 10 {
			t.Fatalf("Get(x): %v, %v, %v", x, ok, err)
		}
		var s string
		if ok, err := ns.Get(ctx, "missing", &s); ok || err != nil {
			t.Fatalf("Get(missing): %v, %v", ok, err)
		}
		var te *SharedTypeError
		if _, err := ns.Get(ctx, "x", &s); !errors.As(err, &te) || te.Want != "string" || te.Got != "int" {
			t.Fatalf("Get(x) into a string: %v", err)
		}
		if _, err := ns.Get(ctx, "x", x); err == nil {
			t.Fatal("Get into a non-pointer succeeded")
		}
		if err := ns.Set(ctx, "nil", nil); err == nil {
			t.Fatal("Set of nil succeeded")
		}
		items, err := ModifyAttr(ctx, ns, "items", func(v *[]string, ok bool) error {
			*v = append(*v, "a")
			return nil
		})
		if err != nil || !slices.Equal(items, []string{"a"}) {
			t.Fatalf("ModifyAttr: %v, %v", items, err)
		}
		if _, err := ModifyAttr(ctx, ns, "x", func(v *float64, ok bool) error { return nil }); !errors.As(err, &te) {
			t.Fatalf("ModifyAttr of another type: %v", err)
		}
		n, err := ModifyAttr(ctx, ns, "x", func(v *int, ok bool) error { *v *= 2; return nil })
		if err != nil || n != 20 {
			t.Fatalf("ModifyAttr(x): %v, %v", n, err)
		}
		attrs := mgrMust[[]string](t)(ns.Attrs(ctx))
		slices.Sort(attrs)
		if !slices.Equal(attrs, []string{"items", "name", "x"}) {
			t.Fatalf("Attrs: %v", attrs)
		}
		if ok := mgrMust[bool](t)(ns.Delete(ctx, "name")); !ok {
			t.Fatal("Delete(name) = false")
		}
	})
}

func TestManagerLock(t *testing.T) {
	mgrModes(t, func(t *testing.T, m *Manager) {
		ctx := mgrTestCtx(t)
		l := mgrMust[*LockProxy](t)(ManagerLock(ctx, m))
		defer l.Close()
		if err := l.Release(ctx); !errors.Is(err, ErrNotHeld) {
			t.Fatalf("Release of an unlocked lock: %v", err)
		}
		mgrCheck(t, l.Acquire(ctx))
		if ok := mgrMust[bool](t)(l.TryAcquire(ctx)); ok {
			t.Fatal("TryAcquire of a held lock succeeded")
		}
		if locked := mgrMust[bool](t)(l.Locked(ctx)); !locked {
			t.Fatal("Locked = false")
		}
		mgrCheck(t, l.Release(ctx))
		if ok := mgrMust[bool](t)(l.TryAcquire(ctx)); !ok {
			t.Fatal("TryAcquire of a free lock failed")
		}
		mgrCheck(t, l.Release(ctx))

		// Mutual exclusion: unlocked increments of a dict entry, each
		// inside the lock, lose nothing.
		d := mgrMust[*DictProxy[string, int]](t)(ManagerDict[string, int](ctx, m))
		defer d.Close()
		const workers, rounds = 4, 25
		var wg sync.WaitGroup
		for range workers {
			wg.Go(func() {
				for range rounds {
					if err := l.Acquire(ctx); err != nil {
						t.Error(err)
						return
					}
					n, _, err := d.Get(ctx, "n")
					if err == nil {
						err = d.Set(ctx, "n", n+1)
					}
					if err == nil {
						err = l.Release(ctx)
					}
					if err != nil {
						t.Error(err)
						return
					}
				}
			})
		}
		wg.Wait()
		if n, _, _ := d.Get(ctx, "n"); n != workers*rounds {
			t.Fatalf("n = %d, want %d", n, workers*rounds)
		}
	})
}

func TestManagerEvent(t *testing.T) {
	mgrModes(t, func(t *testing.T, m *Manager) {
		ctx := mgrTestCtx(t)
		e := mgrMust[*EventProxy](t)(ManagerEvent(ctx, m))
		defer e.Close()
		if set := mgrMust[bool](t)(e.IsSet(ctx)); set {
			t.Fatal("a new event is set")
		}
		done := make(chan error, 3)
		for range 3 {
			go func() { done <- e.Wait(ctx) }()
		}
		mgrWaitParked(t, m, e.Name(), 3)
		mgrCheck(t, e.Set(ctx))
		for range 3 {
			mgrCheck(t, <-done)
		}
		mgrCheck(t, e.Wait(ctx)) // set: returns at once
		mgrCheck(t, e.Clear(ctx))
		if set := mgrMust[bool](t)(e.IsSet(ctx)); set {
			t.Fatal("IsSet after Clear")
		}
	})
}

func TestManagerNamedObjects(t *testing.T) {
	mgrModes(t, func(t *testing.T, m *Manager) {
		ctx := mgrTestCtx(t)
		d := mgrMust[*DictProxy[string, int]](t)(ManagerDict[string, int](ctx, m, WithObjectName("scores")))
		defer d.Close()
		if d.Name() != "scores" {
			t.Fatalf("Name: %q", d.Name())
		}
		mgrCheck(t, d.Set(ctx, "ann", 3))
		if _, err := ManagerList[int](ctx, m, WithObjectName("scores")); !errors.Is(err, ErrObjectExists) {
			t.Fatalf("a taken name: %v", err)
		}
		d2 := mgrMust[*DictProxy[string, int]](t)(LookupDict[string, int](ctx, m, "scores"))
		defer d2.Close()
		if v, _, _ := d2.Get(ctx, "ann"); v != 3 {
			t.Fatalf("through the looked-up proxy: %d", v)
		}
		if _, err := LookupDict[string, int](ctx, m, "nope"); !errors.Is(err, ErrObjectNotFound) {
			t.Fatalf("a missing name: %v", err)
		}
		var te *SharedTypeError
		if _, err := LookupList[int](ctx, m, "scores"); !errors.As(err, &te) ||
			te.Want != "ListProxy[int]" || te.Got != "DictProxy[string, int]" {
			t.Fatalf("a list proxy for a dict: %v", err)
		}
		if _, err := LookupDict[string, string](ctx, m, "scores"); !errors.As(err, &te) {
			t.Fatalf("a dict proxy of other types: %v", err)
		}
		// Generated names are distinct, and do not take a user's name.
		l := mgrMust[*ListProxy[int]](t)(ManagerList[int](ctx, m))
		defer l.Close()
		if l.Name() == "" || l.Name() == d.Name() {
			t.Fatalf("generated name %q", l.Name())
		}

		q := mgrMust[*QueueProxy[int]](t)(ManagerQueue[int](ctx, m, 0, WithObjectName("jobs")))
		defer q.Close()
		waiting := make(chan error)
		go func() { _, err := q.Get(ctx); waiting <- err }()
		mgrWaitParked(t, m, "jobs", 1)
		mgrCheck(t, m.Delete(ctx, "jobs"))
		if err := <-waiting; !errors.Is(err, ErrObjectNotFound) {
			t.Fatalf("a Get waiting on a deleted queue: %v", err)
		}
		if err := q.Put(ctx, 1); !errors.Is(err, ErrObjectNotFound) {
			t.Fatalf("Put to a deleted queue: %v", err)
		}
		if err := m.Delete(ctx, "jobs"); !errors.Is(err, ErrObjectNotFound) {
			t.Fatalf("second Delete: %v", err)
		}
	})
}

func TestManagerUnsupportedTypes(t *testing.T) {
	m := mgrStart(t)
	ctx := mgrTestCtx(t)
	var ee *EncodeError
	if _, err := ManagerDict[*int, int](ctx, m); !errors.As(err, &ee) {
		t.Errorf("pointer keys: %v", err)
	}
	if _, err := ManagerDict[any, int](ctx, m); !errors.As(err, &ee) {
		t.Errorf("interface keys: %v", err)
	}
	if _, err := ManagerDict[struct{ a int }, int](ctx, m); !errors.As(err, &ee) {
		t.Errorf("keys with unexported fields: %v", err)
	}
	if _, err := ManagerList[func()](ctx, m); !errors.As(err, &ee) {
		t.Errorf("funcs: %v", err)
	}
	if _, err := ManagerQueue[chan int](ctx, m, 0); !errors.As(err, &ee) {
		t.Errorf("channels: %v", err)
	}
	if _, err := ManagerValue[any](ctx, m, 1); !errors.As(err, &ee) {
		t.Errorf("interfaces: %v", err)
	}
	// A value holding an OS handle is refused when it is stored.
	l := mgrMust[*ListProxy[*Lock]](t)(ManagerList[*Lock](ctx, m))
	defer l.Close()
	lock := mgrMust[*Lock](t)(NewLock())
	defer lock.Close()
	if _, err := l.Append(ctx, lock); !errors.As(err, &ee) {
		t.Errorf("a shared lock stored in a list: %v", err)
	}
	// A cyclic value cannot be encoded.
	type node struct{ Next *node }
	cyc := &node{}
	cyc.Next = cyc
	v := mgrMust[*ValueProxy[*node]](t)(ManagerValue[*node](ctx, m, nil))
	defer v.Close()
	if err := v.Set(ctx, cyc); !errors.As(err, &ee) {
		t.Errorf("a cyclic value: %v", err)
	}
}

func TestManagerLargeValues(t *testing.T) {
	mgrModes(t, func(t *testing.T, m *Manager) {
		ctx := mgrTestCtx(t)
		d := mgrMust[*DictProxy[string, []byte]](t)(ManagerDict[string, []byte](ctx, m))
		defer d.Close()
		for _, size := range []int{0, 1, mgrRingMaxMsg - 64, mgrRingMaxMsg + 1, 1 << 20} {
			big := make([]byte, size)
			for i := range big {
				big[i] = byte(i * 7)
			}
			mgrCheck(t, d.Set(ctx, "big", big))
			got, ok, err := d.Get(ctx, "big")
			if err != nil || !ok || !slices.Equal(got, big) {
				t.Fatalf("size %d: %d bytes, %v, %v", size, len(got), ok, err)
			}
		}
		// Many calls at once overflow the ring onto the socket.
		var wg sync.WaitGroup
		for i := range 64 {
			wg.Go(func() {
				k := fmt.Sprint(i)
				if err := d.Set(ctx, k, make([]byte, 4<<10)); err != nil {
					t.Error(err)
				}
				if _, ok, err := d.Get(ctx, k); !ok || err != nil {
					t.Error(ok, err)
				}
			})
		}
		wg.Wait()
	})
}

type mgrChildArg struct {
	D     *DictProxy[string, int]
	L     *ListProxy[string]
	Q     *QueueProxy[string]
	Ns    *NamespaceProxy
	Lock  *LockProxy
	Ev    *EventProxy
	V     *ValueProxy[int]
	Index int
}

// mgrChildWorker uses every kind of proxy it was given, as a child of
// the test.
var mgrChildWorker = RegisterTarget("manager.test.worker", func(ctx context.Context, a mgrChildArg) error {
	name := fmt.Sprintf("child-%d", a.Index)
	if err := a.D.Set(ctx, name, a.Index); err != nil {
		return err
	}
	if _, err := a.L.Append(ctx, name); err != nil {
		return err
	}
	if err := a.Q.Put(ctx, name); err != nil {
		return err
	}
	if _, err := ModifyAttr(ctx, a.Ns, "children", func(n *int, _ bool) error { *n++; return nil }); err != nil {
		return err
	}
	if err := a.Ev.Wait(ctx); err != nil {
		return err
	}
	if err := a.Lock.Acquire(ctx); err != nil {
		return err
	}
	defer a.Lock.Release(ctx)
	_, err := a.V.Modify(ctx, func(v *int) error { *v += a.Index; return nil })
	return err
})

func TestManagerProxiesInChildren(t *testing.T) {
	mgrModes(t, func(t *testing.T, m *Manager) {
		ctx := mgrTestCtx(t)
		arg := mgrChildArg{
			D:    mgrMust[*DictProxy[string, int]](t)(ManagerDict[string, int](ctx, m)),
			L:    mgrMust[*ListProxy[string]](t)(ManagerList[string](ctx, m)),
			Q:    mgrMust[*QueueProxy[string]](t)(ManagerQueue[string](ctx, m, 0)),
			Ns:   mgrMust[*NamespaceProxy](t)(ManagerNamespace(ctx, m)),
			Lock: mgrMust[*LockProxy](t)(ManagerLock(ctx, m)),
			Ev:   mgrMust[*EventProxy](t)(ManagerEvent(ctx, m)),
			V:    mgrMust[*ValueProxy[int]](t)(ManagerValue(ctx, m, 0)),
		}
		const n = 3
		var children []*Child[struct{}]
		for i := 1; i <= n; i++ {
			arg.Index = i
			c := New(mgrChildWorker, arg)
			mgrCheck(t, c.Start())
			children = append(children, c)
		}
		for range n {
			mgrMust[string](t)(arg.Q.Get(ctx))
		}
		mgrCheck(t, arg.Ev.Set(ctx))
		for _, c := range children {
			mgrCheck(t, c.Join(ctx))
		}
		if got := mgrMust[map[string]int](t)(arg.D.Copy(ctx)); !maps.Equal(got, map[string]int{"child-1": 1, "child-2": 2, "child-3": 3}) {
			t.Fatalf("dict: %v", got)
		}
		if got := mgrMust[int](t)(arg.L.Len(ctx)); got != n {
			t.Fatalf("list: %d", got)
		}
		var count int
		if _, err := arg.Ns.Get(ctx, "children", &count); err != nil || count != n {
			t.Fatalf("namespace: %d, %v", count, err)
		}
		if v := mgrMust[int](t)(arg.V.Get(ctx)); v != 1+2+3 {
			t.Fatalf("value: %d", v)
		}
	})
}

func TestManagerProxyOfWrongType(t *testing.T) {
	m := mgrStart(t)
	ctx := mgrTestCtx(t)
	d := mgrMust[*DictProxy[string, int]](t)(ManagerDict[string, int](ctx, m))
	defer d.Close()
	data := mgrMust[[]byte](t)(d.GobEncode())
	var te *SharedTypeError
	var other DictProxy[string, string]
	if err := other.GobDecode(data); !errors.As(err, &te) {
		t.Fatalf("GobDecode into a DictProxy[string, string]: %v", err)
	}
	var list ListProxy[int]
	if err := list.GobDecode(data); !errors.As(err, &te) {
		t.Fatalf("GobDecode into a ListProxy[int]: %v", err)
	}
	// Through a Conn, as between processes.
	a, b, err := Pipe(true)
	mgrCheck(t, err)
	defer a.Close()
	defer b.Close()
	mgrCheck(t, a.Send(ctx, d))
	var got *DictProxy[string, string]
	if err := b.Recv(ctx, &got); !errors.As(err, &te) {
		t.Fatalf("Recv into a DictProxy[string, string]: %v", err)
	}
	mgrCheck(t, a.Send(ctx, d))
	var same *DictProxy[string, int]
	mgrCheck(t, b.Recv(ctx, &same))
	defer same.Close()
	mgrCheck(t, d.Set(ctx, "k", 1))
	if v, _, err := same.Get(ctx, "k"); v != 1 || err != nil {
		t.Fatalf("through the received proxy: %v, %v", v, err)
	}
}

func TestManagerNestedProxies(t *testing.T) {
	// Python's documented way to nest containers: a proxy stored inside
	// another object. Changes through the inner proxy are seen by all.
	m := mgrStart(t)
	ctx := mgrTestCtx(t)
	outer := mgrMust[*DictProxy[string, *ListProxy[int]]](t)(ManagerDict[string, *ListProxy[int]](ctx, m))
	defer outer.Close()
	inner := mgrMust[*ListProxy[int]](t)(ManagerList[int](ctx, m))
	defer inner.Close()
	mgrCheck(t, outer.Set(ctx, "evens", inner))
	got, ok, err := outer.Get(ctx, "evens")
	if !ok || err != nil {
		t.Fatalf("Get: %v, %v", ok, err)
	}
	defer got.Close()
	mgrMust[int](t)(got.Append(ctx, 2, 4))
	if s := mgrMust[[]int](t)(inner.Copy(ctx)); !slices.Equal(s, []int{2, 4}) {
		t.Fatalf("inner list: %v", s)
	}
}

// mgrModifier appends its index to a list entry of a dict, n times, with
// Modify.
var mgrModifier = RegisterTarget("manager.test.modifier", func(ctx context.Context, a mgrModifyArg) error {
	for range a.N {
		if _, err := a.D.Modify(ctx, "log", func(s *[]int, _ bool) error {
			*s = append(*s, a.Index)
			return nil
		}); err != nil {
			return err
		}
	}
	return nil
})

type mgrModifyArg struct {
	D        *DictProxy[string, []int]
	Index, N int
}

func TestManagerModifyRace(t *testing.T) {
	// Python's d["log"] = d["log"] + [i] loses appends; Modify does not,
	// with processes and goroutines racing on the one entry.
	m := mgrStart(t)
	ctx := mgrTestCtx(t)
	d := mgrMust[*DictProxy[string, []int]](t)(ManagerDict[string, []int](ctx, m))
	defer d.Close()
	const children, goroutines, n = 2, 3, 30
	var procs []*Child[struct{}]
	for i := range children {
		c := New(mgrModifier, mgrModifyArg{D: d, Index: i, N: n})
		mgrCheck(t, c.Start())
		procs = append(procs, c)
	}
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			for range n {
				if _, err := d.Modify(ctx, "log", func(s *[]int, _ bool) error {
					*s = append(*s, children+g)
					return nil
				}); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	for _, c := range procs {
		mgrCheck(t, c.Join(ctx))
	}
	log, _, _ := d.Get(ctx, "log")
	counts := map[int]int{}
	for _, i := range log {
		counts[i]++
	}
	for i := range children + goroutines {
		if counts[i] != n {
			t.Errorf("writer %d: %d appends, want %d", i, counts[i], n)
		}
	}
}

type mgrConnectArg struct {
	Network, Address string
	Key              []byte
}

// mgrConnector is another program, as far as the manager can tell: it
// connects with an address and a key, and finds a queue by name.
var mgrConnector = RegisterTarget("manager.test.connector", func(ctx context.Context, a mgrConnectArg) error {
	m, err := ConnectManager(ctx, a.Network, a.Address, WithManagerAuthKey(a.Key))
	if err != nil {
		return err
	}
	defer m.Close()
	q, err := LookupQueue[string](ctx, m, "jobs")
	if err != nil {
		return err
	}
	defer q.Close()
	job, err := q.Get(ctx)
	if err != nil {
		return err
	}
	return q.Put(ctx, job+" done")
})

func TestManagerConnect(t *testing.T) {
	for _, network := range []string{"tcp", "unix"} {
		t.Run(network, func(t *testing.T) {
			key := []byte("a key of its own")
			address := "127.0.0.1:0"
			if network == "unix" {
				address = t.TempDir() + "/manager.sock"
			}
			m := mgrStart(t, WithManagerAddress(network, address), WithManagerAuthKey(key), WithOwnProcess())
			ctx := mgrTestCtx(t)
			q := mgrMust[*QueueProxy[string]](t)(ManagerQueue[string](ctx, m, 0, WithObjectName("jobs")))
			defer q.Close()
			mgrCheck(t, q.Put(ctx, "job"))
			c := New(mgrConnector, mgrConnectArg{m.Addr().Network(), m.Addr().String(), key})
			mgrCheck(t, c.Start())
			mgrCheck(t, c.Join(ctx))
			if got := mgrMust[string](t)(q.Get(ctx)); got != "job done" {
				t.Fatalf("got %q", got)
			}

			// A handle made by ConnectManager works alike, and its Close
			// leaves its proxies working.
			cm := mgrMust[*Manager](t)(ConnectManager(ctx, network, m.Addr().String(), WithManagerAuthKey(key)))
			q2 := mgrMust[*QueueProxy[string]](t)(LookupQueue[string](ctx, cm, "jobs"))
			defer q2.Close()
			mgrCheck(t, cm.Close())
			mgrCheck(t, cm.Close())
			mgrCheck(t, q2.Put(ctx, "again"))
			if _, err := LookupQueue[string](ctx, cm, "jobs"); !errors.Is(err, os.ErrClosed) {
				t.Fatalf("a lookup through a closed handle: %v", err)
			}
			func() {
				defer func() {
					if recover() == nil {
						t.Error("Shutdown of a connected handle did not panic")
					}
				}()
				cm.Shutdown(ctx)
			}()

			_, err := ConnectManager(ctx, network, m.Addr().String(), WithManagerAuthKey([]byte("wrong")))
			if !errors.Is(err, ErrAuthentication) || !errors.Is(err, ErrManagerUnreachable) {
				t.Fatalf("a wrong key: %v", err)
			}
			_, err = ConnectManager(ctx, network, m.Addr().String()) // the program's own key
			if !errors.Is(err, ErrAuthentication) {
				t.Fatalf("the default key: %v", err)
			}
		})
	}
	ctx := mgrTestCtx(t)
	if _, err := ConnectManager(ctx, "unix", t.TempDir()+"/nothing"); !errors.Is(err, ErrManagerUnreachable) {
		t.Fatalf("nothing listening: %v", err)
	}
	if _, err := ConnectManager(ctx, "udp", "127.0.0.1:1"); err == nil {
		t.Fatal("a udp manager")
	}
}

func TestManagerUnauthenticatedPeer(t *testing.T) {
	// A peer that skips the handshake and sends well-formed requests
	// never reaches a handler.
	m := mgrStart(t, WithManagerAddress("tcp", "127.0.0.1:0"))
	ctx := mgrTestCtx(t)
	d := mgrMust[*DictProxy[string, int]](t)(ManagerDict[string, int](ctx, m))
	defer d.Close()
	c, err := Dial(ctx, "tcp", m.Addr().String()) // no key: no handshake
	mgrCheck(t, err)
	defer c.Close()
	req := appendMgrRequest(nil, mopSet, 1, d.id)
	req = appendBytes(req, mgrMust[[]byte](t)(d.kt.append(nil, mgrPtr("k"))))
	req = appendBytes(req, mgrMust[[]byte](t)(d.vt.append(nil, mgrPtr(666))))
	for _, msg := range [][]byte{appendMgrHello(nil, 1, 0), req, req} {
		if err := c.SendBytes(ctx, msg); err != nil {
			break // the manager hung up
		}
	}
	// The manager answers with its challenge, then hangs up.
	for {
		msg, err := c.RecvBytes(ctx)
		if err != nil {
			break
		}
		if _, _, _, err := parseMgrReply(msg); err == nil && msg[0] == mstOK {
			t.Fatalf("the manager replied %q", msg)
		}
	}
	if _, ok, err := d.Get(ctx, "k"); ok || err != nil {
		t.Fatalf("the unauthenticated request was applied: %v, %v", ok, err)
	}
}

func mgrPtr[T any](v T) *T { return &v }

func TestManagerShutdown(t *testing.T) {
	mgrModes(t, func(t *testing.T, m *Manager) {
		ctx := mgrTestCtx(t)
		q := mgrMust[*QueueProxy[int]](t)(ManagerQueue[int](ctx, m, 0))
		defer q.Close()
		waiting := make(chan error)
		go func() { _, err := q.Get(ctx); waiting <- err }()
		mgrWaitParked(t, m, q.Name(), 1)
		mgrCheck(t, m.Shutdown(ctx))
		if err := <-waiting; !errors.Is(err, ErrManagerShutDown) {
			t.Fatalf("a Get waiting when the manager shut down: %v", err)
		}
		if err := q.Put(ctx, 1); !errors.Is(err, ErrManagerShutDown) {
			t.Fatalf("Put after shutdown: %v", err)
		}
		if _, err := ManagerDict[string, int](ctx, m); !errors.Is(err, ErrManagerShutDown) {
			t.Fatalf("a new dict after shutdown: %v", err)
		}
		select {
		case <-m.Done():
		default:
			t.Fatal("Done not closed after Shutdown")
		}
		mgrCheck(t, m.Shutdown(ctx))
		mgrCheck(t, m.Close())
	})
}

// mgrWaitsOnQueue waits for an item, and returns what Get returned.
var mgrWaitsOnQueue = Register("manager.test.waitsOnQueue", func(ctx context.Context, q *QueueProxy[int]) (string, error) {
	_, err := q.Get(ctx)
	return fmt.Sprint(errors.Is(err, ErrManagerShutDown), errors.Is(err, ErrManagerUnreachable)), nil
})

func TestManagerShutdownSeenByChild(t *testing.T) {
	m := mgrStart(t)
	ctx := mgrTestCtx(t)
	q := mgrMust[*QueueProxy[int]](t)(ManagerQueue[int](ctx, m, 0))
	defer q.Close()
	c := New(mgrWaitsOnQueue, q)
	mgrCheck(t, c.Start())
	mgrWaitParked(t, m, q.Name(), 1)
	mgrCheck(t, m.Shutdown(ctx))
	if got := mgrMust[string](t)(c.Result(ctx)); got != "true false" {
		t.Fatalf("the child's Get after shutdown: ErrManagerShutDown, ErrManagerUnreachable = %s", got)
	}
}

func TestManagerProxyClose(t *testing.T) {
	m := mgrStart(t)
	ctx := mgrTestCtx(t)
	d := mgrMust[*DictProxy[string, int]](t)(ManagerDict[string, int](ctx, m))
	mgrCheck(t, d.Close())
	mgrCheck(t, d.Close())
	if err := d.Set(ctx, "k", 1); !errors.Is(err, os.ErrClosed) {
		t.Fatalf("Set after Close: %v", err)
	}
	if _, err := d.GobEncode(); !errors.Is(err, os.ErrClosed) {
		t.Fatalf("GobEncode after Close: %v", err)
	}
	var zero DictProxy[string, int]
	if _, _, err := zero.Get(ctx, "k"); !errors.Is(err, os.ErrClosed) {
		t.Fatalf("Get on a zero proxy: %v", err)
	}
	mgrCheck(t, zero.Close())
	var zl LockProxy
	if err := zl.Acquire(ctx); !errors.Is(err, os.ErrClosed) {
		t.Fatalf("Acquire on a zero proxy: %v", err)
	}
}

func TestManagerWithdraw(t *testing.T) {
	// A waiting call whose ctx ends is withdrawn from the manager: it
	// takes nothing and holds nothing.
	mgrModes(t, func(t *testing.T, m *Manager) {
		ctx := mgrTestCtx(t)
		l := mgrMust[*LockProxy](t)(ManagerLock(ctx, m))
		defer l.Close()
		q := mgrMust[*QueueProxy[int]](t)(ManagerQueue[int](ctx, m, 1))
		defer q.Close()
		e := mgrMust[*EventProxy](t)(ManagerEvent(ctx, m))
		defer e.Close()
		mgrCheck(t, l.Acquire(ctx))
		mgrCheck(t, q.Put(ctx, 1))
		for _, call := range []func(context.Context) error{
			l.Acquire,
			func(ctx context.Context) error { return q.Put(ctx, 2) },
			e.Wait,
			q.Join,
		} {
			short, cancel := context.WithTimeout(ctx, 30*time.Millisecond)
			err := call(short)
			cancel()
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("a waiting call past its deadline: %v", err)
			}
		}
		cancelled, cancel := context.WithCancel(ctx)
		go func() {
			mgrWaitParked(t, m, q.Name(), 0)
			time.Sleep(10 * time.Millisecond)
			cancel()
		}()
		if err := q.Put(cancelled, 3); !errors.Is(err, context.Canceled) {
			t.Fatalf("a cancelled Put: %v", err)
		}
		mgrCheck(t, l.Release(ctx))
		if locked := mgrMust[bool](t)(l.Locked(ctx)); locked {
			t.Fatal("a withdrawn Acquire holds the lock")
		}
		if v := mgrMust[int](t)(q.Get(ctx)); v != 1 {
			t.Fatalf("Get: %d", v)
		}
		if _, err := q.TryGet(ctx); !errors.Is(err, queue.ErrEmpty) {
			t.Fatalf("a withdrawn Put left an item: %v", err)
		}
		// A Get withdrawn before an item came leaves the item to the next.
		short, stop := context.WithTimeout(ctx, 30*time.Millisecond)
		if _, err := q.Get(short); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Get past its deadline: %v", err)
		}
		stop()
		mgrCheck(t, q.Put(ctx, 4))
		if v := mgrMust[int](t)(q.TryGet(ctx)); v != 4 {
			t.Fatalf("the item after a withdrawn Get: %d", v)
		}
		// A ctx that has ended already sends nothing.
		done, cancelDone := context.WithCancel(ctx)
		cancelDone()
		if err := q.Put(done, 5); !errors.Is(err, context.Canceled) {
			t.Fatalf("Put with an ended ctx: %v", err)
		}
		if n := mgrMust[int](t)(q.Len(ctx)); n != 0 {
			t.Fatalf("Len: %d", n)
		}
	})
}

func TestManagerIdleWake(t *testing.T) {
	// After a pause both sides sleep on the socket, and the doorbell
	// wakes each of them.
	mgrModes(t, func(t *testing.T, m *Manager) {
		ctx := mgrTestCtx(t)
		d := mgrMust[*DictProxy[string, int]](t)(ManagerDict[string, int](ctx, m))
		defer d.Close()
		for i := range 3 {
			// An idle connection goes to sleep after a few naps; on a
			// loaded machine the server's goroutine may take longer to
			// get there, so wait for it rather than for a fixed time.
			time.Sleep(3 * mgrNap)
			if m.srv != nil {
				for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(mgrNap) {
					awake := mgrAwakeConns(m.srv)
					if len(awake) == 0 {
						break
					}
					if time.Now().After(deadline) {
						t.Fatalf("idle server connections still awake after 10s, in states %v", awake)
					}
				}
			}
			mgrCheck(t, d.Set(ctx, "k", i))
			if v, _, err := d.Get(ctx, "k"); v != i || err != nil {
				t.Fatalf("Get after a pause: %v, %v", v, err)
			}
		}
	})
}

// mgrAwakeConns returns the states of srv's connections that are not
// asleep on their socket.
func mgrAwakeConns(srv *mgrServer) []uint32 {
	srv.mu.RLock()
	defer srv.mu.RUnlock()
	var awake []uint32
	for c := range srv.conns {
		if s := c.rings.req.asleep.Load(); s != mgrSleeping {
			awake = append(awake, s)
		}
	}
	return awake
}

type mgrStressArg struct {
	D          *DictProxy[int, int]
	Q          *QueueProxy[int]
	Base, N, G int
}

// mgrStress runs G goroutines, each making N increments of its own key
// and passing N items through a queue, on one shared connection.
var mgrStress = RegisterTarget("manager.test.stress", func(ctx context.Context, a mgrStressArg) error {
	return mgrStressRun(ctx, a)
})

func mgrStressRun(ctx context.Context, a mgrStressArg) error {
	errs := make(chan error, a.G)
	for g := range a.G {
		go func() {
			for range a.N {
				if _, err := a.D.Modify(ctx, a.Base+g, func(v *int, _ bool) error { *v++; return nil }); err != nil {
					errs <- err
					return
				}
				if err := a.Q.Put(ctx, 1); err != nil {
					errs <- err
					return
				}
				if _, err := a.Q.Get(ctx); err != nil {
					errs <- err
					return
				}
			}
			errs <- nil
		}()
	}
	for range a.G {
		if err := <-errs; err != nil {
			return err
		}
	}
	return nil
}

func TestManagerStress(t *testing.T) {
	// Many goroutines in several processes share each process's one
	// connection: a reply handed to the wrong caller, or a reading role
	// or doorbell lost, shows as a wrong count or a hang.
	mgrModes(t, func(t *testing.T, m *Manager) {
		ctx := mgrTestCtx(t)
		d := mgrMust[*DictProxy[int, int]](t)(ManagerDict[int, int](ctx, m))
		defer d.Close()
		q := mgrMust[*QueueProxy[int]](t)(ManagerQueue[int](ctx, m, 4))
		defer q.Close()
		const procs, goroutines, n = 2, 8, 40
		var children []*Child[struct{}]
		for p := range procs {
			c := New(mgrStress, mgrStressArg{D: d, Q: q, Base: (p + 1) * 100, N: n, G: goroutines})
			mgrCheck(t, c.Start())
			children = append(children, c)
		}
		mgrCheck(t, mgrStressRun(ctx, mgrStressArg{D: d, Q: q, Base: 0, N: n, G: goroutines}))
		for _, c := range children {
			mgrCheck(t, c.Join(ctx))
		}
		got := mgrMust[map[int]int](t)(d.Copy(ctx))
		if len(got) != (procs+1)*goroutines {
			t.Fatalf("%d keys, want %d", len(got), (procs+1)*goroutines)
		}
		for k, v := range got {
			if v != n {
				t.Errorf("key %d: %d increments, want %d", k, v, n)
			}
		}
		if l := mgrMust[int](t)(q.Len(ctx)); l != 0 {
			t.Errorf("queue left with %d items", l)
		}
	})
}
