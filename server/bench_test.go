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
			b.Run("serial", func(b *testing.B) { benchJobs(b, c, done, 1) })
			b.Run("parallel", func(b *testing.B) { benchJobs(b, c, done, 16) })
		})
	}
}

// benchJobs submits b.N no-op jobs from workers goroutines, each waiting
// for its job to complete before submitting the next.
func benchJobs(b *testing.B, c *Client, done *waiter, workers int) {
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
				j, err := c.Submit(context.Background(), JobRequest{Function: "test.noop"})
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
