package process

import (
	"context"
	"fmt"
	"sync/atomic"

	"github.com/concurgo/concur/internal/shm"
)

// The child's side of a pool task: a batch of items of one registered
// function, run by an itemLoop that flushes partial messages back.

// progressIn returns the words of a progress segment: the progress word
// at offset 0 and the start time of the running item at offset 8 (see
// itemLoop). A mapping is page-aligned, so both are 8-byte aligned.
func progressIn(seg *shm.Segment) (*atomic.Uint64, *atomic.Int64) {
	return (*atomic.Uint64)(seg.At(0, 8)), (*atomic.Int64)(seg.At(8, 8))
}

// progressSize is the size of a progress segment.
const progressSize = 16

// batchRunner is what the child needs of a registered function to run a
// batch of it. Every Func implements it.
type batchRunner interface {
	runBatch(ctx context.Context, arg []byte, l *itemLoop, out *batchOut)
}

// batchOut encodes what an itemLoop publishes into partial messages.
type batchOut struct {
	w   *worker
	id  uint64
	enc func(lo, hi int, skip []itemError) ([]byte, error) // the results of [lo, hi) but the skipped ones, as one []R
}

// serveBatch runs one batch and reports whether all its items succeeded.
// The items run on the calling goroutine; if one calls runtime.Goexit,
// which ends that goroutine, a new one finishes the batch and goes on
// serving what next returns.
func (w *worker) serveBatch(msg []byte, next func() []byte) bool {
	b, err := decodeBatch(msg)
	if err != nil || w.prog == nil {
		childFatal(fmt.Errorf("%w (pool worker: %t)", err, w.prog != nil))
	}
	l := &itemLoop{n: b.Count, seq: uint32(b.ID), prog: w.prog, stamp: w.stamp}
	out := &batchOut{w: w, id: b.ID}
	ok := true
	l.flush = func(lo, hi int, fails []itemError) {
		ok = ok && len(fails) == 0
		out.publish(lo, hi, fails)
	}
	fn, found := registry.lookup(b.Func)
	runner, _ := fn.(batchRunner)
	if !found || runner == nil {
		l.item = func(int) error { return unregisteredError(b.Func) }
	} else {
		runner.runBatch(w.ctx, b.Arg, l, out)
	}
	l.start()
	l.run(0, func() {
		l.finish()
		w.served(ok)
		w.serve(next)
	})
	l.finish()
	return ok
}

func unregisteredError(name string) error {
	return fmt.Errorf("process: function %q is not registered in the child: "+
		"register it in a package-level variable of a package the binary always imports", name)
}

// runBatch decodes the batch's arguments and sets l up to run f on each.
func (f *Func[A, R]) runBatch(ctx context.Context, arg []byte, l *itemLoop, out *batchOut) {
	args, err := decodeItems[A](arg)
	if err == nil && len(args) != l.n {
		err = &DecodeError{Type: fmt.Sprintf("%T", args), Err: fmt.Errorf("%d arguments for a batch of %d", len(args), l.n)}
	}
	if err != nil {
		l.item = func(int) error { return err }
		return
	}
	vals := make([]R, l.n)
	l.item = func(i int) error {
		v, err := f.fn(ctx, args[i])
		if err == nil {
			vals[i] = v
		}
		var zero A
		args[i] = zero // the argument is not needed anymore
		return err
	}
	out.enc = func(lo, hi int, skip []itemError) ([]byte, error) {
		rs := vals[lo:hi]
		if len(skip) > 0 {
			rs = make([]R, 0, hi-lo-len(skip))
			for i := lo; i < hi; i++ {
				if len(skip) > 0 && skip[0].i == i {
					skip = skip[1:]
					continue
				}
				rs = append(rs, vals[i])
			}
		}
		return encodeItems(rs)
	}
}

// publish sends the outcomes of items [lo, hi). If their results do not
// encode together, or exceed the message limit, it halves the run until
// the item at fault is alone, and reports that item as failed: one bad
// result does not take its neighbours with it.
func (o *batchOut) publish(lo, hi int, fails []itemError) {
	msg, err := o.message(lo, hi, fails)
	if err != nil && hi-lo > 1 {
		mid := lo + (hi-lo)/2
		k := 0
		for k < len(fails) && fails[k].i < mid {
			k++
		}
		o.publish(lo, mid, fails[:k])
		o.publish(mid, hi, fails[k:])
		return
	}
	if err != nil {
		msg, _ = o.message(lo, hi, []itemError{{lo, err}})
	}
	o.w.send(msg)
}

// message builds the partial message for items [lo, hi).
func (o *batchOut) message(lo, hi int, fails []itemError) ([]byte, error) {
	m := partialMsg{ID: o.id, From: lo, Count: hi - lo}
	if len(fails) < hi-lo {
		var err error
		if m.Values, err = o.enc(lo, hi, fails); err != nil {
			return nil, err
		}
	}
	for _, f := range fails {
		status, typ, text, stack := describe(f.err)
		m.Failures = append(m.Failures, itemFailure{Index: f.i, Status: status, Type: typ, Text: text, Stack: stack})
	}
	return encodeControl(m.append)
}
