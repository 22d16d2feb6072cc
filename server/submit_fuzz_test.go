package server

import (
	"bytes"
	"net/http/httptest"
	"testing"
)

// FuzzSubmitRequest feeds arbitrary bodies through the submission path up
// to the store: every body is either accepted or refused with a 4xx
// APIError — never a panic, never a 5xx.
func FuzzSubmitRequest(f *testing.F) {
	for _, seed := range []string{
		`{"function":"test.add","args":{"X":1,"Y":2},"mode":"process","priority":"high","timeout":"1s","retries":3,"delay":0.5,"idempotency_key":"k"}`,
		`{"command":"echo","args":["a","b"]}`,
		`{"command":"fixed","args":null}`,
		`{"function":"test.noop","timeout":1e308}`,
		`{"function":"test.flaky","args":{"key":"x","fails":"2"}}`,
		`{"function":"", "command":""}`,
		`{"function":"test.noop","retries":null,"delay":"-1h"}`,
		`[]`, `null`, `"x"`, `{`, ``,
	} {
		f.Add([]byte(seed))
	}
	cfg := DefaultConfig()
	cfg.MaxBodyBytes = 1 << 16
	cfg.Commands = map[string]CommandSpec{
		"fixed": {Argv: []string{"/bin/true"}},
		"echo":  {Argv: []string{"/bin/echo"}, ExtraArgs: true},
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		req := httptest.NewRequest("POST", "/jobs", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		var jr JobRequest
		err := decodeBody(httptest.NewRecorder(), req, cfg.MaxBodyBytes, &jr)
		if err == nil {
			var r *record
			r, aerr := validateRequest(&cfg, &jr)
			if aerr == nil {
				if r.Mode == "" || r.Priority == "" || r.Retries < 0 || r.Timeout < 0 {
					t.Fatalf("accepted %q as %+v", body, r)
				}
				return
			}
			err = aerr
		}
		ae, ok := err.(*APIError)
		if !ok || ae.Status < 400 || ae.Status > 499 || ae.Code == "" || ae.Detail == "" {
			t.Fatalf("body %q: %v", body, err)
		}
	})
}
