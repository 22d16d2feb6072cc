package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Config configures a node: a server (Listen set: the HTTP API, and it
// runs jobs too) or a worker (Listen empty: it only runs jobs). It is a
// plain struct rather than functional options because the same settings
// come from a JSON file, the environment and flags; LoadConfig reads all
// three. The zero value is not ready: start from DefaultConfig.
type Config struct {
	// Listen is the HTTP API's address. Empty serves no HTTP (a worker).
	// An address beyond loopback requires Token.
	Listen string `json:"listen"`
	// Token is the API's bearer token. Required beyond loopback; when set,
	// every route but /healthz and /readyz asks for it.
	Token string `json:"token"`

	// DataDir holds the embedded JetStream store.
	DataDir string `json:"data_dir"`
	// NATSURL names an external NATS server instead of the embedded one
	// (credentials may be in the URL: nats://token@host:4222).
	NATSURL string `json:"nats_url"`
	// NATSListen makes the embedded NATS server listen on this address, so
	// that workers on other machines can take jobs. Beyond loopback it
	// requires NATSToken.
	NATSListen string `json:"nats_listen"`
	// NATSToken is the token the embedded server's listener requires, and
	// the one used to connect to NATSURL when the URL carries none.
	NATSToken string `json:"nats_token"`
	// SyncInterval is how often the embedded store fsyncs. Zero fsyncs
	// every write, so an accepted job survives even a host crash; a
	// positive interval is faster and survives a crash of the process only.
	SyncInterval Duration `json:"sync_interval"`

	// MaxThreads, MaxProcesses and MaxCommands bound how many jobs of each
	// mode this node runs at once. Zero takes no jobs of that mode.
	// MaxProcesses is also the size of the node's pool of warm worker
	// processes, which start as process jobs first need them.
	MaxThreads   int `json:"max_threads"`
	MaxProcesses int `json:"max_processes"`
	MaxCommands  int `json:"max_commands"`
	// MaxTasksPerChild retires a process-mode worker after that many
	// attempts and starts a fresh one: Python's maxtasksperchild, for
	// functions that leak. 1 runs every attempt in a fresh process; zero
	// keeps workers for the life of the node.
	MaxTasksPerChild int `json:"max_tasks_per_child"`
	// Commands is the allow-list for command jobs, by the name a request
	// uses.
	Commands map[string]CommandSpec `json:"commands"`

	// MaxBodyBytes bounds a request body.
	MaxBodyBytes int64 `json:"max_body_bytes"`
	// DefaultTimeout bounds an attempt whose request names no timeout;
	// zero means no bound.
	DefaultTimeout Duration `json:"default_timeout"`
	// DefaultRetries is the retry budget of a request that names none.
	DefaultRetries int `json:"default_retries"`
	// BackoffBase and BackoffMax shape the delay before retry n:
	// BackoffBase·2ⁿ⁻¹ capped at BackoffMax, with jitter.
	BackoffBase Duration `json:"backoff_base"`
	BackoffMax  Duration `json:"backoff_max"`
	// AckWait is how long a node may go silent before its running jobs
	// are presumed lost (nodes heartbeat at a third of it). It is a
	// setting of the queue in JetStream: servers set it, workers follow
	// whatever the queue has.
	AckWait Duration `json:"ack_wait"`
	// Retention is how long finished jobs are kept.
	Retention Duration `json:"retention"`
	// DrainTimeout is how long a shutdown waits for running jobs before
	// stopping them and putting them back in the queue.
	DrainTimeout Duration `json:"drain_timeout"`
	// Node names this node in job records and the workers list.
	Node string `json:"node"`
	// CORS lets web pages on other origins call the API (FastAPI's
	// CORSMiddleware; see CORSPolicy). The zero value allows none.
	CORS CORSPolicy `json:"cors"`

	// Logger receives the node's log; nil means slog.Default().
	Logger *slog.Logger `json:"-"`
}

// CommandSpec is one allow-listed program.
type CommandSpec struct {
	// Argv is the program and its fixed arguments; no shell is involved.
	Argv []string `json:"argv"`
	// ExtraArgs lets a request append arguments (its args, a JSON array of
	// strings). Off by default: extra arguments can change what a program
	// does (think --output=/etc/passwd), so the operator opts in per program.
	ExtraArgs bool `json:"extra_args"`
}

// DefaultConfig returns the settings `concur serve` starts with: the API on
// 127.0.0.1:8000 without a token, an embedded JetStream store under the
// user's data directory, min(32, NumCPU+4) thread slots (Python's
// ThreadPoolExecutor default), NumCPU process and command slots.
func DefaultConfig() Config {
	host, _ := os.Hostname()
	return Config{
		Listen:       "127.0.0.1:8000",
		DataDir:      defaultDataDir(),
		MaxThreads:   min(32, runtime.NumCPU()+4),
		MaxProcesses: runtime.NumCPU(),
		MaxCommands:  runtime.NumCPU(),
		MaxBodyBytes: 1 << 20,
		BackoffBase:  Duration(time.Second),
		BackoffMax:   Duration(5 * time.Minute),
		AckWait:      Duration(30 * time.Second),
		Retention:    Duration(7 * 24 * time.Hour),
		DrainTimeout: Duration(30 * time.Second),
		Node:         fmt.Sprintf("%s-%d", host, os.Getpid()),
	}
}

func defaultDataDir() string {
	if d := os.Getenv("XDG_DATA_HOME"); d != "" {
		return filepath.Join(d, "concur")
	}
	if home, err := os.UserHomeDir(); err == nil {
		return filepath.Join(home, ".local", "share", "concur")
	}
	return filepath.Join(os.TempDir(), "concur")
}

// setting is one configuration knob as a flag and an environment variable;
// the JSON file uses Config's field tags.
type setting struct {
	flag, env, usage string
	bind             func(c *Config) flag.Value
}

var settings = append([]setting{
	{"listen", "CONCUR_LISTEN", "HTTP API `address`; empty serves no API (a worker)", func(c *Config) flag.Value { return (*stringValue)(&c.Listen) }},
	{"token", "CONCUR_TOKEN", "API bearer `token`; required beyond loopback (prefer the env var: flags show in ps)", func(c *Config) flag.Value { return (*stringValue)(&c.Token) }},
	{"data-dir", "CONCUR_DATA_DIR", "`directory` of the embedded JetStream store", func(c *Config) flag.Value { return (*stringValue)(&c.DataDir) }},
	{"nats", "CONCUR_NATS_URL", "external NATS `URL` instead of the embedded server", func(c *Config) flag.Value { return (*stringValue)(&c.NATSURL) }},
	{"nats-listen", "CONCUR_NATS_LISTEN", "let remote workers reach the embedded NATS at this `address`", func(c *Config) flag.Value { return (*stringValue)(&c.NATSListen) }},
	{"nats-token", "CONCUR_NATS_TOKEN", "`token` of the embedded NATS listener, and for -nats URLs without one", func(c *Config) flag.Value { return (*stringValue)(&c.NATSToken) }},
	{"sync-interval", "CONCUR_SYNC_INTERVAL", "fsync `interval` of the embedded store; 0 fsyncs every write", func(c *Config) flag.Value { return (*durationValue)(&c.SyncInterval) }},
	{"max-threads", "CONCUR_MAX_THREADS", "run up to `n` thread-mode jobs at once on this node (0: none)", func(c *Config) flag.Value { return (*intValue)(&c.MaxThreads) }},
	{"max-processes", "CONCUR_MAX_PROCESSES", "run up to `n` process-mode jobs at once on this node (0: none)", func(c *Config) flag.Value { return (*intValue)(&c.MaxProcesses) }},
	{"max-tasks-per-child", "CONCUR_MAX_TASKS_PER_CHILD", "replace a process-mode worker after `n` jobs; 1: a fresh process per job, 0: never", func(c *Config) flag.Value { return (*intValue)(&c.MaxTasksPerChild) }},
	{"max-commands", "CONCUR_MAX_COMMANDS", "run up to `n` command-mode jobs at once on this node (0: none)", func(c *Config) flag.Value { return (*intValue)(&c.MaxCommands) }},
	{"command", "", "allow a `command`: 'name=/path/prog arg...'; a final '...' lets requests append args (repeatable)", func(c *Config) flag.Value { return (*commandsValue)(&c.Commands) }},
	{"max-body", "CONCUR_MAX_BODY", "largest request body in `bytes`", func(c *Config) flag.Value { return (*int64Value)(&c.MaxBodyBytes) }},
	{"default-timeout", "CONCUR_DEFAULT_TIMEOUT", "attempt `timeout` for requests that name none (0: none)", func(c *Config) flag.Value { return (*durationValue)(&c.DefaultTimeout) }},
	{"default-retries", "CONCUR_DEFAULT_RETRIES", "`retries` for requests that name none", func(c *Config) flag.Value { return (*intValue)(&c.DefaultRetries) }},
	{"backoff-base", "CONCUR_BACKOFF_BASE", "`delay` before the first retry (doubles per retry, with jitter)", func(c *Config) flag.Value { return (*durationValue)(&c.BackoffBase) }},
	{"backoff-max", "CONCUR_BACKOFF_MAX", "longest `delay` between retries", func(c *Config) flag.Value { return (*durationValue)(&c.BackoffMax) }},
	{"ack-wait", "CONCUR_ACK_WAIT", "presume a node's running jobs lost after this `duration` of silence", func(c *Config) flag.Value { return (*durationValue)(&c.AckWait) }},
	{"retention", "CONCUR_RETENTION", "keep finished jobs for this `duration`", func(c *Config) flag.Value { return (*durationValue)(&c.Retention) }},
	{"drain-timeout", "CONCUR_DRAIN_TIMEOUT", "at shutdown, wait this `duration` for running jobs before re-queueing them", func(c *Config) flag.Value { return (*durationValue)(&c.DrainTimeout) }},
	{"node", "CONCUR_NODE", "`name` of this node in job records", func(c *Config) flag.Value { return (*stringValue)(&c.Node) }},
}, corsSettings...)

// LoadConfig builds a Config from base, then a JSON file (-config or
// CONCUR_CONFIG), then CONCUR_* environment variables (read with getenv),
// then the flags in args, each overriding the one before. name is the
// command's name in messages. With -h it prints the flags to stderr and
// returns flag.ErrHelp; other errors it returns without printing. It returns the arguments left after the flags.
func LoadConfig(name string, base Config, args []string, getenv func(string) string) (Config, []string, error) {
	// The flags are parsed twice: once into a scratch Config to find
	// -config (and to report flag errors before anything else), then into
	// the real one after the file and the environment, so they win.
	scratch := base
	fs, file := newFlagSet(name, &scratch)
	fs.SetOutput(io.Discard)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fs.SetOutput(os.Stderr)
			fs.Usage()
		}
		return Config{}, nil, err
	}
	cfg := base
	path := *file
	if path == "" {
		path = getenv("CONCUR_CONFIG")
	}
	if path != "" {
		if err := readConfigFile(path, &cfg); err != nil {
			return Config{}, nil, err
		}
	}
	for _, s := range settings {
		if s.env == "" {
			continue
		}
		if v := getenv(s.env); v != "" {
			if err := s.bind(&cfg).Set(v); err != nil {
				return Config{}, nil, fmt.Errorf("%s: %v", s.env, err)
			}
		}
	}
	fs, _ = newFlagSet(name, &cfg)
	fs.SetOutput(io.Discard)
	if err := fs.Parse(args); err != nil {
		return Config{}, nil, err
	}
	return cfg, fs.Args(), nil
}

func newFlagSet(name string, c *Config) (*flag.FlagSet, *string) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	file := fs.String("config", "", "JSON configuration file (env CONCUR_CONFIG); env vars and flags override it")
	for _, s := range settings {
		usage := s.usage
		if s.env != "" {
			usage += " (env " + s.env + ")"
		}
		fs.Var(s.bind(c), s.flag, usage)
	}
	return fs, file
}

func readConfigFile(path string, c *Config) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("config file: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(c); err != nil {
		return fmt.Errorf("config file %s: %w", path, err)
	}
	return nil
}

var commandName = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,64}$`)

// validate checks the configuration before anything starts.
func (c *Config) validate() error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if c.Listen != "" {
		loop, err := isLoopback(c.Listen)
		switch {
		case err != nil:
			bad("listen address %q: %v", c.Listen, err)
		case !loop && c.Token == "":
			bad("listening on %s reaches beyond loopback: set an API token (CONCUR_TOKEN or --token)", c.Listen)
		}
	}
	if c.NATSURL != "" && c.NATSListen != "" {
		bad("nats and nats-listen exclude each other: an external NATS server does its own listening")
	}
	if c.NATSListen != "" {
		loop, err := isLoopback(c.NATSListen)
		switch {
		case err != nil:
			bad("nats-listen address %q: %v", c.NATSListen, err)
		case !loop && c.NATSToken == "":
			bad("nats-listen on %s reaches beyond loopback: set a NATS token (CONCUR_NATS_TOKEN or --nats-token)", c.NATSListen)
		}
	}
	if c.NATSURL == "" && c.DataDir == "" {
		bad("data-dir is empty: the embedded store needs a directory")
	}
	if c.MaxThreads < 0 || c.MaxProcesses < 0 || c.MaxCommands < 0 || c.MaxTasksPerChild < 0 {
		bad("max-threads, max-processes, max-tasks-per-child and max-commands must not be negative")
	}
	for name, spec := range c.Commands {
		if !commandName.MatchString(name) {
			bad("command name %q: use 1-64 letters, digits, '_', '.' or '-'", name)
		}
		if len(spec.Argv) == 0 || spec.Argv[0] == "" {
			bad("command %q has no program", name)
		}
	}
	if c.MaxBodyBytes <= 0 {
		bad("max-body must be positive")
	}
	if c.DefaultTimeout < 0 || c.DefaultRetries < 0 {
		bad("default-timeout and default-retries must not be negative")
	}
	if c.BackoffBase <= 0 || c.BackoffMax < c.BackoffBase {
		bad("need 0 < backoff-base <= backoff-max")
	}
	if c.AckWait < Duration(100*time.Millisecond) {
		bad("ack-wait must be at least 100ms")
	}
	if c.Retention <= 0 || c.DrainTimeout < 0 || c.SyncInterval < 0 {
		bad("retention must be positive; drain-timeout and sync-interval must not be negative")
	}
	if c.Node == "" {
		bad("node name is empty")
	}
	if _, err := c.CORS.compile(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// isLoopback reports whether every address addr can mean is a loopback
// one. An empty host means every interface.
func isLoopback(addr string) (bool, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false, err
	}
	if host == "" {
		return false, nil
	}
	if ip := net.ParseIP(host); ip != nil {
		return ip.IsLoopback(), nil
	}
	if strings.EqualFold(host, "localhost") {
		return true, nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	ips, err := net.DefaultResolver.LookupIPAddr(ctx, host)
	if err != nil {
		return false, err
	}
	return !slices.ContainsFunc(ips, func(ip net.IPAddr) bool { return !ip.IP.IsLoopback() }), nil
}

type stringValue string

func (v *stringValue) Set(s string) error { *v = stringValue(s); return nil }
func (v *stringValue) String() string     { return string(*v) }

type intValue int

func (v *intValue) Set(s string) error {
	n, err := strconv.Atoi(s)
	if err != nil {
		return fmt.Errorf("%q is not an integer", s)
	}
	*v = intValue(n)
	return nil
}
func (v *intValue) String() string { return strconv.Itoa(int(*v)) }

type int64Value int64

func (v *int64Value) Set(s string) error {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return fmt.Errorf("%q is not an integer", s)
	}
	*v = int64Value(n)
	return nil
}
func (v *int64Value) String() string { return strconv.FormatInt(int64(*v), 10) }

type durationValue Duration

func (v *durationValue) Set(s string) error {
	d, err := parseDuration(s)
	*v = durationValue(d)
	return err
}
func (v *durationValue) String() string { return time.Duration(*v).String() }

// commandsValue is the repeatable -command flag: 'name=prog arg...', split
// on blanks with no shell quoting; a final "..." sets ExtraArgs.
type commandsValue map[string]CommandSpec

func (v *commandsValue) Set(s string) error {
	name, line, ok := strings.Cut(s, "=")
	argv := strings.Fields(line)
	if !ok || name == "" {
		return fmt.Errorf("want name=program [args...], got %q", s)
	}
	spec := CommandSpec{Argv: argv}
	if n := len(argv); n > 0 && argv[n-1] == "..." {
		spec = CommandSpec{Argv: argv[:n-1], ExtraArgs: true}
	}
	// Copy on write: LoadConfig parses flags into copies of one base
	// Config, which must not share a map.
	m := maps.Clone(*v)
	if m == nil {
		m = make(commandsValue)
	}
	m[name] = spec
	*v = m
	return nil
}

func (v *commandsValue) String() string {
	if v == nil {
		return ""
	}
	var parts []string
	for name, spec := range *v {
		s := name + "=" + strings.Join(spec.Argv, " ")
		if spec.ExtraArgs {
			s += " ..."
		}
		parts = append(parts, s)
	}
	slices.Sort(parts)
	return strings.Join(parts, ", ")
}
