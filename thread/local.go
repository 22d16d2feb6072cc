package thread

import (
	"sync"
	"weak"
)

// Local holds one value of type T per thread: each thread (or goroutine)
// sees only the value it set itself. Python: threading.local, with one
// typed attribute per Local.
//
// A thread's values are dropped when it stops, and a dummy thread's when
// its goroutine is found to have ended (see Current), so values do not
// outlive their goroutine for long. A Local that becomes unreachable takes
// its values with it, even while the threads that set them run on.
//
// The zero value is ready and yields T's zero value for a thread that has
// set nothing; NewLocal sets an initializer instead. A Local must not be
// copied after first use.
type Local[T any] struct {
	init func() T
	once sync.Once
	core *localCore
}

// localCore holds the values. Threads keep weak pointers to the cores
// they have values in, so that a thread can drop its values when it stops
// without keeping a Local alive.
type localCore struct {
	mu   sync.Mutex
	vals map[*Thread]any
}

// NewLocal returns a Local whose value in each thread starts as init(),
// called in that thread on its first Get: the Go form of a threading.local
// subclass with an __init__. A nil init means the zero value.
func NewLocal[T any](init func() T) *Local[T] {
	return &Local[T]{init: init}
}

func (l *Local[T]) c() *localCore {
	l.once.Do(func() { l.core = &localCore{vals: map[*Thread]any{}} })
	return l.core
}

// Get returns the calling thread's value, initializing it on first use.
// Python: reading local.attr.
func (l *Local[T]) Get() T {
	t, c := current(), l.c()
	c.mu.Lock()
	v, ok := c.vals[t]
	c.mu.Unlock()
	if ok {
		return v.(T)
	}
	var init T
	if l.init != nil {
		init = l.init()
		l.store(t, c, init)
	}
	return init
}

// Set sets the calling thread's value. Python: local.attr = v.
func (l *Local[T]) Set(v T) { l.store(current(), l.c(), v) }

// Delete removes the calling thread's value, so its next Get initializes
// it afresh. Python: del local.attr.
func (l *Local[T]) Delete() {
	c := l.c()
	t := current()
	c.mu.Lock()
	delete(c.vals, t)
	c.mu.Unlock()
}

func (l *Local[T]) store(t *Thread, c *localCore, v T) {
	c.mu.Lock()
	c.vals[t] = v
	c.mu.Unlock()
	t.addLocal(c)
}

// addLocal records that t has a value in c.
func (t *Thread) addLocal(c *localCore) {
	w := weak.Make(c)
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.locals) == cap(t.locals) {
		// Before growing, forget Locals that no longer exist, so a long-lived
		// thread using many short-lived Locals stays small.
		t.locals = deleteDead(t.locals)
	}
	for _, have := range t.locals {
		if have == w {
			return
		}
	}
	t.locals = append(t.locals, w)
}

func deleteDead(ws []weak.Pointer[localCore]) []weak.Pointer[localCore] {
	live := ws[:0]
	for _, w := range ws {
		if w.Value() != nil {
			live = append(live, w)
		}
	}
	clear(ws[len(live):])
	return live
}

// dropLocals removes t's values from every Local, when t stops.
func (t *Thread) dropLocals() {
	t.mu.Lock()
	ws := t.locals
	t.locals = nil
	t.mu.Unlock()
	for _, w := range ws {
		if c := w.Value(); c != nil {
			c.mu.Lock()
			delete(c.vals, t)
			c.mu.Unlock()
		}
	}
}
