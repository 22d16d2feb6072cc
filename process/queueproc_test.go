package process

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/concurgo/concur/queue"
)

// Tests of the queues between real processes: children started with New
// receive the queues as arguments, as the seeds pass a Queue to a
// Process, and some are killed with SIGKILL in the middle of queue
// operations.

type queueEchoArg struct {
	In  *Queue[string]
	Out *SimpleQueue[string]
}

// queueEcho gets one string and puts it back in upper case.
var queueEcho = RegisterTarget("queue.test.echo", func(ctx context.Context, a queueEchoArg) error {
	s, err := a.In.Get(ctx)
	if err != nil {
		return err
	}
	return a.Out.Put(ctx, "echo: "+s)
})

func TestQueueParentChild(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	in, err := NewQueue[string](0)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	out, err := NewSimpleQueue[string]()
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	c := New(queueEcho, queueEchoArg{in, out})
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := in.Put(ctx, "hello"); err != nil {
		t.Fatal(err)
	}
	if got, err := out.Get(ctx); got != "echo: hello" || err != nil {
		t.Fatalf("Get: %q, %v", got, err)
	}
	if err := c.Join(ctx); err != nil {
		t.Fatal(err)
	}
}

// queueTestItem checks itself: Sum is the CRC of the rest, so a torn or
// mixed-up item is detected.
type queueTestItem struct {
	Producer, Seq int
	Payload       []byte
	Sum           uint32
}

func newQueueTestItem(producer, seq, size int) queueTestItem {
	it := queueTestItem{Producer: producer, Seq: seq, Payload: make([]byte, size)}
	for i := range it.Payload {
		it.Payload[i] = byte(producer*7 + seq + i)
	}
	it.Sum = it.sum()
	return it
}

func (it queueTestItem) sum() uint32 {
	h := crc32.NewIEEE()
	binary.Write(h, binary.LittleEndian, [2]int64{int64(it.Producer), int64(it.Seq)})
	h.Write(it.Payload)
	return h.Sum32()
}

func (it queueTestItem) check() error {
	if it.Sum != it.sum() {
		return fmt.Errorf("corrupt item %d of producer %d", it.Seq, it.Producer)
	}
	return nil
}

type queueWorkArg struct {
	Q        *JoinableQueue[queueTestItem]
	Producer int
	N        int // items to put; 0 puts until killed
	MaxSize  int // largest payload
	Progress *RawValue[int64]
}

// queueProducer puts N self-checking items (forever if N is 0), with
// payloads of random sizes up to MaxSize, counting them in Progress.
var queueProducer = RegisterTarget("queue.test.producer", func(ctx context.Context, a queueWorkArg) error {
	rng := rand.New(rand.NewPCG(uint64(a.Producer), 1))
	for i := 0; a.N == 0 || i < a.N; i++ {
		if err := a.Q.Put(ctx, newQueueTestItem(a.Producer, i, rng.IntN(a.MaxSize+1))); err != nil {
			return err
		}
		if a.Progress != nil {
			a.Progress.Store(int64(i + 1))
		}
	}
	return nil
})

// queueConsumer gets items until the queue is shut down, checks them and
// returns their keys (producer<<32 | seq), marking each done.
var queueConsumer = Register("queue.test.consumer", func(ctx context.Context, a queueWorkArg) ([]int64, error) {
	var keys []int64
	for it, err := range a.Q.All(ctx) {
		if err != nil {
			return nil, err
		}
		if err := it.check(); err != nil {
			return nil, err
		}
		keys = append(keys, int64(it.Producer)<<32|int64(it.Seq))
		if a.Progress != nil {
			a.Progress.Add(1)
		}
	}
	return keys, nil
})

func startChild[A, R any](t *testing.T, fn *Func[A, R], arg A) *Child[R] {
	t.Helper()
	c := New(fn, arg)
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		c.Kill()
		c.Join(context.Background())
		c.Close()
	})
	return c
}

// TestQueueProcessesStress: three producer processes and two consumer
// processes (plus the parent, consuming too) share a JoinableQueue with a
// small buffer and a maxsize, so puts and gets wait on each other across
// processes; every item arrives exactly once and intact, and Join in the
// parent returns once the consumers have marked everything done.
func TestQueueProcessesStress(t *testing.T) {
	const producers, consumers, perProducer = 3, 2, 1500
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	q, err := NewJoinableQueue[queueTestItem](16, WithBufferSize(4096))
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	var prods []*Child[struct{}]
	for p := range producers {
		prods = append(prods, startChild(t, queueProducer, queueWorkArg{Q: q, Producer: p, N: perProducer, MaxSize: 300}))
	}
	var cons []*Child[[]int64]
	for range consumers {
		cons = append(cons, startChild(t, queueConsumer, queueWorkArg{Q: q}))
	}
	parentKeys := make(chan []int64, 1)
	go func() {
		keys, err := queueConsumer.fn(ctx, queueWorkArg{Q: q})
		if err != nil {
			t.Error(err)
		}
		parentKeys <- keys
	}()
	for _, p := range prods {
		if err := p.Join(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if err := q.Join(ctx); err != nil {
		t.Fatalf("Join: %v (unfinished %d)", err, q.Unfinished())
	}
	q.Shutdown(false)
	all := <-parentKeys
	t.Logf("the parent consumed %d items", len(all))
	for _, c := range cons {
		keys, err := c.Result(ctx)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("a consumer process consumed %d items", len(keys))
		all = append(all, keys...)
	}
	slices.Sort(all)
	if len(all) != producers*perProducer {
		t.Fatalf("%d items arrived, want %d", len(all), producers*perProducer)
	}
	for i, k := range all {
		if want := int64(i/perProducer)<<32 | int64(i%perProducer); k != want {
			t.Fatalf("item %d is %x, want %x: lost or duplicated", i, k, want)
		}
	}
}

// TestQueueProducerKilled is the fault test for putters: a child putting
// items of random sizes in a loop, through a buffer small enough that its
// records wrap around and it often waits for room, is killed with SIGKILL
// while the parent is consuming, three times. The parent gets every item
// the dead producer put, intact and in order, with no gap — the Put it
// was killed in happened whole or not at all — and the queue goes on
// working.
func TestQueueProducerKilled(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	q, err := NewJoinableQueue[queueTestItem](0, WithBufferSize(8192))
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	progress, err := NewRawValue[int64](0)
	if err != nil {
		t.Fatal(err)
	}
	defer progress.Close()
	for round := range 3 {
		progress.Store(0)
		c := startChild(t, queueProducer, queueWorkArg{Q: q, Producer: round, MaxSize: 3000, Progress: progress})
		// The consumer stops when the queue stays empty for a while after
		// the kill.
		consumed := make(chan int, 1)
		go func() {
			next := 0
			defer func() { consumed <- next }()
			for {
				short, cancelShort := context.WithTimeout(ctx, 50*time.Millisecond)
				it, err := q.Get(short)
				cancelShort()
				if errors.Is(err, queue.ErrEmpty) && !c.IsAlive() {
					return
				}
				if errors.Is(err, queue.ErrEmpty) {
					continue
				}
				if err == nil {
					err = it.check()
				}
				if err == nil && (it.Producer != round || it.Seq != next) {
					err = fmt.Errorf("got item %d of producer %d, want item %d", it.Seq, it.Producer, next)
				}
				if err != nil {
					t.Errorf("round %d: %v", round, err)
					return
				}
				next++
			}
		}()
		for progress.Load() < int64(200+round*100) && ctx.Err() == nil {
			time.Sleep(time.Millisecond)
		}
		if err := c.Kill(); err != nil {
			t.Fatal(err)
		}
		c.Join(ctx)
		put := int(progress.Load()) // Puts that returned; one more may have committed
		got := <-consumed
		if got != put && got != put+1 {
			t.Fatalf("round %d: got %d items, the producer had put %d when killed", round, got, put)
		}
		t.Logf("round %d: killed after %d puts; got %d items", round, put, got)
	}
	// The queue still works both ways.
	if err := q.Put(ctx, newQueueTestItem(9, 0, 10)); err != nil {
		t.Fatal(err)
	}
	if it, err := q.Get(ctx); err != nil || it.Producer != 9 {
		t.Fatalf("Get after the faults: %v, %v", it.Producer, err)
	}
}

// TestQueueConsumerKilled is the fault test for getters: a child getting
// items in a loop is killed with SIGKILL mid-stream; the items it did not
// take are all still there, intact, in order, and the parent gets them.
func TestQueueConsumerKilled(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	const n = 5000
	q, err := NewJoinableQueue[queueTestItem](0, WithBufferSize(4<<20))
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	for i := range n {
		if err := q.Put(ctx, newQueueTestItem(0, i, i%200)); err != nil {
			t.Fatal(err)
		}
	}
	progress, err := NewRawValue[int64](0)
	if err != nil {
		t.Fatal(err)
	}
	defer progress.Close()
	c := startChild(t, queueConsumer, queueWorkArg{Q: q, Progress: progress})
	for progress.Load() < 300 && ctx.Err() == nil {
		time.Sleep(time.Millisecond)
	}
	c.Kill()
	c.Join(ctx)
	taken := int(progress.Load()) // Gets that returned; one more may have committed
	var left []int
	for {
		it, err := q.TryGet()
		if errors.Is(err, queue.ErrEmpty) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if err := it.check(); err != nil {
			t.Fatal(err)
		}
		left = append(left, it.Seq)
	}
	first := n - len(left)
	for i, seq := range left {
		if seq != first+i {
			t.Fatalf("left in the queue: items %d..., then %d at position %d", first, seq, i)
		}
	}
	if first != taken && first != taken+1 {
		t.Fatalf("the consumer had taken %d items when killed, but the queue resumes at %d", taken, first)
	}
	t.Logf("the consumer was killed after %d items; the parent got %d to %d", taken, first, n-1)
}

type queueHolderArg struct {
	Q       *Queue[[]byte]
	Holding *Event
	Commit  bool // commit a record, without the wake-up it owes
}

// queueLockHolder takes the queue's lock and does half of a Put — the
// record written beyond the tail, with Commit the state committed too —
// then waits to be killed, holding the lock.
var queueLockHolder = RegisterTarget("queue.test.lockholder", func(ctx context.Context, a queueHolderArg) error {
	r := a.Q.r
	if err := r.lock(ctx); err != nil {
		return err
	}
	s := r.state()
	body := bytes.Repeat([]byte("torn"), 16)
	pos := s.tail % r.size
	binary.NativeEndian.PutUint32(r.buf[pos:], uint32(len(body)))
	binary.NativeEndian.PutUint32(r.buf[pos+4:], 0)
	r.copyIn((pos+ringRecordHeader)%r.size, body)
	if a.Commit {
		s.tail += recordSize(len(body))
		s.n++
		r.commit(s)
	}
	a.Holding.Set()
	time.Sleep(time.Hour)
	return nil
})

// TestQueueLockHolderKilled kills a process that holds the queue's lock
// in the middle of a Put: before its commit (the half-written record must
// not appear) and after it (the record must, and a getter that was
// already asleep must get it although the dead process never woke it).
func TestQueueLockHolderKilled(t *testing.T) {
	for _, commit := range []bool{false, true} {
		t.Run(fmt.Sprint("commit=", commit), func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			q, err := NewQueue[[]byte](0, WithBufferSize(256))
			if err != nil {
				t.Fatal(err)
			}
			defer q.Close()
			holding, err := NewEvent()
			if err != nil {
				t.Fatal(err)
			}
			defer holding.Close()
			// Fill part of the buffer so the torn record wraps around its end.
			for _, s := range []string{"one", "two", "three"} {
				q.Put(ctx, []byte(s))
			}
			for range 3 {
				q.Get(ctx)
			}
			q.Put(ctx, bytes.Repeat([]byte("x"), 150))
			if _, err := q.Get(ctx); err != nil {
				t.Fatal(err)
			}
			got := make(chan string, 1)
			go func() {
				v, err := q.Get(ctx)
				if err != nil {
					v = []byte(err.Error())
				}
				got <- string(v)
			}()
			c := startChild(t, queueLockHolder, queueHolderArg{Q: q, Holding: holding, Commit: commit})
			if err := holding.Wait(ctx); err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			c.Kill()
			c.Join(ctx)
			if commit {
				if v := <-got; v != string(bytes.Repeat([]byte("torn"), 16)) {
					t.Fatalf("the waiting getter got %q", v)
				}
				t.Logf("the waiting getter got the dead process's item %v after the kill", time.Since(start))
			}
			if err := q.Put(ctx, []byte("after")); err != nil {
				t.Fatal(err)
			}
			if !commit {
				if v := <-got; v != "after" {
					t.Fatalf("the waiting getter got %q, want the item put after the kill", v)
				}
				t.Logf("the queue worked again %v after the kill", time.Since(start))
			} else if v, err := q.Get(ctx); string(v) != "after" || err != nil {
				t.Fatalf("Get after the kill: %q, %v", v, err)
			}
			if q.Len() != 0 {
				t.Fatalf("Len = %d after the faults", q.Len())
			}
		})
	}
}

type queueBigArg struct {
	Q    *Queue[[]byte]
	Size int
}

var queueBigPut = RegisterTarget("queue.test.bigput", func(ctx context.Context, a queueBigArg) error {
	b := make([]byte, a.Size)
	for i := range b {
		b[i] = byte(i % 251)
	}
	return a.Q.Put(ctx, b)
})

// TestQueueLargeItemProcesses: an item larger than the buffer travels
// from a child that exits right after its Put returns.
func TestQueueLargeItemProcesses(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	q, err := NewQueue[[]byte](0, WithBufferSize(4096))
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	const size = 3 << 20
	c := startChild(t, queueBigPut, queueBigArg{Q: q, Size: size})
	if err := c.Join(ctx); err != nil {
		t.Fatal(err)
	}
	b, err := q.Get(ctx)
	if err != nil || len(b) != size {
		t.Fatalf("Get: %d bytes, %v", len(b), err)
	}
	for i := range b {
		if b[i] != byte(i%251) {
			t.Fatalf("byte %d is %d", i, b[i])
		}
	}
	if files := spillFiles(t, q.r); len(files) != 0 {
		t.Fatalf("spill files left: %v", files)
	}
}

// TestQueueSpillConsumerKilled: a consumer taking items larger than the
// buffer (each in a spill file) is killed mid-stream; the parent gets the
// rest intact and in order, and no spill file is left behind — the dead
// getter's files died with it.
func TestQueueSpillConsumerKilled(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	const n = 300
	q, err := NewJoinableQueue[queueTestItem](0, WithBufferSize(8192)) // room for 341 spill records
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	for i := range n {
		if err := q.Put(ctx, newQueueTestItem(0, i, 9000)); err != nil {
			t.Fatal(err)
		}
	}
	if files := spillFiles(t, q.r); len(files) != n {
		t.Fatalf("%d spill files, want %d", len(files), n)
	}
	progress, err := NewRawValue[int64](0)
	if err != nil {
		t.Fatal(err)
	}
	defer progress.Close()
	c := startChild(t, queueConsumer, queueWorkArg{Q: q, Progress: progress})
	for progress.Load() < 50 && ctx.Err() == nil {
		time.Sleep(time.Millisecond)
	}
	c.Kill()
	c.Join(ctx)
	taken := int(progress.Load())
	next := -1
	for {
		it, err := q.TryGet()
		if errors.Is(err, queue.ErrEmpty) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if err := it.check(); err != nil {
			t.Fatal(err)
		}
		if next >= 0 && it.Seq != next {
			t.Fatalf("item %d after item %d", it.Seq, next-1)
		}
		next = it.Seq + 1
	}
	if next >= 0 && next != n {
		t.Fatalf("the queue ended at item %d, want %d", next, n)
	}
	if files := spillFiles(t, q.r); len(files) != 0 {
		t.Fatalf("%d spill files left after the drain", len(files))
	}
	t.Logf("the consumer was killed after %d items; the rest arrived and no file was left", taken)
}
