package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"net"
	"strings"
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

func TestServeAndSubmit(t *testing.T) {
	addr := freePort(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	var serveErr bytes.Buffer
	go func() {
		done <- run(ctx, []string{"serve", "-listen", addr, "-data-dir", t.TempDir(), "-command", "greet=echo hello ..."}, nil, &serveErr)
	}()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v\n%s", err, serveErr.String())
		}
	}()
	url := "http://" + addr
	submit := func(args ...string) (*server.Job, string, error) {
		var stdout, stderr bytes.Buffer
		err := run(context.Background(), append([]string{"submit", "-url", url}, args...), &stdout, &stderr)
		var j server.Job
		json.Unmarshal(stdout.Bytes(), &j)
		return &j, stderr.String(), err
	}
	// Until the server listens.
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if _, _, err := submit("-detach", "square", "1"); err == nil || time.Now().After(deadline) {
			break
		}
	}

	j, progress, err := submit("square", "12")
	if err != nil || j.State != server.Succeeded || string(j.Result) != "144" {
		t.Errorf("square: %+v %v", j, err)
	}
	if !strings.Contains(progress, "succeeded in") {
		t.Errorf("progress display: %q", progress)
	}
	j, _, err = submit("-mode", "process", "countdown", `{"n": 1000}`)
	if err != nil || j.State != server.Succeeded || j.Mode != server.Process {
		t.Errorf("countdown: %+v %v", j, err)
	}
	j, _, err = submit("-command", "greet", "world")
	var res server.CommandResult
	json.Unmarshal(j.Result, &res)
	if err != nil || res.Stdout != "hello world\n" {
		t.Errorf("command: %+v %v", j, err)
	}
	j, _, err = submit("-timeout", "50ms", "sleep", `{"seconds": 5}`)
	if code := exitError(0); !errors.As(err, &code) || code != 1 || j.State != server.Failed || j.Error.Kind != "timeout" {
		t.Errorf("timeout: %+v %v", j, err)
	}
	if _, _, err = submit("cube", "2"); err == nil || !strings.Contains(err.Error(), "unknown_function") {
		t.Errorf("unknown function: %v", err)
	}
	if _, _, err = submit("square", "{"); err == nil {
		t.Error("bad JSON args accepted")
	}
}

func TestUsage(t *testing.T) {
	var stderr bytes.Buffer
	if err := run(context.Background(), nil, nil, &stderr); !errors.Is(err, errUsage) || !strings.Contains(stderr.String(), "serve") {
		t.Errorf("no command: %v %q", err, stderr.String())
	}
	stderr.Reset()
	if err := run(context.Background(), []string{"frobnicate"}, nil, &stderr); !errors.Is(err, errUsage) || !strings.Contains(stderr.String(), `unknown command "frobnicate"`) {
		t.Errorf("unknown command: %v %q", err, stderr.String())
	}
	if err := run(context.Background(), []string{"worker"}, nil, &stderr); err == nil || !strings.Contains(err.Error(), "--nats") {
		t.Errorf("worker without NATS: %v", err)
	}
	if err := run(context.Background(), []string{"serve", "-listen", "0.0.0.0:0"}, nil, &stderr); err == nil || !strings.Contains(err.Error(), "token") {
		t.Errorf("serve beyond loopback without a token: %v", err)
	}
	if err := run(context.Background(), []string{"submit", "-nope"}, nil, &stderr); err == nil {
		t.Error("bad submit flag accepted")
	}
	if err := run(context.Background(), []string{"submit", "-h"}, nil, &stderr); !errors.Is(err, flag.ErrHelp) {
		t.Errorf("submit -h: %v", err)
	}
	var stdout bytes.Buffer
	if err := run(context.Background(), []string{"version"}, &stdout, &stderr); err != nil || !strings.HasPrefix(stdout.String(), "concur") {
		t.Errorf("version: %v %q", err, stdout.String())
	}
}
