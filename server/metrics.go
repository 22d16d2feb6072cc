package server

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// metrics is a node's Prometheus registry. Counters and the histogram are
// this node's own; concur_jobs and concur_queue_pending describe the whole
// deployment, read at scrape time from the job index and JetStream.
type metrics struct {
	reg       *prometheus.Registry
	submitted *prometheus.CounterVec
	attempts  *prometheus.CounterVec
	running   *prometheus.GaugeVec
	duration  *prometheus.HistogramVec
	requests  *prometheus.CounterVec
}

func newMetrics() *metrics {
	m := &metrics{
		reg: prometheus.NewRegistry(),
		submitted: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "concur_jobs_submitted_total",
			Help: "Jobs accepted by this node's API.",
		}, []string{"mode"}),
		attempts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "concur_attempts_total",
			Help: "Attempts this node ran, by the state they left the job in.",
		}, []string{"mode", "state"}),
		running: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "concur_attempts_running",
			Help: "Attempts running on this node.",
		}, []string{"mode"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "concur_attempt_duration_seconds",
			Help:    "Run time of attempts on this node.",
			Buckets: prometheus.ExponentialBuckets(0.0001, 4, 12), // 100µs … ~7 min
		}, []string{"mode"}),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "concur_http_requests_total",
			Help: "HTTP requests served, by route pattern and status code.",
		}, []string{"route", "code"}),
	}
	m.reg.MustRegister(m.submitted, m.attempts, m.running, m.duration, m.requests,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

func (m *metrics) attemptStarted(mode Mode) { m.running.WithLabelValues(string(mode)).Inc() }

func (m *metrics) attemptEnded(mode Mode, s State, d time.Duration) {
	m.running.WithLabelValues(string(mode)).Dec()
	m.attempts.WithLabelValues(string(mode), string(s)).Inc()
	m.duration.WithLabelValues(string(mode)).Observe(d.Seconds())
}

// instrument counts each request by the pattern that matched it.
func (m *metrics) instrument(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sw := &statusWriter{ResponseWriter: w, code: http.StatusOK}
		h.ServeHTTP(sw, r)
		route := r.Pattern
		if route == "" {
			route = "unmatched"
		}
		m.requests.WithLabelValues(route, strconv.Itoa(sw.code)).Inc()
	})
}

// statusWriter remembers the status code written through it.
type statusWriter struct {
	http.ResponseWriter
	code int
}

func (w *statusWriter) WriteHeader(code int) {
	w.code = code
	w.ResponseWriter.WriteHeader(code)
}

// Unwrap lets http.ResponseController reach Flush through the wrapper,
// which server-sent events need.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// clusterCollector reports the deployment-wide gauges at scrape time.
type clusterCollector struct {
	idx     *index
	st      *store
	jobs    *prometheus.Desc
	pending *prometheus.Desc
}

func newClusterCollector(idx *index, st *store) *clusterCollector {
	return &clusterCollector{
		idx: idx, st: st,
		jobs:    prometheus.NewDesc("concur_jobs", "Jobs kept, by mode and state.", []string{"mode", "state"}, nil),
		pending: prometheus.NewDesc("concur_queue_pending", "Queue messages not yet delivered to any node.", []string{"mode", "priority"}, nil),
	}
}

func (c *clusterCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.jobs
	ch <- c.pending
}

func (c *clusterCollector) Collect(ch chan<- prometheus.Metric) {
	for mode, byState := range c.idx.counts() {
		for state, n := range byState {
			ch <- prometheus.MustNewConstMetric(c.jobs, prometheus.GaugeValue, float64(n), string(mode), string(state))
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for mode, byPrio := range c.st.consumers {
		for prio, cons := range byPrio {
			info, err := cons.Info(ctx)
			if err != nil {
				continue
			}
			ch <- prometheus.MustNewConstMetric(c.pending, prometheus.GaugeValue, float64(info.NumPending), string(mode), string(prio))
		}
	}
}

func (m *metrics) handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}
