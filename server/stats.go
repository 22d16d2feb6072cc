package server

import (
	"math"
	"sync"
	"time"
)

// statsWindow is how many seconds of history GET /stats can return.
const statsWindow = 600

// stats keeps per-second throughput and latency of the whole deployment,
// as the job index sees records change, for the dashboard's charts.
// Latencies go into log-scale histograms (two buckets per octave, so a
// percentile is accurate within about 20%) to keep memory flat at any rate.
type stats struct {
	mu    sync.Mutex
	slots [statsWindow]statSlot
}

const histBuckets = 64 // 2^(i/2) µs: 1 µs … ~50 min

type histogram [histBuckets]uint32

func (h *histogram) add(d time.Duration) {
	us := float64(d) / float64(time.Microsecond)
	i := 0
	if us > 1 {
		i = min(int(2*math.Log2(us)), histBuckets-1)
	}
	h[i]++
}

// quantile returns the q-quantile in milliseconds, or nil if empty.
func (h *histogram) quantile(q float64) *float64 {
	var total uint32
	for _, n := range h {
		total += n
	}
	if total == 0 {
		return nil
	}
	rank := uint32(math.Ceil(q * float64(total)))
	var seen uint32
	for i, n := range h {
		seen += n
		if seen >= max(rank, 1) {
			ms := math.Exp2((float64(i)+0.5)/2) / 1000 // the bucket's geometric middle
			return &ms
		}
	}
	return nil
}

type statSlot struct {
	sec                                               int64 // the Unix second the slot holds
	submitted, succeeded, failed, cancelled, retrying int
	latency, run                                      histogram
}

// StatsPoint is one second of GET /stats. Latency is from submission to
// the end of the job; run time is the last attempt's. Percentiles are in
// milliseconds, null in a second when no job finished.
type StatsPoint struct {
	Time       int64    `json:"t"` // Unix seconds
	Submitted  int      `json:"submitted"`
	Succeeded  int      `json:"succeeded"`
	Failed     int      `json:"failed"`
	Cancelled  int      `json:"cancelled"`
	Retrying   int      `json:"retrying"` // attempts that failed and will be retried
	LatencyP50 *float64 `json:"latency_p50_ms"`
	LatencyP99 *float64 `json:"latency_p99_ms"`
	RunP50     *float64 `json:"run_p50_ms"`
	RunP99     *float64 `json:"run_p99_ms"`
}

func (s *stats) slot(now time.Time) *statSlot {
	sec := now.Unix()
	sl := &s.slots[sec%statsWindow]
	if sl.sec != sec {
		*sl = statSlot{sec: sec}
	}
	return sl
}

// observe records a job's change from prev (nil for a new job) to j.
func (s *stats) observe(prev, j *Job, now time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sl := s.slot(now)
	switch {
	case prev == nil:
		if !j.State.Final() {
			sl.submitted++
		}
	case !prev.State.Final() && j.State.Final():
		switch j.State {
		case Succeeded:
			sl.succeeded++
		case Failed:
			sl.failed++
		case Cancelled:
			sl.cancelled++
		}
		sl.latency.add(j.FinishedAt.Sub(j.CreatedAt))
		if !j.StartedAt.IsZero() {
			sl.run.add(j.FinishedAt.Sub(j.StartedAt))
		}
	case prev.State != Retrying && j.State == Retrying:
		sl.retrying++
	}
}

// series returns the last n seconds up to now, oldest first.
func (s *stats) series(n int, now time.Time) []StatsPoint {
	s.mu.Lock()
	defer s.mu.Unlock()
	n = min(max(n, 1), statsWindow)
	out := make([]StatsPoint, n)
	end := now.Unix()
	for i := range out {
		sec := end - int64(n-1-i)
		p := StatsPoint{Time: sec}
		if sl := &s.slots[sec%statsWindow]; sl.sec == sec {
			p.Submitted, p.Succeeded, p.Failed, p.Cancelled, p.Retrying = sl.submitted, sl.succeeded, sl.failed, sl.cancelled, sl.retrying
			p.LatencyP50, p.LatencyP99 = sl.latency.quantile(0.5), sl.latency.quantile(0.99)
			p.RunP50, p.RunP99 = sl.run.quantile(0.5), sl.run.quantile(0.99)
		}
		out[i] = p
	}
	return out
}
