package queue

import (
	"context"
	"errors"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestStressManyProducersManyConsumers moves items through a small queue
// with many producers and consumers, half of them using short timeouts so
// that waiters are constantly cancelled while hand-offs race them: the
// places where a lost wake-up, a lost item or a duplicate would hide.
// It checks that every item is received exactly once and that Join, called
// once the producers are done, returns only after the last TaskDone.
func TestStressManyProducersManyConsumers(t *testing.T) {
	for _, k := range kinds {
		t.Run(k.name, func(t *testing.T) { stress(t, k.new(8)) })
	}
}

func stress(t *testing.T, q *Queue[int]) {
	const producers, consumers, perProducer = 4, 4, 3000
	const total = producers * perProducer
	var done atomic.Int64 // items whose processing finished, counted before TaskDone
	received := make([][]int, consumers)

	var cwg sync.WaitGroup
	for c := range consumers {
		cwg.Go(func() {
			mark := func(v int) {
				received[c] = append(received[c], v)
				done.Add(1)
				taskDone(t, q)
			}
			if c%2 == 0 {
				// Blocking consumer, ended by Shutdown.
				for {
					v, err := q.Get(context.Background())
					if errors.Is(err, ErrShutDown) {
						return
					} else if err != nil {
						t.Error(err)
						return
					}
					mark(v)
				}
			}
			// Impatient consumer: timeouts of a few microseconds.
			for {
				ctx, cancel := context.WithTimeout(context.Background(), time.Duration(1+c)*time.Microsecond)
				v, err := q.Get(ctx)
				cancel()
				switch {
				case err == nil:
					mark(v)
				case errors.Is(err, ErrShutDown):
					return
				case !errors.Is(err, ErrEmpty) || !errors.Is(err, context.DeadlineExceeded):
					t.Error(err)
					return
				}
			}
		})
	}

	var pwg sync.WaitGroup
	for p := range producers {
		pwg.Go(func() {
			for i := range perProducer {
				v := p*perProducer + i
				if p%2 == 0 {
					put(t, q, v)
					continue
				}
				for { // impatient producer: retries after short timeouts
					ctx, cancel := context.WithTimeout(context.Background(), time.Duration(1+p)*time.Microsecond)
					err := q.Put(ctx, v)
					cancel()
					if err == nil {
						break
					}
					if !errors.Is(err, ErrFull) {
						t.Error(err)
						return
					}
				}
			}
		})
	}
	pwg.Wait()

	var jwg sync.WaitGroup
	for range 3 {
		jwg.Go(func() {
			if err := q.Join(context.Background()); err != nil {
				t.Error(err)
			}
			if n := done.Load(); n != total {
				t.Errorf("Join returned after %d of %d tasks were done", n, total)
			}
		})
	}
	jwg.Wait()

	q.Shutdown(false)
	cwg.Wait()
	all := slices.Concat(received...)
	slices.Sort(all)
	if len(all) != total {
		t.Fatalf("received %d items, want %d", len(all), total)
	}
	for i, v := range all {
		if v != i {
			t.Fatalf("item %d lost or duplicated", i)
		}
	}
	if q.Len() != 0 || q.Unfinished() != 0 {
		t.Fatalf("Len() = %d, Unfinished() = %d at the end", q.Len(), q.Unfinished())
	}
}
