package server

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"
)

// runUntil runs a server and returns a function that shuts it down and
// waits for Run to return.
func runUntil(t *testing.T, cfg Config) (*Server, *Client, func()) {
	t.Helper()
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	stopped := false
	stop := func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	}
	t.Cleanup(stop)
	return s, &Client{BaseURL: "http://" + s.Addr(), Token: cfg.Token}, stop
}

func TestGracefulShutdownFinishesOrRequeues(t *testing.T) {
	cfg := testConfig(t)
	cfg.DrainTimeout = Duration(300 * time.Millisecond)
	t.Setenv(crashLogEnv, t.TempDir()+"/log")
	_, c, stop := runUntil(t, cfg)
	short := submit(t, c, JobRequest{Function: "test.work", Args: json.RawMessage(`{"token":"drain","ms":100}`)})
	long := submit(t, c, JobRequest{Function: "test.block"})
	waitState(t, c, short.ID, Running)
	waitState(t, c, long.ID, Running)
	stop() // the short job finishes within the drain; the long one is stopped and re-queued

	_, c, _ = runUntil(t, cfg)
	ctx := context.Background()
	if j, err := c.Get(ctx, short.ID); err != nil || j.State != Succeeded {
		t.Errorf("short job after shutdown: %+v %v", j, err)
	}
	j := waitState(t, c, long.ID, Running) // running again on the restarted node
	if j.Attempts != 1 {
		t.Errorf("the interrupted attempt was counted: %+v", j)
	}
	c.Cancel(ctx, long.ID)
	if j := waitJob(t, c, long.ID); j.State != Cancelled {
		t.Errorf("long job %+v", j)
	}
}

// A worker node — no API, its own slots — takes jobs from the server's
// embedded NATS through an authenticated listener.
func TestRemoteWorker(t *testing.T) {
	cfg := testConfig(t)
	cfg.MaxThreads, cfg.MaxProcesses, cfg.MaxCommands = 0, 0, 0 // the server runs nothing itself
	cfg.NATSListen = "127.0.0.1:0"
	cfg.NATSToken = "nats-secret"
	s, c := startServer(t, cfg)

	wcfg := testConfig(t)
	wcfg.Listen = ""
	wcfg.Node = "remote"
	wcfg.NATSURL = "nats://" + s.NATSAddr()
	wcfg.NATSToken = "wrong"
	if _, err := New(wcfg); err == nil {
		t.Fatal("a worker with the wrong NATS token connected")
	}
	wcfg.NATSToken = "nats-secret"
	startServer(t, wcfg)

	j := waitJob(t, c, submit(t, c, JobRequest{Function: "test.add", Args: json.RawMessage(`{"X":3,"Y":4}`)}).ID)
	if j.State != Succeeded || j.Worker != "remote" || string(j.Result) != "7" {
		t.Errorf("job %+v", j)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		var out struct{ Workers []NodeInfo }
		if err := c.do(context.Background(), "GET", "/workers", nil, &out); err != nil {
			t.Fatal(err)
		}
		names := []string{}
		for _, n := range out.Workers {
			names = append(names, n.Node)
		}
		if strings.Join(names, ",") == "remote,test" {
			if out.Workers[0].Modes[Thread].Slots != 8 || out.Workers[0].API != "" {
				t.Errorf("worker entry %+v", out.Workers[0])
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("workers %v", names)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestRefusedConfigurations(t *testing.T) {
	base := testConfig(t)
	for name, mutate := range map[string]func(*Config){
		"API beyond loopback without a token":  func(c *Config) { c.Listen = "0.0.0.0:0" },
		"API on all interfaces without token":  func(c *Config) { c.Listen = ":8000" },
		"NATS beyond loopback without a token": func(c *Config) { c.NATSListen = "0.0.0.0:0" },
		"nats and nats-listen":                 func(c *Config) { c.NATSURL = "nats://x"; c.NATSListen = "127.0.0.1:0" },
		"command without a program":            func(c *Config) { c.Commands = map[string]CommandSpec{"x": {}} },
		"bad command name":                     func(c *Config) { c.Commands = map[string]CommandSpec{"a b": {Argv: []string{"ls"}}} },
		"no body":                              func(c *Config) { c.MaxBodyBytes = 0 },
		"short ack wait":                       func(c *Config) { c.AckWait = Duration(time.Millisecond) },
		"backoff max below base":               func(c *Config) { c.BackoffMax = c.BackoffBase / 2 },
	} {
		cfg := base
		mutate(&cfg)
		if s, err := New(cfg); err == nil {
			s.Close()
			t.Errorf("%s: accepted", name)
		}
	}
	// With a token, listening beyond loopback is allowed.
	cfg := base
	cfg.Listen, cfg.Token = "0.0.0.0:0", "t"
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
}

func TestReadinessAndMetrics(t *testing.T) {
	s, c := startServer(t, testConfig(t))
	base := "http://" + s.Addr()
	deadline := time.Now().Add(10 * time.Second)
	for {
		status, _, _ := rawRequest(t, "GET", base+"/readyz", "", "")
		if status == 200 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("not ready: %d", status)
		}
		time.Sleep(5 * time.Millisecond)
	}
	waitJob(t, c, submit(t, c, JobRequest{Function: "test.noop"}).ID)
	// The attempt is counted just after its outcome is recorded: poll.
	for _, want := range []string{
		`concur_jobs_submitted_total{mode="thread"} 1`,
		`concur_attempts_total{mode="thread",state="succeeded"} 1`,
		`concur_queue_pending{mode="thread",priority="high"} 0`,
		`concur_http_requests_total{code="201",route="POST /jobs"} 1`,
		`concur_http_requests_total{code="200",route="GET /readyz"}`,
	} {
		for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(5 * time.Millisecond) {
			_, _, body := rawRequest(t, "GET", base+"/metrics", "", "")
			if strings.Contains(string(body), want) {
				break
			}
			if time.Now().After(deadline) {
				t.Errorf("metrics lack %s", want)
				break
			}
		}
	}
	var body []byte
	_, _, body = rawRequest(t, "GET", base+"/queues", "", "")
	var q struct{ Modes map[Mode]QueueInfo }
	if json.Unmarshal(body, &q) != nil || q.Modes[Thread].Pending == nil {
		t.Errorf("queues %s", body)
	}
	_, _, body = rawRequest(t, "GET", base+"/functions", "", "")
	if !strings.Contains(string(body), `"test.noop"`) {
		t.Errorf("functions %s", body)
	}
}

// A job running longer than AckWait keeps its message by heartbeats: it is
// not redelivered — to the idle second node, say — nor presumed lost.
func TestHeartbeatKeepsLongJob(t *testing.T) {
	cfg := testConfig(t)
	cfg.AckWait = Duration(500 * time.Millisecond)
	cfg.NATSListen = "127.0.0.1:0"
	t.Setenv(crashLogEnv, t.TempDir()+"/log")
	s, c := startServer(t, cfg)
	wcfg := testConfig(t)
	wcfg.Listen, wcfg.Node, wcfg.NATSURL = "", "second", "nats://"+s.NATSAddr()
	startServer(t, wcfg)
	j := waitJob(t, c, submit(t, c, JobRequest{Function: "test.work", Args: json.RawMessage(`{"token":"long","ms":1600}`), Retries: intp(3)}).ID)
	if j.State != Succeeded || j.Attempts != 1 {
		t.Errorf("job %+v %+v", j, j.Error)
	}
}

// Finished jobs older than Retention are deleted, and event streams say so.
func TestRetention(t *testing.T) {
	cfg := testConfig(t)
	cfg.Retention = Duration(100 * time.Millisecond)
	s, c := startServer(t, cfg)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", "http://"+s.Addr()+"/events", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	j := submit(t, c, JobRequest{Function: "test.noop"})
	for ev, err := range readEvents(resp.Body) {
		if err != nil {
			t.Fatal(err)
		}
		if ev.name == "deleted" && strings.Contains(string(ev.data), j.ID) {
			break
		}
	}
	if _, err := c.Get(ctx, j.ID); !isAPIError(err, 404, "not_found") {
		t.Errorf("expired job: %v", err)
	}
}
