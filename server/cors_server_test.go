package server

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
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

// A page on another origin calls the API from a real browser: the
// preflight, the POST with the token, the exposed Location header. A page
// on an origin the policy does not allow can neither call it nor forge a
// bodiless POST (a "simple" request, sent without preflight).
func TestCORSInBrowser(t *testing.T) {
	blank := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "<!doctype html><title>another origin</title>")
	})
	app, other := httptest.NewServer(blank), httptest.NewServer(blank)
	defer app.Close()
	defer other.Close()
	cfg := testConfig(t)
	cfg.Token = "browser-token"
	cfg.CORS = CORSPolicy{
		AllowOrigins:  []string{app.URL},
		AllowMethods:  []string{"GET", "POST"},
		AllowHeaders:  []string{"Authorization"},
		ExposeHeaders: []string{"Location"},
	}
	s, c := startServer(t, cfg)
	tab, _ := browser(t)
	ctx, cancel := context.WithTimeout(tab, time.Minute)
	defer cancel()
	api := "http://" + s.Addr()

	call := func(page, script string) string {
		t.Helper()
		if err := chromedp.Do(ctx, chromedp.Navigate(page)); err != nil {
			t.Fatal(err)
		}
		got, err := chromedp.Run(ctx, chromedp.Evaluate[string](script, chromedp.EvalAwaitPromise))
		if err != nil {
			t.Fatal(err)
		}
		return got
	}

	got := call(app.URL, fmt.Sprintf(`(async () => {
		const api = %q, auth = {Authorization: "Bearer %s"};
		const res = await fetch(api + "/jobs", {method: "POST", headers: {...auth, "Content-Type": "application/json"},
			body: JSON.stringify({function: "test.add", args: {X: 1, Y: 2}})});
		const loc = res.headers.get("Location");
		let job;
		for (let i = 0; i < 200; i++) {
			job = await (await fetch(api + loc, {headers: auth})).json();
			if (job.state === "succeeded") break;
			await new Promise((r) => setTimeout(r, 50));
		}
		const again = await fetch(api + loc + "/cancel", {method: "POST", headers: auth});
		return [res.status, loc === "/jobs/" + job.id, job.state, job.result, again.status].join(" ");
	})()`, api, cfg.Token))
	if want := "201 true succeeded 3 409"; got != want {
		t.Errorf("from an allowed origin: %q, want %q", got, want)
	}

	got = call(other.URL, fmt.Sprintf(`(async () => {
		try {
			await fetch(%q + "/jobs", {method: "POST", headers: {Authorization: "Bearer %s", "Content-Type": "application/json"}, body: "{}"});
			return "read";
		} catch (e) {
			return "blocked";
		}
	})()`, api, cfg.Token))
	if got != "blocked" {
		t.Errorf("from another origin: %q, want blocked", got)
	}

	// A server without a token would run a bodiless cross-origin POST
	// (the page cannot read the answer, but the job would be cancelled)
	// were it not for the forgery check.
	cfg = testConfig(t)
	cfg.CORS.AllowOrigins = []string{app.URL}
	open, c := startServer(t, cfg)
	block := submit(t, c, JobRequest{Function: "test.block"})
	defer c.Cancel(context.Background(), block.ID)
	waitState(t, c, block.ID, Running)
	got = call(other.URL, fmt.Sprintf(`fetch("http://%s/jobs/%s/cancel", {method: "POST", mode: "no-cors"}).then((r) => r.type)`, open.Addr(), block.ID))
	if got != "opaque" {
		t.Errorf("forged request: %q", got)
	}
	if j, err := c.Get(context.Background(), block.ID); err != nil || j.CancelRequested || j.State != Running {
		t.Errorf("a forged cancel reached the job: %+v %v", j, err)
	}
	// The same request from the origin the policy trusts goes through.
	call(app.URL, fmt.Sprintf(`fetch("http://%s/jobs/%s/cancel", {method: "POST", mode: "no-cors"}).then((r) => r.type)`, open.Addr(), block.ID))
	if j := waitJob(t, c, block.ID); j.State != Cancelled {
		t.Errorf("cancel from the allowed origin: %s", j.State)
	}
}
