package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"strings"

	"github.com/concurgo/concur/server"
)

// Functions are registered at package level, so that a process-mode worker
// (this binary re-executed) has them too.
func init() {
	server.Register("wordcount", func(ctx context.Context, text string) (map[string]int, error) {
		counts := map[string]int{}
		for _, w := range strings.Fields(text) {
			counts[w]++
		}
		return counts, nil
	})
}

// A server with a function of your own, run in a worker process on
// request. In a real program, main calls process.Main first; here TestMain
// does.
func Example_ownFunction() {
	cfg := server.DefaultConfig()
	cfg.Listen = "127.0.0.1:0" // any free port
	cfg.DataDir, _ = os.MkdirTemp("", "concur-example")
	defer os.RemoveAll(cfg.DataDir)
	cfg.Logger = slog.New(slog.DiscardHandler)
	srv, err := server.New(cfg)
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- srv.Run(ctx) }()
	defer func() {
		stop() // graceful shutdown
		<-done
	}()

	c := &server.Client{BaseURL: "http://" + srv.Addr()}
	job, err := c.Submit(ctx, server.JobRequest{
		Function: "wordcount",
		Args:     json.RawMessage(`"to be or not to be"`),
		Mode:     server.Process,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	job, err = c.Wait(ctx, job.ID)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(job.State, job.Attempts, string(job.Result))
	// Output: succeeded 1 {"be":2,"not":1,"or":1,"to":2}
}

// Bad input is refused with a 4xx that says what is wrong.
func ExampleClient_Submit_badInput() {
	cfg := server.DefaultConfig()
	cfg.Listen = "127.0.0.1:0"
	cfg.DataDir, _ = os.MkdirTemp("", "concur-example")
	defer os.RemoveAll(cfg.DataDir)
	cfg.Logger = slog.New(slog.DiscardHandler)
	srv, err := server.New(cfg)
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- srv.Run(ctx) }()
	defer func() {
		stop()
		<-done
	}()

	c := &server.Client{BaseURL: "http://" + srv.Addr()}
	_, err = c.Submit(ctx, server.JobRequest{Function: "wordcount", Args: json.RawMessage(`42`)})
	fmt.Println(err)
	_, err = c.Submit(ctx, server.JobRequest{Command: "rm", Args: json.RawMessage(`["-rf", "/"]`)})
	fmt.Println(err)
	// Output:
	// 422 bad_args (args): bad args for wordcount: args do not fit string: json: cannot unmarshal number into Go value of type string
	// 403 command_not_allowed (command): command "rm" is not in the server's allow-list
}
