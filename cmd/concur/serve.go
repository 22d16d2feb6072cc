package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"

	"github.com/concurgo/concur/server"
)

// serve runs the HTTP job service until SIGINT or SIGTERM, then drains.
func serve(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return runNode(ctx, "concur serve", server.DefaultConfig(), args, stderr)
}

// worker takes jobs from a server's JetStream without serving the API.
func worker(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	base := server.DefaultConfig()
	base.Listen = ""
	return runNode(ctx, "concur worker", base, args, stderr, func(cfg *server.Config) error {
		if cfg.NATSURL == "" {
			return fmt.Errorf("a worker needs the server's NATS: --nats nats://host:4222 (the server's --nats-listen) or CONCUR_NATS_URL")
		}
		return nil
	})
}

func runNode(ctx context.Context, name string, base server.Config, args []string, stderr io.Writer, checks ...func(*server.Config) error) error {
	cfg, rest, err := server.LoadConfig(name, base, args, os.Getenv)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		fmt.Fprintf(stderr, "%s: unexpected arguments %q\n", name, rest)
		return errUsage
	}
	for _, check := range checks {
		if err := check(&cfg); err != nil {
			return err
		}
	}
	cfg.Logger = slog.New(slog.NewTextHandler(stderr, nil))
	srv, err := server.New(cfg)
	if err != nil {
		return err
	}
	if addr := srv.Addr(); addr != "" {
		fmt.Fprintf(stderr, "concur: serving http://%s (functions: %v)\n", addr, server.Functions())
	}
	return srv.Run(ctx)
}
