package server

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"time"

	natsserver "github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Names in JetStream. Every node of a deployment uses the same ones.
const (
	streamName    = "CONCUR_JOBS"
	subjectPrefix = "concur.jobs."  // + mode + "." + priority
	cancelSubject = "concur.cancel" // body: job ID; every node stops the job if it runs it
	wakePrefix    = "concur.wake."  // + mode + "." + priority: a job was enqueued
	jobsBucket    = "concur_jobs"
	nodesBucket   = "concur_nodes"
	// dedupeWindow is how long JetStream remembers a Nats-Msg-Id: a
	// resubmission with the same idempotency key inside it does not
	// enqueue a second message even if the first submit crashed midway.
	dedupeWindow = 2 * time.Minute
	// embeddedMaxPayload lifts NATS's 1 MiB message limit for the embedded
	// server, so that a record holding 1 MiB of args and a result fits.
	embeddedMaxPayload = 8 << 20
)

func jobSubject(m Mode, p Priority) string { return subjectPrefix + string(m) + "." + string(p) }

func wakeSubject(m Mode, p Priority) string { return wakePrefix + string(m) + "." + string(p) }

func consumerName(m Mode, p Priority) string { return "jobs-" + string(m) + "-" + string(p) }

// store is a node's connection to JetStream: the job queue (one stream,
// one durable work-queue consumer per mode and priority) and the KV buckets
// of job records and live nodes.
type store struct {
	ns        *natsserver.Server // the embedded server; nil with an external one
	nc        *nats.Conn
	js        jetstream.JetStream
	jobs      jetstream.KeyValue
	nodes     jetstream.KeyValue
	consumers map[Mode]map[Priority]jetstream.Consumer
	// ackWait is the consumers' AckWait as JetStream has it — the owner's
	// setting, which may differ from a worker's own Config — and so what
	// heartbeats must beat.
	ackWait time.Duration
	closed  chan struct{} // closed when nc is closed
}

// openStore connects to NATS — starting the embedded server unless
// cfg.NATSURL names one — and makes sure the stream, consumers and buckets
// exist. owner says whether this node may (re)configure them: a server
// does, a worker only creates what is missing, so that a worker's defaults
// never override the server's settings.
func openStore(ctx context.Context, cfg *Config, owner bool) (st *store, err error) {
	st = &store{closed: make(chan struct{})}
	defer func() {
		if err != nil {
			st.close()
		}
	}()
	opts := []nats.Option{
		nats.Name("concur " + cfg.Node),
		nats.MaxReconnects(-1),
		nats.ClosedHandler(func(*nats.Conn) { close(st.closed) }),
	}
	if cfg.NATSURL == "" {
		if st.ns, err = startEmbedded(cfg); err != nil {
			return st, err
		}
		opts = append(opts, nats.InProcessServer(st.ns))
		if cfg.NATSToken != "" {
			opts = append(opts, nats.Token(cfg.NATSToken))
		}
		st.nc, err = nats.Connect("", opts...)
	} else {
		u, perr := url.Parse(cfg.NATSURL)
		if perr == nil && u.User == nil && cfg.NATSToken != "" {
			opts = append(opts, nats.Token(cfg.NATSToken))
		}
		st.nc, err = nats.Connect(cfg.NATSURL, opts...)
	}
	if err != nil {
		return st, fmt.Errorf("connecting to NATS: %w", err)
	}
	if st.js, err = jetstream.New(st.nc); err != nil {
		return st, err
	}
	stream := jetstream.StreamConfig{
		Name:       streamName,
		Subjects:   []string{subjectPrefix + ">"},
		Retention:  jetstream.WorkQueuePolicy,
		Storage:    jetstream.FileStorage,
		Duplicates: dedupeWindow,
	}
	if owner {
		_, err = st.js.CreateOrUpdateStream(ctx, stream)
	} else {
		_, err = st.js.CreateStream(ctx, stream)
		if errors.Is(err, jetstream.ErrStreamNameAlreadyInUse) {
			err = nil
		}
	}
	if err != nil {
		return st, fmt.Errorf("job stream: %w", err)
	}
	st.consumers = make(map[Mode]map[Priority]jetstream.Consumer)
	for _, m := range modes {
		st.consumers[m] = make(map[Priority]jetstream.Consumer)
		for _, p := range priorities {
			cc := jetstream.ConsumerConfig{
				Durable:       consumerName(m, p),
				FilterSubject: jobSubject(m, p),
				AckPolicy:     jetstream.AckExplicitPolicy,
				AckWait:       time.Duration(cfg.AckWait),
				// Attempts are counted in the job record, not by JetStream:
				// a delayed job or a retry waits as a nak'd message, which
				// must never run out of deliveries nor fill a pending cap.
				MaxDeliver:    -1,
				MaxAckPending: -1,
			}
			var c jetstream.Consumer
			if owner {
				c, err = st.js.CreateOrUpdateConsumer(ctx, streamName, cc)
			} else if c, err = st.js.Consumer(ctx, streamName, cc.Durable); errors.Is(err, jetstream.ErrConsumerNotFound) {
				c, err = st.js.CreateConsumer(ctx, streamName, cc)
			}
			if err != nil {
				return st, fmt.Errorf("consumer %s: %w", cc.Durable, err)
			}
			st.consumers[m][p] = c
			if w := c.CachedInfo().Config.AckWait; st.ackWait == 0 || w < st.ackWait {
				st.ackWait = w
			}
		}
	}
	st.jobs, err = st.js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{
		Bucket:  jobsBucket,
		History: 1,
		Storage: jetstream.FileStorage,
	})
	if err != nil {
		return st, fmt.Errorf("jobs bucket: %w", err)
	}
	st.nodes, err = st.js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{
		Bucket:  nodesBucket,
		History: 1,
		TTL:     nodeTTL,
		Storage: jetstream.MemoryStorage,
	})
	if err != nil {
		return st, fmt.Errorf("nodes bucket: %w", err)
	}
	return st, nil
}

func startEmbedded(cfg *Config) (*natsserver.Server, error) {
	opts := &natsserver.Options{
		ServerName:   "concur",
		JetStream:    true,
		StoreDir:     cfg.DataDir,
		NoSigs:       true,
		NoLog:        true,
		MaxPayload:   embeddedMaxPayload,
		SyncAlways:   cfg.SyncInterval == 0,
		SyncInterval: time.Duration(cfg.SyncInterval),
		DontListen:   cfg.NATSListen == "",
	}
	if cfg.NATSListen != "" {
		host, port, err := net.SplitHostPort(cfg.NATSListen)
		if err != nil {
			return nil, err
		}
		if opts.Port, err = strconv.Atoi(port); err != nil {
			return nil, fmt.Errorf("nats-listen port %q: %v", port, err)
		}
		opts.Host = host
		opts.Authorization = cfg.NATSToken
	}
	ns, err := natsserver.NewServer(opts)
	if err != nil {
		return nil, fmt.Errorf("embedded NATS: %w", err)
	}
	ns.Start()
	if !ns.ReadyForConnections(10 * time.Second) {
		ns.Shutdown()
		return nil, errors.New("embedded NATS did not start within 10s")
	}
	return ns, nil
}

// natsAddr is where remote workers reach the embedded server, or "".
func (st *store) natsAddr() string {
	if st.ns == nil {
		return ""
	}
	if a, ok := st.ns.Addr().(*net.TCPAddr); ok {
		return a.String()
	}
	return ""
}

// close drains the connection (so acks and updates in flight are sent) and
// stops the embedded server, which flushes its store.
func (st *store) close() {
	if st.nc != nil {
		if st.nc.Drain() == nil {
			select {
			case <-st.closed:
			case <-time.After(10 * time.Second):
			}
		}
		st.nc.Close()
	}
	if st.ns != nil {
		st.ns.Shutdown()
		st.ns.WaitForShutdown()
	}
}
