package benchsuite

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	natsserver "github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/concurgo/concur/server"
	_ "github.com/concurgo/concur/server/demo" // the "square" job
)

// syncInterval is the embedded store's fsync interval in the server
// workload, for concur and baseline alike: with an fsync per write both
// would measure this machine's disk rather than the software.
const syncInterval = time.Second

func serverJobsWorkload() *Workload {
	return &Workload{
		ID: "server-jobs", Title: "concur serve: job submit+complete over HTTP", Unit: PerOp, Quick: true,
		Note: "one at a time: POST /jobs of the demo square(3) in thread mode, then wait for it to succeed (Client.Submit, Client.Wait), " +
			"on loopback, embedded JetStream fsyncing every second; baseline: a raw embedded-JetStream work queue, publish + fetch + ack, same store settings",
		Concur:   Impl{Name: "concur serve", Open: openServer},
		Baseline: &Impl{Name: "raw JetStream", Open: openRawJetStream},
	}
}

func openServer(ctx context.Context) (RunFunc, func() error, error) {
	dir, err := os.MkdirTemp("", "concur-bench-server-*")
	if err != nil {
		return nil, nil, err
	}
	cfg := server.DefaultConfig()
	cfg.Listen = "127.0.0.1:0"
	cfg.DataDir = dir
	cfg.SyncInterval = server.Duration(syncInterval)
	cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	s, err := server.New(cfg)
	if err != nil {
		os.RemoveAll(dir)
		return nil, nil, err
	}
	runCtx, stop := context.WithCancel(context.WithoutCancel(ctx))
	done := make(chan error, 1)
	go func() { done <- s.Run(runCtx) }()
	c := &server.Client{BaseURL: "http://" + s.Addr()}
	run := func(ctx context.Context, n int) (time.Duration, error) {
		return timed(func() error {
			for range n {
				j, err := c.Submit(ctx, server.JobRequest{Function: "square", Args: []byte("3")})
				if err != nil {
					return err
				}
				if j, err = c.Wait(ctx, j.ID); err != nil {
					return err
				}
				if j.State != server.Succeeded {
					return fmt.Errorf("job %s ended %s", j.ID, j.State)
				}
			}
			return nil
		})
	}
	return run, func() error {
		stop()
		return errors.Join(<-done, os.RemoveAll(dir))
	}, nil
}

func openRawJetStream(ctx context.Context) (RunFunc, func() error, error) {
	dir, err := os.MkdirTemp("", "concur-bench-jetstream-*")
	if err != nil {
		return nil, nil, err
	}
	ns, err := natsserver.NewServer(&natsserver.Options{
		JetStream: true, StoreDir: dir, DontListen: true, NoSigs: true, NoLog: true, SyncInterval: syncInterval,
	})
	if err != nil {
		os.RemoveAll(dir)
		return nil, nil, err
	}
	ns.Start()
	var nc *nats.Conn
	closeAll := func() error {
		if nc != nil {
			nc.Close()
		}
		ns.Shutdown()
		ns.WaitForShutdown()
		return os.RemoveAll(dir)
	}
	fail := func(err error) (RunFunc, func() error, error) { return nil, nil, errors.Join(err, closeAll()) }
	if !ns.ReadyForConnections(10 * time.Second) {
		return fail(errors.New("embedded NATS did not start"))
	}
	if nc, err = nats.Connect("", nats.InProcessServer(ns)); err != nil {
		return fail(err)
	}
	js, err := jetstream.New(nc)
	if err != nil {
		return fail(err)
	}
	if _, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: "RAW", Subjects: []string{"raw.>"},
		Retention: jetstream.WorkQueuePolicy, Storage: jetstream.FileStorage}); err != nil {
		return fail(err)
	}
	cons, err := js.CreateConsumer(ctx, "RAW", jetstream.ConsumerConfig{Durable: "w", AckPolicy: jetstream.AckExplicitPolicy})
	if err != nil {
		return fail(err)
	}
	run := func(ctx context.Context, n int) (time.Duration, error) {
		return timed(func() error {
			for range n {
				if _, err := js.Publish(ctx, "raw.job", []byte(`{"function":"square","args":3}`)); err != nil {
					return err
				}
				batch, err := cons.Fetch(1)
				if err != nil {
					return err
				}
				for m := range batch.Messages() {
					if err := m.DoubleAck(ctx); err != nil {
						return err
					}
				}
				if err := batch.Error(); err != nil {
					return err
				}
			}
			return nil
		})
	}
	return run, closeAll, nil
}
