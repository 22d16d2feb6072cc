package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/concurgo/concur/subprocess"
)

// commandOutputLimit bounds how much of a command's stdout and stderr a job
// keeps (each); the rest is read and counted but not stored.
const commandOutputLimit = 64 << 10

// CommandResult is the result of a command job that exited 0.
type CommandResult struct {
	ExitCode  int    `json:"exit_code"`
	Stdout    string `json:"stdout"`
	Stderr    string `json:"stderr"`
	Truncated bool   `json:"truncated,omitempty"` // output beyond 64 KiB per stream was dropped
}

// commandArgs decodes a command job's args: a JSON array of strings, each
// one argv element — never a shell string.
func commandArgs(spec CommandSpec, args json.RawMessage) ([]string, error) {
	if len(args) == 0 || string(args) == "null" {
		return nil, nil
	}
	var extra []string
	if err := json.Unmarshal(args, &extra); err != nil {
		return nil, errors.New("args of a command must be a JSON array of strings")
	}
	if len(extra) > 0 && !spec.ExtraArgs {
		return nil, errors.New("this command takes no arguments from requests")
	}
	for _, a := range extra {
		if strings.ContainsRune(a, 0) {
			return nil, errors.New("an argument contains a NUL byte")
		}
	}
	return extra, nil
}

// commandRunner runs allow-listed programs, in a process group of their own
// that a cancel or timeout kills whole.
type commandRunner struct {
	allowed map[string]CommandSpec
}

func (c commandRunner) run(ctx context.Context, r *record) (json.RawMessage, error) {
	spec, ok := c.allowed[r.Command]
	if !ok {
		return nil, &JobError{Kind: "unknown", Message: fmt.Sprintf("command %q is not allowed on this node", r.Command)}
	}
	extra, err := commandArgs(spec, r.Args)
	if err != nil {
		return nil, &JobError{Kind: "bad_args", Message: err.Error()}
	}
	argv := append(slices.Clip(spec.Argv), extra...)
	var stdout, stderr capped
	cp, err := subprocess.Run(ctx, argv,
		subprocess.Stdin(subprocess.DevNull),
		subprocess.Stdout(subprocess.To(&stdout)),
		subprocess.Stderr(subprocess.To(&stderr)),
		subprocess.Env(childEnv()))
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, &JobError{Kind: "error", Message: err.Error()}
	case err != nil:
		return nil, err // a cancel or timeout: classify reads the context's cause
	case cp.ReturnCode < 0:
		return nil, &JobError{Kind: "killed", Message: fmt.Sprintf("%s killed by signal %d; stderr: %s", argv[0], -cp.ReturnCode, stderr.tail())}
	case cp.ReturnCode > 0:
		return nil, &JobError{Kind: "exit", Message: fmt.Sprintf("%s exited with status %d; stderr: %s", argv[0], cp.ReturnCode, stderr.tail())}
	}
	return json.Marshal(CommandResult{
		Stdout:    stdout.String(),
		Stderr:    stderr.String(),
		Truncated: stdout.dropped+stderr.dropped > 0,
	})
}

// childEnv is this process's environment without CONCUR_* variables, so
// that a command never sees the API or NATS token.
func childEnv() []string {
	return slices.DeleteFunc(os.Environ(), func(kv string) bool { return strings.HasPrefix(kv, "CONCUR_") })
}

// capped keeps the first commandOutputLimit bytes written to it.
type capped struct {
	buf     []byte
	dropped int
}

func (c *capped) Write(p []byte) (int, error) {
	n := min(len(p), commandOutputLimit-len(c.buf))
	c.buf = append(c.buf, p[:n]...)
	c.dropped += len(p) - n
	return len(p), nil
}

// String returns the kept output as valid UTF-8, for JSON.
func (c *capped) String() string { return strings.ToValidUTF8(string(c.buf), "\uFFFD") }

// tail returns the end of the kept output, for an error message.
func (c *capped) tail() string {
	const n = 1024
	b := c.buf
	if len(b) > n {
		b = b[len(b)-n:]
		for len(b) > 0 && !utf8.RuneStart(b[0]) {
			b = b[1:]
		}
	}
	s := strings.TrimSpace(strings.ToValidUTF8(string(b), "\uFFFD"))
	if s == "" {
		return "(empty)"
	}
	return s
}
