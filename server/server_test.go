package server

import (
	"context"
	"encoding/json"
	"testing"
)

func TestSubmitAndWait(t *testing.T) {
	_, c := startServer(t, testConfig(t))
	j := submit(t, c, JobRequest{Function: "test.add", Args: json.RawMessage(`{"X":2,"Y":3}`)})
	if j.State != Queued || j.Mode != Thread || j.Priority != Normal || j.Attempts != 0 {
		t.Errorf("submitted job = %+v", j)
	}
	done := waitJob(t, c, j.ID)
	if done.State != Succeeded || string(done.Result) != "5" || done.Attempts != 1 || done.Worker != "test" {
		t.Errorf("finished job = %+v, result %s", done, done.Result)
	}
	if done.StartedAt.Before(done.CreatedAt) || done.FinishedAt.Before(done.StartedAt) {
		t.Errorf("timings out of order: %+v", done)
	}
	got, err := c.Get(context.Background(), j.ID)
	if err != nil || got.State != Succeeded {
		t.Errorf("Get = %+v, %v", got, err)
	}
}
