package server

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
)

// rawRequest sends a request as written, for inputs the Client would
// never produce.
func rawRequest(t *testing.T, method, url, contentType, body string, header ...string) (int, http.Header, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, b
}

func TestBadInput(t *testing.T) {
	cfg := testConfig(t)
	cfg.MaxBodyBytes = 4096
	cfg.Commands = map[string]CommandSpec{
		"fixed": {Argv: []string{"/bin/true"}},
		"echo":  {Argv: []string{"/bin/echo"}, ExtraArgs: true},
	}
	s, _ := startServer(t, cfg)
	base := "http://" + s.Addr()
	const js = "application/json"
	big := `{"function":"test.noop","idempotency_key":"` + strings.Repeat("x", 5000) + `"}`

	for _, tc := range []struct {
		name, method, path, ctype, body string
		status                          int
		code, field                     string
	}{
		{"malformed JSON", "POST", "/jobs", js, `{"function":`, 400, "malformed_json", ""},
		{"syntax error", "POST", "/jobs", js, `{"function" "x"}`, 400, "malformed_json", ""},
		{"empty body", "POST", "/jobs", js, ``, 400, "malformed_json", ""},
		{"two values", "POST", "/jobs", js, `{"function":"test.noop"} {}`, 400, "malformed_json", ""},
		{"not an object", "POST", "/jobs", js, `[1,2]`, 400, "bad_value", ""},
		{"wrong field type", "POST", "/jobs", js, `{"function":5}`, 400, "bad_value", "function"},
		{"unknown field", "POST", "/jobs", js, `{"function":"test.noop","func":"x"}`, 400, "unknown_field", "func"},
		{"bad duration", "POST", "/jobs", js, `{"function":"test.noop","timeout":"soon"}`, 400, "bad_value", ""},
		{"huge duration", "POST", "/jobs", js, `{"function":"test.noop","timeout":1e300}`, 400, "bad_value", ""},
		{"body too large", "POST", "/jobs", js, big, 413, "body_too_large", ""},
		{"form content type", "POST", "/jobs", "application/x-www-form-urlencoded", `{"function":"test.noop"}`, 415, "unsupported_media_type", ""},
		{"no content type", "POST", "/jobs", "", `{"function":"test.noop"}`, 415, "unsupported_media_type", ""},
		{"nothing to run", "POST", "/jobs", js, `{}`, 422, "missing_function", "function"},
		{"function and command", "POST", "/jobs", js, `{"function":"test.noop","command":"fixed"}`, 422, "bad_mode", "command"},
		{"unknown function", "POST", "/jobs", js, `{"function":"cube"}`, 422, "unknown_function", "function"},
		{"bad args type", "POST", "/jobs", js, `{"function":"test.add","args":"two"}`, 422, "bad_args", "args"},
		{"bad args field", "POST", "/jobs", js, `{"function":"test.add","args":{"X":1,"Z":2}}`, 422, "bad_args", "args"},
		{"bad mode", "POST", "/jobs", js, `{"function":"test.noop","mode":"fiber"}`, 422, "bad_mode", "mode"},
		{"function in command mode", "POST", "/jobs", js, `{"function":"test.noop","mode":"command"}`, 422, "bad_mode", "mode"},
		{"command in thread mode", "POST", "/jobs", js, `{"command":"fixed","mode":"thread"}`, 422, "bad_mode", "mode"},
		{"command not allowed", "POST", "/jobs", js, `{"command":"rm","args":["-rf","/"]}`, 403, "command_not_allowed", "command"},
		{"command path not allowed", "POST", "/jobs", js, `{"command":"/bin/sh"}`, 403, "command_not_allowed", "command"},
		{"shell string as args", "POST", "/jobs", js, `{"command":"echo","args":"hi; rm -rf /"}`, 422, "bad_args", "args"},
		{"args to a fixed command", "POST", "/jobs", js, `{"command":"fixed","args":["x"]}`, 422, "bad_args", "args"},
		{"NUL in a command arg", "POST", "/jobs", js, `{"command":"echo","args":["a\u0000b"]}`, 422, "bad_args", "args"},
		{"bad priority", "POST", "/jobs", js, `{"function":"test.noop","priority":"urgent"}`, 422, "bad_priority", "priority"},
		{"negative timeout", "POST", "/jobs", js, `{"function":"test.noop","timeout":"-1s"}`, 422, "bad_timeout", "timeout"},
		{"negative retries", "POST", "/jobs", js, `{"function":"test.noop","retries":-1}`, 422, "bad_retries", "retries"},
		{"too many retries", "POST", "/jobs", js, `{"function":"test.noop","retries":1000}`, 422, "bad_retries", "retries"},
		{"fractional retries", "POST", "/jobs", js, `{"function":"test.noop","retries":1.5}`, 400, "bad_value", "retries"},
		{"negative delay", "POST", "/jobs", js, `{"function":"test.noop","delay":-5}`, 422, "bad_delay", "delay"},
		{"delay too long", "POST", "/jobs", js, `{"function":"test.noop","delay":"10000h"}`, 422, "bad_delay", "delay"},
		{"control char in key", "POST", "/jobs", js, `{"function":"test.noop","idempotency_key":"a\nb"}`, 422, "bad_idempotency_key", "idempotency_key"},
		{"unknown job", "GET", "/jobs/00000000000000000000000000", "", "", 404, "not_found", "id"},
		{"malformed job id", "GET", "/jobs/..%2f..%2fetc", "", "", 404, "not_found", ""},
		{"cancel unknown job", "POST", "/jobs/00000000000000000000000000/cancel", "", "", 404, "not_found", "id"},
		{"retry unknown job", "POST", "/jobs/00000000000000000000000000/retry", "", "", 404, "not_found", "id"},
		{"events of unknown job", "GET", "/jobs/00000000000000000000000000/events", "", "", 404, "not_found", "id"},
		{"bad state filter", "GET", "/jobs?state=done", "", "", 400, "bad_query", "state"},
		{"bad mode filter", "GET", "/jobs?mode=fiber", "", "", 400, "bad_query", "mode"},
		{"bad limit", "GET", "/jobs?limit=0", "", "", 400, "bad_query", "limit"},
		{"huge limit", "GET", "/jobs?limit=99999", "", "", 400, "bad_query", "limit"},
		{"bad cursor", "GET", "/jobs?cursor=yesterday", "", "", 400, "bad_query", "cursor"},
		{"unknown parameter", "GET", "/jobs?sate=running", "", "", 400, "bad_query", "sate"},
		{"bad events filter", "GET", "/events?state=nope", "", "", 400, "bad_query", "state"},
		{"bad stats window", "GET", "/stats?seconds=-3", "", "", 400, "bad_query", "seconds"},
		{"unknown route", "GET", "/nope", "", "", 404, "not_found", ""},
		{"wrong method", "DELETE", "/jobs", "", "", 405, "method_not_allowed", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, header, body := rawRequest(t, tc.method, base+tc.path, tc.ctype, tc.body)
			var e APIError
			if err := json.Unmarshal(body, &e); err != nil {
				t.Fatalf("%d with a body that is not JSON: %q", status, body)
			}
			if status != tc.status || e.Code != tc.code || (tc.field != "" && e.Field != tc.field) || e.Detail == "" {
				t.Errorf("got %d %+v, want %d %s field %q", status, e, tc.status, tc.code, tc.field)
			}
			if ct := header.Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type %q", ct)
			}
		})
	}
}

func TestAuth(t *testing.T) {
	cfg := testConfig(t)
	cfg.Token = "s3cret"
	s, c := startServer(t, cfg)
	base := "http://" + s.Addr()
	for _, h := range [][]string{nil, {"Authorization", "Bearer wrong"}, {"Authorization", "s3cret"}, {"Authorization", "Basic czNjcmV0"}} {
		status, header, body := rawRequest(t, "GET", base+"/jobs", "", "", h...)
		if status != 401 || !strings.Contains(string(body), `"unauthorized"`) || header.Get("WWW-Authenticate") == "" {
			t.Errorf("%v: %d %s", h, status, body)
		}
	}
	// Probes need no token; the API does, and works with it.
	for _, path := range []string{"/healthz", "/readyz"} {
		if status, _, body := rawRequest(t, "GET", base+path, "", ""); status != 200 {
			t.Errorf("%s: %d %s", path, status, body)
		}
	}
	j := submit(t, c, JobRequest{Function: "test.noop"})
	if done := waitJob(t, c, j.ID); done.State != Succeeded {
		t.Errorf("job %+v", done)
	}
}

func TestIdempotencyKey(t *testing.T) {
	s, c := startServer(t, testConfig(t))
	a := submit(t, c, JobRequest{Function: "test.add", Args: json.RawMessage(`{"X":1,"Y":1}`), IdempotencyKey: "order-17"})
	// The same request again — also through the header — is the same job.
	status, header, body := rawRequest(t, "POST", "http://"+s.Addr()+"/jobs", "application/json",
		`{"function":"test.add","args":{"X":1, "Y":1}}`, "Idempotency-Key", "order-17")
	var b Job
	json.Unmarshal(body, &b)
	if status != 200 || header.Get("Idempotent-Replayed") != "true" || b.ID != a.ID {
		t.Errorf("repeat: %d %s", status, body)
	}
	// The key with another request is refused.
	status, _, body = rawRequest(t, "POST", "http://"+s.Addr()+"/jobs", "application/json",
		`{"function":"test.add","args":{"X":1,"Y":2},"idempotency_key":"order-17"}`)
	if status != 409 || !strings.Contains(string(body), "idempotency_conflict") {
		t.Errorf("reuse: %d %s", status, body)
	}
	status, _, body = rawRequest(t, "POST", "http://"+s.Addr()+"/jobs", "application/json",
		`{"function":"test.noop","idempotency_key":"a"}`, "Idempotency-Key", "b")
	if status != 422 {
		t.Errorf("header and field differ: %d %s", status, body)
	}
	if done := waitJob(t, c, a.ID); done.State != Succeeded || string(done.Result) != "2" {
		t.Errorf("job %+v", done)
	}
}
