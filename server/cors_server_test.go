package server

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// The policy on the real server: outermost, so preflights need no token
// and every error keeps its headers; cross-origin forgery is refused
// unless the policy trusts the origin.
func TestCORSOnServer(t *testing.T) {
	cfg := testConfig(t)
	cfg.Token = "cors-token"
	cfg.MaxBodyBytes = 64
	cfg.CORS = CORSPolicy{
		AllowOrigins:  []string{"https://app.test"},
		AllowMethods:  []string{"GET", "POST"},
		AllowHeaders:  []string{"Authorization"},
		ExposeHeaders: []string{"Location"},
	}
	s, c := startServer(t, cfg)
	job := submit(t, c, JobRequest{Function: "test.noop"})
	base := "http://" + s.Addr()

	send := func(method, path, body string, header ...string) *http.Response {
		t.Helper()
		req, _ := http.NewRequest(method, base+path, strings.NewReader(body))
		for i := 0; i+1 < len(header); i += 2 {
			req.Header.Set(header[i], header[i+1])
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res
	}
	const app, evil = "https://app.test", "https://evil.test"
	auth := "Bearer " + cfg.Token
	tests := []struct {
		name        string
		res         *http.Response
		status      int
		allowOrigin string
		exposes, ok bool
	}{
		{"preflight before auth", send("OPTIONS", "/jobs", "", "Origin", app, "Access-Control-Request-Method", "POST", "Access-Control-Request-Headers", "authorization, content-type"), 200, app, false, true},
		{"preflight of a route that does not exist", send("OPTIONS", "/nowhere", "", "Origin", app, "Access-Control-Request-Method", "GET"), 200, app, false, true},
		{"preflight from another origin", send("OPTIONS", "/jobs", "", "Origin", evil, "Access-Control-Request-Method", "POST"), 400, "", false, true},
		{"401 keeps the headers", send("GET", "/jobs", "", "Origin", app), 401, app, true, true},
		{"404 keeps the headers", send("GET", "/jobs/00000000000000000000000000", "", "Origin", app, "Authorization", auth), 404, app, true, true},
		{"405 keeps the headers", send("DELETE", "/jobs", "", "Origin", app, "Authorization", auth), 405, app, true, true},
		{"413 keeps the headers", send("POST", "/jobs", `{"function":"test.noop","args":"`+strings.Repeat("x", 100)+`"}`, "Origin", app, "Authorization", auth, "Content-Type", "application/json"), 413, app, true, true},
		{"the dashboard page too", send("GET", "/", "", "Origin", app), 200, app, true, true},
		{"an allowed origin's cross-site POST", send("POST", "/jobs/"+job.ID+"/retry", "", "Origin", app, "Sec-Fetch-Site", "cross-site", "Authorization", auth), 409, app, true, true},
		{"another origin's GET runs", send("GET", "/healthz", "", "Origin", evil), 200, "", false, true},
		{"another origin's cross-site POST is refused", send("POST", "/jobs/"+job.ID+"/cancel", "", "Origin", evil, "Sec-Fetch-Site", "cross-site", "Authorization", auth), 403, "", false, true},
		{"same-origin POST", send("POST", "/jobs/"+job.ID+"/cancel", "", "Origin", base, "Sec-Fetch-Site", "same-origin", "Authorization", auth), 409, "", false, true},
		{"no Origin: untouched", send("POST", "/jobs/"+job.ID+"/cancel", "", "Authorization", auth), 409, "", false, false},
	}
	for _, tt := range tests {
		h := tt.res.Header
		if tt.res.StatusCode != tt.status || h.Get(acao) != tt.allowOrigin || (h.Get(aceh) == "Location") != tt.exposes || (h.Get("Vary") != "") != tt.ok {
			t.Errorf("%s: %d, Allow-Origin %q, Expose-Headers %q, Vary %q; want %d, %q, exposes %v, varies %v",
				tt.name, tt.res.StatusCode, h.Get(acao), h.Get(aceh), h.Get("Vary"), tt.status, tt.allowOrigin, tt.exposes, tt.ok)
		}
	}
	if j, err := c.Get(context.Background(), job.ID); err != nil || j.CancelRequested {
		t.Errorf("the refused cross-origin cancel changed the job: %+v, %v", j, err)
	}
}

// A panic's 500 keeps the headers: they are set before the handler runs,
// and the server's recoverer writes inside the policy.
func TestCORSOnPanic(t *testing.T) {
	s := &Server{log: testConfig(t).Logger}
	c, err := CORSPolicy{AllowOrigins: []string{"https://app.test"}}.compile()
	if err != nil {
		t.Fatal(err)
	}
	h := c.wrap(recoverer(s, http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic("bug") })))
	req := httptest.NewRequest("GET", "/", nil)
	req.Header.Set("Origin", "https://app.test")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != 500 || rec.Header().Get(acao) != "https://app.test" {
		t.Errorf("%d %v", rec.Code, rec.Header())
	}
}

func TestCORSConfig(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "concur.json")
	os.WriteFile(file, []byte(`{"cors": {"allow_origins": ["https://file.test"], "allow_methods": ["GET", "POST"], "max_age": 60, "allow_credentials": true}}`), 0o600)
	env := map[string]string{"CONCUR_CORS_ALLOW_HEADERS": "Authorization, X-Trace", "CONCUR_CORS_MAX_AGE": "120"}
	cfg, _, err := LoadConfig("test", DefaultConfig(), []string{
		"-config", file,
		"-cors-allow-origins", "https://a.test, https://b.test",
		"-cors-expose-headers", "Location",
		"-cors-allow-private-network",
	}, func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	want := CORSPolicy{
		AllowOrigins:        []string{"https://a.test", "https://b.test"}, // the flag replaces the file's list
		AllowMethods:        []string{"GET", "POST"},
		AllowHeaders:        []string{"Authorization", "X-Trace"},
		AllowCredentials:    true,
		ExposeHeaders:       []string{"Location"},
		MaxAge:              120,
		AllowPrivateNetwork: true,
	}
	if got := cfg.CORS; !reflect.DeepEqual(got, want) {
		t.Errorf("CORS = %+v\nwant %+v", got, want)
	}

	cfg = testConfig(t)
	cfg.CORS = CORSPolicy{AllowOrigins: []string{"*"}, AllowCredentials: true}
	if _, err := New(cfg); err == nil || !strings.Contains(err.Error(), `allow_origins "*" with allow_credentials`) {
		t.Errorf("New with a wildcard origin and credentials: %v", err)
	}
	if _, _, err := LoadConfig("test", DefaultConfig(), []string{"-cors-allow-credentials=maybe"}, func(string) string { return "" }); err == nil {
		t.Errorf("a bad boolean was accepted")
	}
}
