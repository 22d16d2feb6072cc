package server

import (
	"errors"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestLoadConfigPrecedence(t *testing.T) {
	file := filepath.Join(t.TempDir(), "concur.json")
	os.WriteFile(file, []byte(`{
		"listen": "127.0.0.1:9000",
		"max_threads": 3,
		"ack_wait": "45s",
		"default_timeout": 2.5,
		"commands": {"convert": {"argv": ["/usr/bin/convert"], "extra_args": true}}
	}`), 0o600)
	env := map[string]string{
		"CONCUR_CONFIG":      file,
		"CONCUR_MAX_THREADS": "5",
		"CONCUR_TOKEN":       "from-env",
	}
	cfg, rest, err := LoadConfig("test", DefaultConfig(), []string{
		"-max-threads", "7", "-command", "echo=/bin/echo hi ...", "-command", "date=date", "extra",
	}, func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Listen != "127.0.0.1:9000" || cfg.MaxThreads != 7 || cfg.Token != "from-env" ||
		cfg.AckWait != Duration(45*time.Second) || cfg.DefaultTimeout != Duration(2500*time.Millisecond) {
		t.Errorf("config %+v", cfg)
	}
	if len(rest) != 1 || rest[0] != "extra" {
		t.Errorf("rest %q", rest)
	}
	want := map[string]CommandSpec{
		"convert": {Argv: []string{"/usr/bin/convert"}, ExtraArgs: true},
		"echo":    {Argv: []string{"/bin/echo", "hi"}, ExtraArgs: true},
		"date":    {Argv: []string{"date"}},
	}
	if len(cfg.Commands) != len(want) {
		t.Errorf("commands %+v", cfg.Commands)
	}
	for name, spec := range want {
		got := cfg.Commands[name]
		if got.ExtraArgs != spec.ExtraArgs || len(got.Argv) != len(spec.Argv) || got.Argv[0] != spec.Argv[0] {
			t.Errorf("command %s = %+v, want %+v", name, got, spec)
		}
	}
}

func TestLoadConfigErrors(t *testing.T) {
	noEnv := func(string) string { return "" }
	for name, args := range map[string][]string{
		"unknown flag": {"-nope"},
		"bad int":      {"-max-threads", "many"},
		"bad duration": {"-ack-wait", "soon"},
		"bad command":  {"-command", "=x"},
		"missing file": {"-config", "/nonexistent/concur.json"},
		"help":         {"-h"},
	} {
		if name == "help" {
			devnull, _ := os.Open(os.DevNull)
			stderr := os.Stderr
			os.Stderr = devnull
			_, _, err := LoadConfig("test", DefaultConfig(), args, noEnv)
			os.Stderr = stderr
			if !errors.Is(err, flag.ErrHelp) {
				t.Errorf("-h: %v", err)
			}
			continue
		}
		if _, _, err := LoadConfig("test", DefaultConfig(), args, noEnv); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	file := filepath.Join(t.TempDir(), "bad.json")
	os.WriteFile(file, []byte(`{"lisen": ":80"}`), 0o600)
	if _, _, err := LoadConfig("test", DefaultConfig(), []string{"-config", file}, noEnv); err == nil {
		t.Error("a misspelt key in the config file was accepted")
	}
	if _, _, err := LoadConfig("test", DefaultConfig(), nil, func(k string) string {
		if k == "CONCUR_MAX_BODY" {
			return "big"
		}
		return ""
	}); err == nil {
		t.Error("a bad environment value was accepted")
	}
}

func TestRedactURL(t *testing.T) {
	for in, want := range map[string]string{
		"nats://TOKEN@server:4222":       "nats://xxxxx@server:4222",
		"nats://user:secret@server:4222": "nats://user:xxxxx@server:4222",
		"nats://server:4222":             "nats://server:4222",
		"nats://%zz":                     "(unparsable URL)",
	} {
		if got := redactURL(in); got != want {
			t.Errorf("redactURL(%q) = %q, want %q", in, got, want)
		}
	}
}
