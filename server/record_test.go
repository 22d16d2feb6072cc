package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/concurgo/concur"
)

func TestJudge(t *testing.T) {
	now := time.Now()
	rec := func(s State, ticket, runSeq uint64, runAt time.Time) *record {
		return &record{Job: Job{State: s, RunAt: runAt}, Ticket: ticket, RunSeq: runSeq}
	}
	for _, tc := range []struct {
		name  string
		r     *record
		t     uint64
		seq   uint64
		want  verdict
		delay time.Duration
	}{
		{"no record yet", nil, 1, 5, wait, 0},
		{"queued", rec(Queued, 1, 0, now), 1, 5, run, 0},
		{"scheduled, due", rec(Scheduled, 1, 0, now.Add(-time.Second)), 1, 5, run, 0},
		{"scheduled, not due", rec(Scheduled, 1, 0, now.Add(time.Second)), 1, 5, wait, time.Second},
		{"retrying, not due", rec(Retrying, 1, 5, now.Add(time.Minute)), 1, 5, wait, time.Minute},
		{"retrying, due", rec(Retrying, 1, 5, now), 1, 5, run, 0},
		{"stale ticket", rec(Queued, 2, 0, now), 1, 5, drop, 0},
		{"record not updated yet", rec(Failed, 1, 0, now), 2, 5, wait, 0},
		{"finished", rec(Succeeded, 1, 5, now), 1, 5, drop, 0},
		{"cancelled", rec(Cancelled, 1, 0, now), 1, 5, drop, 0},
		{"its own attempt came back: lost", rec(Running, 1, 5, now), 1, 5, lost, 0},
		{"a duplicate while running", rec(Running, 1, 5, now), 1, 6, drop, 0},
	} {
		v, d := judge(tc.r, ticket{ID: "x", Ticket: tc.t}, tc.seq, now)
		if v != tc.want || d != tc.delay {
			t.Errorf("%s: judge = %v, %v; want %v, %v", tc.name, v, d, tc.want, tc.delay)
		}
	}
}

func TestRecordTransitions(t *testing.T) {
	now := time.Now()
	noBackoff := func(int) time.Duration { return time.Second }
	r := &record{Job: Job{ID: "j", State: Queued, Retries: 1}, Ticket: 1}
	r.claim("n1", 7, now)
	if r.State != Running || r.Attempts != 1 || r.RunSeq != 7 || r.Worker != "n1" {
		t.Fatalf("claim: %+v", r)
	}
	r.finish(nil, &JobError{Kind: "error"}, true, now, noBackoff)
	if r.State != Retrying || !r.RunAt.Equal(now.Add(time.Second)) || !r.FinishedAt.IsZero() {
		t.Fatalf("first failure: %+v", r)
	}
	r.claim("n2", 7, now)
	r.finish(nil, &JobError{Kind: "error"}, true, now, noBackoff)
	if r.State != Failed || r.Attempts != 2 || r.FinishedAt != now {
		t.Fatalf("second failure: %+v", r)
	}
	if err := r.cancel(now); err == nil {
		t.Error("cancelled a failed job")
	}
	if err := r.retry(now); err != nil || r.State != Queued || r.Ticket != 2 || r.Attempts != 0 || r.Error != nil {
		t.Fatalf("retry: %+v %v", r, err)
	}
	r.claim("n1", 9, now)
	if err := r.cancel(now); err != nil || r.State != Running || !r.CancelRequested {
		t.Fatalf("cancel while running: %+v", r)
	}
	r.finish(nil, &JobError{Kind: "cancelled"}, false, now, noBackoff)
	if r.State != Cancelled {
		t.Fatalf("finish after cancel: %+v", r)
	}
	r.retry(now)
	r.claim("n1", 10, now)
	r.requeue(now)
	if r.State != Queued || r.Attempts != 0 || r.Ticket != 4 || !r.StartedAt.IsZero() {
		t.Fatalf("requeue: %+v", r)
	}
	r.claim("n1", 11, now)
	r.finish(json.RawMessage(`1`), nil, false, now, noBackoff)
	if r.State != Succeeded || string(r.Result) != "1" {
		t.Fatalf("success: %+v", r)
	}
	if err := r.retry(now); err == nil {
		t.Error("retried a succeeded job")
	}
}

func TestClassify(t *testing.T) {
	for _, tc := range []struct {
		err, cause error
		kind       string
		retryable  bool
	}{
		{errors.New("x"), nil, "error", true},
		{fmt.Errorf("x: %w", ErrSkipRetry), nil, "error", false},
		{context.Canceled, errCancelRequested, "cancelled", false},
		{context.DeadlineExceeded, context.DeadlineExceeded, "timeout", true},
		{concur.NewPanicError("boom"), nil, "panic", true},
		{concur.ErrGoexit, nil, "panic", true},
		{&JobError{Kind: "bad_args"}, nil, "bad_args", false},
		{&JobError{Kind: "killed"}, nil, "killed", true},
		{&settledError{&JobError{Kind: "error"}, false}, nil, "error", false},
	} {
		je, retry := classify(tc.err, tc.cause, time.Second)
		if je.Kind != tc.kind || retry != tc.retryable {
			t.Errorf("classify(%v, %v) = %s %v, want %s %v", tc.err, tc.cause, je.Kind, retry, tc.kind, tc.retryable)
		}
	}
	if je, _ := classify(nil, context.Canceled, 0); je != nil {
		t.Errorf("a success classified as %v", je)
	}
}

func TestBackoff(t *testing.T) {
	b := backoff(100*time.Millisecond, time.Second)
	for attempt, nominal := range map[int]time.Duration{1: 100 * time.Millisecond, 2: 200 * time.Millisecond, 4: 800 * time.Millisecond, 5: time.Second, 60: time.Second} {
		for range 100 {
			if d := b(attempt); d < nominal/2 || d >= nominal {
				t.Fatalf("backoff(%d) = %v, want in [%v, %v)", attempt, d, nominal/2, nominal)
			}
		}
	}
}

func TestIDs(t *testing.T) {
	a, b := newID(time.Unix(1000, 0)), newID(time.Unix(1001, 0))
	if !validID(a) || !validID(b) || a >= b {
		t.Errorf("ids %q %q", a, b)
	}
	if k := idempotentID("k"); !validID(k) || k != idempotentID("k") || k == idempotentID("k2") {
		t.Errorf("idempotent id %q", k)
	}
	for _, bad := range []string{"", "x", "06H046O1T1RFMF9SGNS5FP67HK", "06h046o1t1rfmf9sgns5fp67h/", "06h046o1t1rfmf9sgns5fp67hkk"} {
		if validID(bad) {
			t.Errorf("validID(%q)", bad)
		}
	}
}

func FuzzDecodeTicket(f *testing.F) {
	f.Add([]byte(`{"id":"06h046o1t1rfmf9sgns5fp67hk","t":1}`))
	f.Add([]byte(`{"id":"..","t":-1}`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, b []byte) {
		tk, err := decodeTicket(b)
		if err == nil && (!validID(tk.ID) || tk.Ticket == 0) {
			t.Fatalf("accepted %q as %+v", b, tk)
		}
	})
}

func TestStatsQuantiles(t *testing.T) {
	var s stats
	now := time.Unix(5000, 0)
	for i := range 100 {
		start := now.Add(-time.Duration(i+1) * time.Millisecond)
		s.observe(&Job{State: Running}, &Job{State: Succeeded, CreatedAt: start, StartedAt: start, FinishedAt: now}, now)
	}
	s.observe(nil, &Job{State: Queued}, now)
	pts := s.series(2, now)
	p := pts[1]
	if len(pts) != 2 || pts[0].Succeeded != 0 || p.Succeeded != 100 || p.Submitted != 1 {
		t.Fatalf("points %+v", pts)
	}
	if *p.LatencyP50 < 35 || *p.LatencyP50 > 70 || *p.LatencyP99 < 70 || *p.LatencyP99 > 140 {
		t.Errorf("p50 %v p99 %v, want about 50 and 99", *p.LatencyP50, *p.LatencyP99)
	}
	if pts[0].LatencyP50 != nil {
		t.Error("a quiet second has a latency")
	}
}
