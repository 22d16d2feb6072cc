package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net"
	"net/http"
	"net/url"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// Server is a concur node: with Config.Listen set, the HTTP job API plus a
// worker; without, a worker only. Create it with New and start it with
// Run, which returns after a graceful shutdown.
type Server struct {
	cfg   Config
	log   *slog.Logger
	st    *store
	eng   *engine
	met   *metrics
	ann   *announcer
	idx   *index // nil on a worker
	stats *stats // nil on a worker

	ln      net.Listener // nil on a worker
	http    *http.Server
	closing chan struct{} // closed when shutdown begins: ends event streams
	ready   atomic.Bool   // serving and not draining

	closeOnce sync.Once
}

// New checks cfg, opens the job store (starting the embedded NATS server
// unless cfg.NATSURL names one) and binds the API's listener, so that
// every start-up error — a bad setting, an API beyond loopback without a
// token, a port in use — is reported here. Call Run next, or Close.
func New(cfg Config) (*Server, error) {
	if err := cfg.validate(); err != nil {
		return nil, fmt.Errorf("server: bad configuration:\n%w", err)
	}
	s := &Server{cfg: cfg, log: cfg.Logger, met: newMetrics(), closing: make(chan struct{})}
	if s.log == nil {
		s.log = slog.Default()
	}
	if cfg.NATSURL == "" {
		if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
			return nil, fmt.Errorf("server: data dir: %w", err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	owner := cfg.Listen != "" || cfg.NATSURL == ""
	st, err := openStore(ctx, &s.cfg, owner)
	if err != nil {
		return nil, fmt.Errorf("server: %w", err)
	}
	s.st = st
	s.eng = newEngine(&s.cfg, st, s.log, s.met)
	apiAddr := ""
	if cfg.Listen != "" {
		if s.ln, err = net.Listen("tcp", cfg.Listen); err != nil {
			st.close()
			return nil, fmt.Errorf("server: %w", err)
		}
		apiAddr = s.ln.Addr().String()
		s.stats = new(stats)
		s.idx = newIndex(s.log, s.stats)
		s.met.reg.MustRegister(newClusterCollector(s.idx, st))
		s.http = &http.Server{
			Handler:           s.handler(),
			ReadHeaderTimeout: 10 * time.Second,
			ReadTimeout:       time.Minute, // the request, body included; responses (event streams) may last
			IdleTimeout:       2 * time.Minute,
			ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
		}
	}
	s.ann = newAnnouncer(st.nodes, &s.cfg, apiAddr, s.eng.lanes)
	return s, nil
}

// Addr returns the API's address (useful after listening on port 0), or ""
// on a worker.
func (s *Server) Addr() string {
	if s.ln == nil {
		return ""
	}
	return s.ln.Addr().String()
}

// NATSAddr returns where remote workers reach the embedded NATS server
// (Config.NATSListen), or "".
func (s *Server) NATSAddr() string { return s.st.natsAddr() }

// Run serves until ctx is done, then shuts down gracefully: it stops
// answering the API and taking jobs, lets running jobs finish for up to
// Config.DrainTimeout, stops the rest and puts them back in the queue, and
// closes the store. It returns nil after a shutdown that ctx asked for.
func (s *Server) Run(ctx context.Context) error {
	defer s.Close()
	bg, stopBG := context.WithCancel(context.Background())
	var bgWG sync.WaitGroup
	defer func() {
		stopBG()
		bgWG.Wait()
	}()

	serveErr := make(chan error, 1)
	if s.idx != nil {
		bgWG.Go(func() {
			if err := s.idx.watch(bg, s.st.jobs); err != nil && bg.Err() == nil {
				s.log.Error("job index stopped", "err", err)
			}
		})
		bgWG.Go(func() { s.sweep(bg) })
		go func() { serveErr <- s.http.Serve(s.ln) }()
	}
	if s.idx != nil && s.st.ns != nil && s.cfg.NATSListen == "" {
		s.recoverOrphans()
	}
	if err := s.eng.start(); err != nil {
		return fmt.Errorf("server: %w", err)
	}
	annCtx, stopAnn := context.WithCancel(context.Background())
	annDone := make(chan struct{})
	go func() {
		defer close(annDone)
		s.ann.run(annCtx)
	}()
	s.ready.Store(true)
	if s.cfg.NATSURL != "" { // an external NATS: no embedded server, no data directory of ours
		s.log.Info("concur node started", "node", s.cfg.Node, "api", s.Addr(), "nats_url", redactURL(s.cfg.NATSURL))
	} else {
		s.log.Info("concur node started", "node", s.cfg.Node, "api", s.Addr(), "nats", s.NATSAddr(), "data_dir", s.cfg.DataDir)
	}

	var err error
	select {
	case <-ctx.Done():
	case err = <-serveErr:
		err = fmt.Errorf("server: %w", err)
	}
	s.log.Info("shutting down: draining running jobs", "node", s.cfg.Node, "drain_timeout", time.Duration(s.cfg.DrainTimeout))
	s.ready.Store(false)
	close(s.closing)
	dctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	s.ann.draining(dctx)
	cancel()
	if s.http != nil {
		hctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		if serr := s.http.Shutdown(hctx); serr != nil {
			s.http.Close()
		}
		cancel()
	}
	s.eng.stop()
	stopAnn()
	<-annDone
	s.log.Info("concur node stopped", "node", s.cfg.Node)
	return err
}

// Close releases a Server that Run did not release: the listener, the
// store and the embedded NATS server. Run calls it on its way out.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		if s.ln != nil {
			s.ln.Close()
		}
		s.st.close()
	})
	return nil
}

// sweep deletes finished jobs older than Config.Retention, and now and then
// the delete markers that deleting leaves. Every server node sweeps; the
// deletes are compare-and-swap, so two sweepers never remove a job one of
// them has not seen finished.
func (s *Server) sweep(ctx context.Context) {
	t := time.NewTicker(min(time.Minute, max(time.Duration(s.cfg.Retention)/4, 10*time.Millisecond)))
	defer t.Stop()
	for n := 0; ; n++ {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		for id, rev := range s.idx.expired(time.Now().Add(-time.Duration(s.cfg.Retention))) {
			err := s.st.jobs.Delete(ctx, id, jetstream.LastRevision(rev))
			if err != nil && !errors.Is(err, jetstream.ErrKeyExists) && ctx.Err() == nil {
				s.log.Warn("deleting expired job", "job", id, "err", err)
			}
		}
		if n%10 == 9 {
			s.st.jobs.PurgeDeletes(ctx)
		}
	}
}

// recoverOrphans settles at once the attempts that a previous life of this
// node left running — it was killed — instead of after AckWait, when their
// messages come back. Only a node with the embedded store and no NATS
// listener may: no other node can reach that store, so every attempt it
// shows running is an orphan. The job goes back in line under a new ticket
// (or fails, if its retries are spent); the old message is stale when it
// returns.
func (s *Server) recoverOrphans() {
	if s.waitIndex(context.Background()) != nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	jobs, _, _ := s.idx.list(&query{states: []State{Running}}, "", math.MaxInt)
	now := time.Now()
	for _, j := range jobs {
		_, err := s.st.updateEnqueue(ctx, j.ID, func(r *record) error {
			if r == nil || r.State != Running {
				return errNoChange
			}
			r.lose(now, s.eng.backoff)
			r.Ticket++
			return nil
		})
		if err != nil && !errors.Is(err, errNoChange) {
			s.log.Warn("settling an attempt lost in a crash", "job", j.ID, "err", err)
		}
	}
	if len(jobs) > 0 {
		s.log.Info("settled attempts lost when this node last stopped", "jobs", len(jobs))
	}
}

// redactURL hides the password or token in a NATS URL, for logs.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable URL)"
	}
	if u.User != nil {
		if _, hasPassword := u.User.Password(); !hasPassword {
			u.User = url.User("xxxxx") // a bare token
		}
	}
	return u.Redacted()
}
