package server

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// The page and its files are public, revalidated by ETag, and locked down
// by a content security policy; the API behind them still needs the token.
func TestDashboardAssets(t *testing.T) {
	cfg := testConfig(t)
	cfg.Token = "dashboard-token"
	s, _ := startServer(t, cfg)
	base := "http://" + s.Addr()

	get := func(path string, header ...string) (*http.Response, string) {
		t.Helper()
		req, _ := http.NewRequest("GET", base+path, nil)
		for i := 0; i+1 < len(header); i += 2 {
			req.Header.Set(header[i], header[i+1])
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res, string(b)
	}

	res, page := get("/")
	if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("GET / = %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
	if csp := res.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") || !strings.Contains(csp, "connect-src 'self'") {
		t.Errorf("Content-Security-Policy %q", csp)
	}
	// Every file the page names is served, with its type; nothing comes
	// from another origin.
	refs := regexp.MustCompile(`(?:src|href)="([^"]+)"`).FindAllStringSubmatch(page, -1)
	if len(refs) < 3 {
		t.Fatalf("page references %v", refs)
	}
	wantType := map[string]string{".js": "javascript", ".css": "text/css", ".svg": "image/svg+xml"}
	for _, ref := range refs {
		path := ref[1]
		if !strings.HasPrefix(path, "/dashboard/") {
			t.Errorf("page loads %q from outside /dashboard/", path)
			continue
		}
		res, body := get(path)
		ext := path[strings.LastIndex(path, "."):]
		if res.StatusCode != 200 || !strings.Contains(res.Header.Get("Content-Type"), wantType[ext]) || len(body) == 0 {
			t.Errorf("GET %s = %d %q, %d bytes", path, res.StatusCode, res.Header.Get("Content-Type"), len(body))
		}
		etag := res.Header.Get("ETag")
		if res, _ := get(path, "If-None-Match", etag); etag == "" || res.StatusCode != http.StatusNotModified {
			t.Errorf("GET %s with If-None-Match %q = %d, want 304", path, etag, res.StatusCode)
		}
	}
	if res, body := get("/dashboard/secret.txt"); res.StatusCode != 404 || !strings.Contains(body, `"not_found"`) {
		t.Errorf("unknown file: %d %s", res.StatusCode, body)
	}
	if res, _ := get("/dashboard/../config.go"); res.StatusCode == 200 {
		t.Errorf("path escape answered 200")
	}
	if res, _ := get("/jobs"); res.StatusCode != http.StatusUnauthorized {
		t.Errorf("GET /jobs without the token = %d, want 401", res.StatusCode)
	}
}

// chromium returns the path of the browser, or skips the test when there
// is none (unless CONCUR_REQUIRE_TOOLS=1 says it must be there).
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CONCUR_REQUIRE_TOOLS") == "1" {
		t.Fatal("chromium not found (apt-get install chromium) and CONCUR_REQUIRE_TOOLS=1")
	}
	t.Skip("chromium not found: apt-get install chromium")
	return ""
}

// browser starts a headless Chromium with a fresh profile and returns a tab
// context whose uncaught exceptions, console errors and policy violations
// are reported by the returned function.
func browser(t *testing.T) (context.Context, func() []string) {
	t.Helper()
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(chromium(t)),
		chromedp.Flag("headless", true),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1440, 1100),
	)
	ctx, cancel := chromedp.NewContext(alloc)
	t.Cleanup(func() {
		cancel()
		cancelAlloc()
	})
	var mu sync.Mutex
	var problems []string
	note := func(s string) {
		mu.Lock()
		problems = append(problems, s)
		mu.Unlock()
	}
	err := chromedp.Listen(ctx, func(ev any) {
		switch ev := ev.(type) {
		case *runtime.EventExceptionThrown:
			d := ev.ExceptionDetails
			msg := d.Text
			if d.Exception != nil {
				msg += " " + d.Exception.Description
			}
			note(fmt.Sprintf("uncaught exception at %s:%d: %s", d.URL, d.LineNumber+1, msg))
		case *runtime.EventConsoleAPICalled:
			if ev.Type == runtime.ConsoleAPICalledTypeError {
				note("console.error")
			}
		case *log.EventEntryAdded:
			// Network entries are the API's own answers (the 401 that asks
			// for the token); anything else at error level is a fault.
			if e := ev.Entry; e.Level == log.EntryLevelError && e.Source != log.EntrySourceNetwork {
				note(fmt.Sprintf("%s: %s", e.Source, e.Text))
			}
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Call(ctx, log.Enable, cdp.Empty{}); err != nil {
		t.Fatal(err)
	}
	return ctx, func() []string {
		mu.Lock()
		defer mu.Unlock()
		return problems
	}
}

// A job submitted through the API shows on the page and completes there;
// the page's cancel and retry buttons and its form work; the token is
// asked for and used.
func TestDashboardInBrowser(t *testing.T) {
	cfg := testConfig(t)
	cfg.Token = "dashboard-token"
	s, c := startServer(t, cfg)
	tab, problems := browser(t)
	ctx, cancel := context.WithTimeout(tab, 2*time.Minute)
	defer cancel()

	// do runs the actions of one step within 30 s; on failure it reports
	// what the jobs table showed.
	do := func(what string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		step, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		if err := chromedp.Do(step, actions...); err != nil {
			table, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`[...document.querySelectorAll("#jobs tr")].map(r => r.dataset.id + " " + r.dataset.state + ": " + r.innerText.replaceAll("\t", " | ")).join("\n")`))
			var api []string
			if l, err := c.List(context.Background(), nil); err == nil {
				for _, j := range l.Jobs {
					api = append(api, j.ID+" "+string(j.State))
				}
			}
			conn, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector("#conn").dataset.state`))
			t.Fatalf("%s: %v\npage problems: %q\nconnection: %s\njobs table:\n%s\njobs by the API:\n%s", what, err, problems(), conn, table, strings.Join(api, "\n"))
		}
	}
	row := func(id, state string) chromedp.CSS {
		return chromedp.CSS(fmt.Sprintf(`#jobs tr[data-id=%q][data-state=%q]`, id, state))
	}
	text := func(sel string) string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
		if err != nil {
			t.Fatalf("text of %s: %v", sel, err)
		}
		return s
	}

	do("open the page and give a wrong token",
		chromedp.Navigate("http://"+s.Addr()+"/"),
		chromedp.WaitVisible(chromedp.CSS(`#token-dialog input`)),
		chromedp.SendKeys(chromedp.CSS(`#token-dialog input`), "wrong"),
		chromedp.Click(chromedp.CSS(`#token-dialog button[type=submit]`)),
	)
	do("the page asks again", chromedp.WaitVisible(chromedp.CSS(`#token-error`)))
	do("give the right one",
		chromedp.SetValue(chromedp.CSS(`#token-dialog input`), cfg.Token),
		chromedp.Click(chromedp.CSS(`#token-dialog button[type=submit]`)),
	)
	do("the page goes live", chromedp.WaitVisible(chromedp.CSS(`#conn[data-state="live"]`)))

	add := submit(t, c, JobRequest{Function: "test.add", Args: json.RawMessage(`{"X":2,"Y":3}`)})
	do("a job submitted through the API completes on the page", chromedp.WaitVisible(row(add.ID, "succeeded")))
	if got := text(fmt.Sprintf(`#jobs tr[data-id=%q] td.result`, add.ID)); got != "5" {
		t.Errorf("result cell %q, want 5", got)
	}

	block := submit(t, c, JobRequest{Function: "test.block"})
	do("cancel a running job",
		chromedp.WaitVisible(row(block.ID, "running")),
		chromedp.Click(chromedp.CSS(fmt.Sprintf(`#jobs tr[data-id=%q] button.cancel`, block.ID))),
		chromedp.WaitVisible(row(block.ID, "cancelled")),
	)
	if j := waitJob(t, c, block.ID); j.State != Cancelled {
		t.Errorf("after Cancel on the page the job is %s", j.State)
	}

	key := fmt.Sprintf(`{"key":"dashboard-%d","fails":1}`, time.Now().UnixNano()) // test.flaky counts calls per key for the process's life
	flaky := submit(t, c, JobRequest{Function: "test.flaky", Args: json.RawMessage(key), Retries: new(0)})
	do("retry a failed job",
		chromedp.WaitVisible(row(flaky.ID, "failed")),
		chromedp.Click(chromedp.CSS(fmt.Sprintf(`#jobs tr[data-id=%q] button.retry`, flaky.ID))),
		chromedp.WaitVisible(row(flaky.ID, "succeeded")),
	)

	do("submit with the form",
		chromedp.SetValue(chromedp.CSS(`#submit select[name=what]`), "f:test.add"),
		chromedp.SetValue(chromedp.CSS(`#submit textarea[name=args]`), `{"X": 20, "Y": 22}`),
		chromedp.Click(chromedp.CSS(`#submit button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`#submit-status[data-id]`)),
	)
	id, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector("#submit-status").dataset.id`))
	if err != nil {
		t.Fatal(err)
	}
	do("the form's job completes", chromedp.WaitVisible(row(id, "succeeded")))
	if got := text(fmt.Sprintf(`#jobs tr[data-id=%q] td.result`, id)); got != "42" {
		t.Errorf("form job's result %q, want 42", got)
	}

	do("filter by state",
		chromedp.Click(chromedp.CSS(`#state-filter button[data-state="cancelled"]`)),
		chromedp.WaitNotPresent(chromedp.CSS(fmt.Sprintf(`#jobs tr[data-id=%q]`, add.ID))),
		chromedp.WaitVisible(row(block.ID, "cancelled")),
		chromedp.Click(chromedp.CSS(`#state-filter button[data-state=""]`)),
		chromedp.WaitVisible(row(add.ID, "succeeded")),
	)

	do("queues, workers and charts fill in",
		chromedp.WaitVisible(chromedp.CSS(`#queues .queue[data-mode="thread"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#workers tr[data-node="test"]`)),
		chromedp.Poll[chromedp.Void](`Number(document.querySelector('#tp-legend [data-key="succeeded"] b').textContent) >= 3`, chromedp.WithPollingTimeout(20*time.Second)),
	)
	if got := text(`#queues .queue[data-mode="thread"] b.waiting`); got != "0" {
		t.Errorf("thread jobs waiting: %q", got)
	}

	if path := os.Getenv("CONCUR_DASHBOARD_SCREENSHOT"); path != "" {
		png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if p := problems(); len(p) > 0 {
		t.Errorf("the page reported problems:\n%s", strings.Join(p, "\n"))
	}
}
