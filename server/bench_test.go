package server

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	natsserver "github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/concurgo/concur/process"
)

// The benchmarks measure a no-op thread job from submission over HTTP on
// loopback to its completion, against the floor beneath it: a raw
// embedded-JetStream publish + fetch + ack loop on the same kind of store.
// Both run with every write fsynced (the server's default) and with a 1 s
// fsync interval. Compare jobs/s of
//
//	BenchmarkServerJobs/<sync>/serial   vs  BenchmarkRawJetStream/<sync>/serial
//	BenchmarkServerJobs/<sync>/parallel vs  BenchmarkRawJetStream/<sync>/parallel
//
// submit-p50-µs and submit-p99-µs are the latency of POST /jobs alone.

var syncModes = []struct {
	name     string
	interval Duration
}{{"fsync-always", 0}, {"fsync-1s", Duration(time.Second)}}

func BenchmarkServerJobs(b *testing.B) {
	for _, sm := range syncModes {
		b.Run(sm.name, func(b *testing.B) {
			cfg := testConfig(b)
			cfg.SyncInterval = sm.interval
			cfg.MaxThreads = 16
			s, c := startServer(b, cfg)
			done := completions(b, s)
			b.Run("serial", func(b *testing.B) { benchJobs(b, c, done, 1, noop) })
			b.Run("parallel", func(b *testing.B) { benchJobs(b, c, done, 16, noop) })
		})
	}
}

var noop = JobRequest{Function: "test.noop"}

// BenchmarkProcessJobs measures no-op process-mode jobs, submission to
// completion, on the process runner as it was (fresh-child: process.Run
// starts a child per attempt) and on the pool: with a fresh worker per job
// (-max-tasks-per-child 1), and warm (the default). The store fsyncs every
// second, so that the process is what the runners differ by. Compare
// jobs/s of warm and fresh-child.
func BenchmarkProcessJobs(b *testing.B) {
	for _, rc := range []struct {
		name     string
		maxTasks int
		fresh    bool
	}{{"fresh-child", 0, true}, {"max-tasks-1", 1, false}, {"warm", 0, false}} {
		b.Run(rc.name, func(b *testing.B) {
			cfg := testConfig(b)
			cfg.SyncInterval = Duration(time.Second)
			cfg.MaxProcesses = 4
			cfg.MaxTasksPerChild = rc.maxTasks
			s, err := New(cfg)
			if err != nil {
				b.Fatal(err)
			}
			if rc.fresh {
				for _, l := range s.eng.lanes {
					if l.mode == Process {
						l.runner = freshRunner{}
					}
				}
			}
			ctx, cancel := context.WithCancel(context.Background())
			stopped := make(chan error, 1)
			go func() { stopped <- s.Run(ctx) }()
			b.Cleanup(func() {
				cancel()
				if err := <-stopped; err != nil {
					b.Errorf("Run: %v", err)
				}
			})
			c := &Client{BaseURL: "http://" + s.Addr()}
			done := completions(b, s)
			req := JobRequest{Function: "test.noop", Mode: Process}
			b.Run("serial", func(b *testing.B) { benchJobs(b, c, done, 1, req) })
			b.Run("parallel", func(b *testing.B) { benchJobs(b, c, done, 8, req) })
		})
	}
}

// freshRunner is process mode before the pool: every attempt in a child
// process of its own, started by process.Run and reaped before it returns.
type freshRunner struct{}

func (freshRunner) run(ctx context.Context, r *record) (json.RawMessage, error) {
	out, err := process.Run(ctx, lookup(r.Function).proc, []byte(r.Args))
	return settleProcess(ctx, out, err)
}

// benchJobs submits b.N jobs req from workers goroutines, each waiting
// for its job to complete before submitting the next.
func benchJobs(b *testing.B, c *Client, done *waiter, workers int, req JobRequest) {
	var (
		mu   sync.Mutex
		lats []time.Duration
		next = make(chan struct{}, b.N)
		wg   sync.WaitGroup
	)
	for range b.N {
		next <- struct{}{}
	}
	close(next)
	b.ResetTimer()
	start := time.Now()
	for range workers {
		wg.Go(func() {
			var mine []time.Duration
			for range next {
				t0 := time.Now()
				j, err := c.Submit(context.Background(), req)
				mine = append(mine, time.Since(t0))
				if err != nil {
					b.Error(err)
					return
				}
				done.wait(j.ID)
			}
			mu.Lock()
			lats = append(lats, mine...)
			mu.Unlock()
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	slices.Sort(lats)
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "jobs/s")
	b.ReportMetric(float64(lats[len(lats)/2].Microseconds()), "submit-p50-µs")
	b.ReportMetric(float64(lats[len(lats)*99/100].Microseconds()), "submit-p99-µs")
}

// waiter learns of finished jobs from one GET /events stream.
type waiter struct {
	mu      sync.Mutex
	done    map[string]bool
	waiting map[string]chan struct{}
}

func completions(b *testing.B, s *Server) *waiter {
	w := &waiter{done: map[string]bool{}, waiting: map[string]chan struct{}{}}
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, "GET", "http://"+s.Addr()+"/events?state=succeeded", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	stopped := make(chan struct{})
	b.Cleanup(func() {
		cancel()
		<-stopped
	})
	go func() {
		defer close(stopped)
		defer resp.Body.Close()
		for ev, err := range readEvents(resp.Body) {
			if err != nil {
				return
			}
			var j Job
			if json.Unmarshal(ev.data, &j) != nil {
				continue
			}
			w.mu.Lock()
			w.done[j.ID] = true
			if ch := w.waiting[j.ID]; ch != nil {
				close(ch)
				delete(w.waiting, j.ID)
			}
			w.mu.Unlock()
		}
	}()
	return w
}

func (w *waiter) wait(id string) {
	w.mu.Lock()
	if w.done[id] {
		w.mu.Unlock()
		return
	}
	ch := make(chan struct{})
	w.waiting[id] = ch
	w.mu.Unlock()
	<-ch
}

// BenchmarkRawJetStream is the floor: an embedded JetStream work queue,
// publish, fetch one, ack (confirmed), with no HTTP, no record, no
// judgement.
func BenchmarkRawJetStream(b *testing.B) {
	for _, sm := range syncModes {
		b.Run(sm.name, func(b *testing.B) {
			ns, err := natsserver.NewServer(&natsserver.Options{
				JetStream: true, StoreDir: b.TempDir(), DontListen: true, NoSigs: true, NoLog: true,
				SyncAlways: sm.interval == 0, SyncInterval: time.Duration(sm.interval),
			})
			if err != nil {
				b.Fatal(err)
			}
			ns.Start()
			ns.ReadyForConnections(10 * time.Second)
			defer func() {
				ns.Shutdown()
				ns.WaitForShutdown()
			}()
			nc, err := nats.Connect("", nats.InProcessServer(ns))
			if err != nil {
				b.Fatal(err)
			}
			defer nc.Close()
			js, _ := jetstream.New(nc)
			ctx := context.Background()
			if _, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: "RAW", Subjects: []string{"raw.>"},
				Retention: jetstream.WorkQueuePolicy, Storage: jetstream.FileStorage}); err != nil {
				b.Fatal(err)
			}
			cons, err := js.CreateConsumer(ctx, "RAW", jetstream.ConsumerConfig{Durable: "w", AckPolicy: jetstream.AckExplicitPolicy})
			if err != nil {
				b.Fatal(err)
			}
			loop := func(b *testing.B, workers int) {
				var next = make(chan struct{}, b.N)
				for range b.N {
					next <- struct{}{}
				}
				close(next)
				b.ResetTimer()
				start := time.Now()
				var wg sync.WaitGroup
				for range workers {
					wg.Go(func() {
						for range next {
							if _, err := js.Publish(ctx, "raw.job", []byte(`{"id":"x","t":1}`)); err != nil {
								b.Error(err)
								return
							}
							batch, err := cons.Fetch(1)
							if err != nil {
								b.Error(err)
								return
							}
							for m := range batch.Messages() {
								m.DoubleAck(ctx)
							}
						}
					})
				}
				wg.Wait()
				b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "jobs/s")
			}
			b.Run("serial", func(b *testing.B) { loop(b, 1) })
			b.Run("parallel", func(b *testing.B) { loop(b, 16) })
		})
	}
}
