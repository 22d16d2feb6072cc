package server

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestJobEvents(t *testing.T) {
	_, c := startServer(t, testConfig(t))
	j := submit(t, c, JobRequest{Function: "test.flaky", Args: flakyKey(t, 1), Retries: intp(1)})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var seen []State
	for got, err := range c.Watch(ctx, j.ID) {
		if err != nil {
			t.Fatal(err)
		}
		if len(seen) == 0 || seen[len(seen)-1] != got.State {
			seen = append(seen, got.State)
		}
	}
	// The stream may open after some changes, but it ends with the final
	// state, and what it shows is in order.
	order := map[State]int{Queued: 0, Running: 1, Retrying: 2, Succeeded: 4}
	if seen[len(seen)-1] != Succeeded {
		t.Fatalf("states %v", seen)
	}
	for i := 1; i < len(seen); i++ {
		if seen[i] == Running && seen[i-1] == Retrying {
			continue // the second attempt
		}
		if order[seen[i]] < order[seen[i-1]] {
			t.Errorf("states out of order: %v", seen)
		}
	}
}

func TestAllEventsStream(t *testing.T) {
	s, c := startServer(t, testConfig(t))
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", "http://"+s.Addr()+"/events?function=test.add", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("Content-Type %q", ct)
	}
	submit(t, c, JobRequest{Function: "test.noop"}) // filtered out
	j := submit(t, c, JobRequest{Function: "test.add", Args: json.RawMessage(`{"X":1,"Y":2}`)})
	for ev, err := range readEvents(resp.Body) {
		if err != nil {
			t.Fatal(err)
		}
		var got Job
		if ev.name != "job" || json.Unmarshal(ev.data, &got) != nil {
			t.Fatalf("event %q %s", ev.name, ev.data)
		}
		if got.Function != "test.add" {
			t.Fatalf("filter let through %+v", got)
		}
		if got.ID == j.ID && got.State == Succeeded {
			return
		}
	}
	t.Fatal("stream ended before the job succeeded")
}

func TestReadEvents(t *testing.T) {
	in := "retry: 2000\n\n: ping\n\nevent: job\ndata: {\"a\":\ndata: 1}\n\ndata: plain\n\nevent: x\n\n"
	var got []string
	for ev, err := range readEvents(strings.NewReader(in)) {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, ev.name+"="+string(ev.data))
	}
	want := "job={\"a\":\n1}|message=plain"
	if strings.Join(got, "|") != want {
		t.Errorf("events %q, want %q", got, want)
	}
}

func FuzzReadEvents(f *testing.F) {
	f.Add([]byte("event: job\ndata: {}\n\n"))
	f.Add([]byte(": ping\n\nretry: 5\ndata:x\ndata\n\n"))
	f.Add([]byte("data: " + strings.Repeat("a", 10000) + "\n\n"))
	f.Add([]byte("\n\n\nevent:\ndata: \r\n\r\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		for ev, err := range readEvents(strings.NewReader(string(b))) {
			if err == nil && len(ev.data) > len(b) {
				t.Fatalf("event larger than its input")
			}
		}
	})
}
