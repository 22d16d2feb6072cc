package process

import (
	"context"
	"errors"
	"maps"
	"slices"
	"testing"
	"time"
)

// managerModes runs fn against a manager of each kind: goroutines of this
// process, and a process of its own.
func managerModes(t *testing.T, fn func(t *testing.T, m *Manager)) {
	t.Helper()
	for _, mode := range []struct {
		name string
		opts []ManagerOption
	}{
		{"goroutines", nil},
		{"process", []ManagerOption{WithOwnProcess()}},
	} {
		t.Run(mode.name, func(t *testing.T) {
			m := startTestManager(t, mode.opts...)
			fn(t, m)
		})
	}
}

func startTestManager(t testing.TB, opts ...ManagerOption) *Manager {
	t.Helper()
	m, err := StartManager(testCtx(t), opts...)
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

// testCtx bounds a test's calls, so that a bug shows as a failure rather
// than a hang.
func testCtx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func must[T any](t testing.TB) func(T, error) T {
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

func check(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func TestManagerDict(t *testing.T) {
	managerModes(t, func(t *testing.T, m *Manager) {
		ctx := testCtx(t)
		d := must[*DictProxy[string, int]](t)(ManagerDict[string, int](ctx, m))
		defer d.Close()
		if _, ok, err := d.Get(ctx, "a"); ok || err != nil {
			t.Fatalf("Get of a missing key: %v, %v", ok, err)
		}
		check(t, d.Set(ctx, "a", 1))
		check(t, d.Update(ctx, map[string]int{"b": 2, "c": 3}))
		if v, ok, err := d.Get(ctx, "a"); v != 1 || !ok || err != nil {
			t.Fatalf("Get: %v, %v, %v", v, ok, err)
		}
		if n := must[int](t)(d.Len(ctx)); n != 3 {
			t.Fatalf("Len: %d", n)
		}
		if ok := must[bool](t)(d.Contains(ctx, "b")); !ok {
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
		if ok := must[bool](t)(d.Delete(ctx, "c")); !ok {
			t.Fatal("Delete(c) = false")
		}
		if ok := must[bool](t)(d.Delete(ctx, "c")); ok {
			t.Fatal("second Delete(c) = true")
		}
		keys := must[[]string](t)(d.Keys(ctx))
		slices.Sort(keys)
		if !slices.Equal(keys, []string{"a", "b"}) {
			t.Fatalf("Keys: %v", keys)
		}
		if got := must[map[string]int](t)(d.Copy(ctx)); !maps.Equal(got, map[string]int{"a": 1, "b": 2}) {
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
		check(t, d.Clear(ctx))
		if n := must[int](t)(d.Len(ctx)); n != 0 {
			t.Fatalf("Len after Clear: %d", n)
		}
	})
}
