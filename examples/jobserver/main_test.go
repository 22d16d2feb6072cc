package main

import (
	"context"
	"encoding/json"
	"log/slog"
	"net"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/concurgo/concur/process"
	"github.com/concurgo/concur/server"
)

func TestMain(m *testing.M) {
	process.Main()
	goleak.VerifyTestMain(m)
}

func freePort(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func TestServesPrimes(t *testing.T) {
	addr := freePort(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() {
		done <- run(ctx, []string{"-listen", addr, "-data-dir", t.TempDir()}, slog.New(slog.DiscardHandler))
	}()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	}()
	c := &server.Client{BaseURL: "http://" + addr}
	wctx, wcancel := context.WithTimeout(ctx, 30*time.Second)
	defer wcancel()
	for _, mode := range []server.Mode{server.Thread, server.Process} {
		var job *server.Job
		var err error
		for { // until the server listens
			job, err = c.Submit(wctx, server.JobRequest{Function: "primes", Args: json.RawMessage(`{"below": 100000}`), Mode: mode})
			if err == nil || wctx.Err() != nil {
				break
			}
			time.Sleep(10 * time.Millisecond)
		}
		if err != nil {
			t.Fatal(err)
		}
		job, err = c.Wait(wctx, job.ID)
		if err != nil || job.State != server.Succeeded || string(job.Result) != "9592" {
			t.Errorf("%s: %+v %v", mode, job, err)
		}
	}
}
