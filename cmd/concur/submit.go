package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/concurgo/concur/server"
)

const submitUsage = `usage: concur submit [flags] FUNCTION [JSON_ARGS]
       concur submit [flags] -command NAME [ARG...]

Submits a job to a concur server and, unless -detach, shows its progress on
stderr until it ends; the finished job is printed to stdout as JSON. The
exit status is 0 if the job succeeded, 1 if it failed or was cancelled.

  concur submit square 12
  concur submit -mode process countdown '{"n": 300000000}'
  concur submit -command echo hello world

flags:
`

// submit is `concur submit`.
func submit(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("concur submit", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		io.WriteString(stderr, submitUsage)
		fs.PrintDefaults()
	}
	var (
		baseURL  = fs.String("url", envOr("CONCUR_URL", "http://127.0.0.1:8000"), "server URL (env CONCUR_URL)")
		token    = fs.String("token", "", "API token (env CONCUR_TOKEN)")
		command  = fs.String("command", "", "run this allow-listed command; the arguments are its args")
		mode     = fs.String("mode", "", "thread (default for functions) or process")
		priority = fs.String("priority", "", "high, normal (default) or low")
		timeout  = fs.Duration("timeout", 0, "per-attempt timeout (default: the server's)")
		retries  = fs.Int("retries", -1, "retries after a failed attempt (default: the server's)")
		delay    = fs.Duration("delay", 0, "start no sooner than this")
		key      = fs.String("key", "", "idempotency key: submitting again returns the same job")
		detach   = fs.Bool("detach", false, "print the accepted job and exit without waiting")
	)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *token == "" {
		*token = os.Getenv("CONCUR_TOKEN")
	}
	req := server.JobRequest{
		Command:        *command,
		Mode:           server.Mode(*mode),
		Priority:       server.Priority(*priority),
		Timeout:        server.Duration(*timeout),
		Delay:          server.Duration(*delay),
		IdempotencyKey: *key,
	}
	if *retries >= 0 {
		req.Retries = retries
	}
	rest := fs.Args()
	switch {
	case *command != "":
		if len(rest) > 0 {
			req.Args, _ = json.Marshal(rest)
		}
	case len(rest) == 0 || len(rest) > 2:
		fs.Usage()
		return errUsage
	default:
		req.Function = rest[0]
		if len(rest) == 2 {
			if !json.Valid([]byte(rest[1])) {
				return fmt.Errorf("JSON_ARGS is not JSON: %q (quote strings: '\"text\"')", rest[1])
			}
			req.Args = json.RawMessage(rest[1])
		}
	}

	c := &server.Client{BaseURL: *baseURL, Token: *token}
	job, err := c.Submit(ctx, req)
	if err != nil {
		return err
	}
	if *detach {
		return printJob(stdout, job)
	}
	p := newProgress(stderr, job)
	final, err := p.follow(ctx, c)
	if err != nil {
		if ctx.Err() != nil {
			fmt.Fprintf(stderr, "\nstopped waiting; job %s goes on (cancel it: POST %s/jobs/%s/cancel)\n", job.ID, *baseURL, job.ID)
			return exitError(130)
		}
		return err
	}
	if err := printJob(stdout, final); err != nil {
		return err
	}
	if final.State != server.Succeeded {
		return exitError(1)
	}
	return nil
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}

func printJob(w io.Writer, j *server.Job) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(j)
}

// progress shows a job's progress: on a terminal, one line redrawn with a
// spinner and the elapsed time; elsewhere, a line per change of state.
type progress struct {
	w     io.Writer
	tty   bool
	start time.Time
	job   *server.Job
	frame int
}

func newProgress(w io.Writer, j *server.Job) *progress {
	tty := false
	if f, ok := w.(*os.File); ok {
		if fi, err := f.Stat(); err == nil {
			tty = fi.Mode()&os.ModeCharDevice != 0
		}
	}
	return &progress{w: w, tty: tty, start: time.Now(), job: j}
}

// follow shows the job's progress until it is final and returns it.
func (p *progress) follow(ctx context.Context, c *server.Client) (*server.Job, error) {
	updates := make(chan *server.Job)
	failed := make(chan error, 1)
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		for {
			for j, err := range c.Watch(wctx, p.job.ID) {
				var ae *server.APIError
				if errors.As(err, &ae) {
					failed <- err
					return
				}
				if err != nil {
					break
				}
				select {
				case updates <- j:
				case <-wctx.Done():
					return
				}
				if j.State.Final() {
					return
				}
			}
			// The stream broke (the server restarted, say): reconnect.
			select {
			case <-wctx.Done():
				failed <- wctx.Err()
				return
			case <-time.After(500 * time.Millisecond):
			}
		}
	}()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	p.line(true)
	for {
		select {
		case err := <-failed:
			return nil, err
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-tick.C:
			if p.tty {
				p.line(false)
			}
		case j := <-updates:
			changed := j.State != p.job.State || j.Attempts != p.job.Attempts
			p.job = j
			if j.State.Final() {
				p.end()
				return j, nil
			}
			if changed || p.tty {
				p.line(changed)
			}
		}
	}
}

var spinner = []string{"⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"}

func (p *progress) status() string {
	j := p.job
	s := string(j.State)
	if j.Attempts > 0 {
		s += fmt.Sprintf(" · attempt %d/%d", j.Attempts, j.Retries+1)
	}
	if j.State == server.Retrying || j.State == server.Scheduled {
		s += " · next at " + j.RunAt.Local().Format("15:04:05.000")
	}
	if j.CancelRequested {
		s += " · stopping"
	}
	if j.State == server.Retrying && j.Error != nil {
		s += " · " + j.Error.Error()
	}
	return s
}

func (p *progress) line(changed bool) {
	elapsed := time.Since(p.start).Round(100 * time.Millisecond)
	if p.tty {
		p.frame++
		fmt.Fprintf(p.w, "\r\033[K%s job %s %s · %v", spinner[p.frame%len(spinner)], p.job.ID, p.status(), elapsed)
		return
	}
	if changed {
		fmt.Fprintf(p.w, "job %s %s (%v)\n", p.job.ID, p.status(), elapsed)
	}
}

func (p *progress) end() {
	j := p.job
	elapsed := time.Since(p.start).Round(time.Millisecond)
	mark, msg := "✓", fmt.Sprintf("%s in %v", j.State, elapsed)
	if j.State != server.Succeeded {
		mark = "✗"
		if j.Error != nil {
			msg += ": " + j.Error.Error()
		}
	}
	if p.tty {
		fmt.Fprintf(p.w, "\r\033[K%s job %s %s\n", mark, j.ID, msg)
		return
	}
	fmt.Fprintf(p.w, "job %s %s\n", j.ID, msg)
}
