package server

import (
	"net"
	"net/http"
	"testing"
)

func TestLocalHost(t *testing.T) {
	for host, want := range map[string]bool{
		"localhost":              true,
		"localhost:8000":         true,
		"LOCALHOST.:8000":        true,
		"app.localhost:3000":     true,
		"127.0.0.1:8000":         true,
		"127.8.9.10":             true,
		"[::1]:8000":             true,
		"[::1]":                  true,
		"myhost:8000":            true, // the -listen host
		"evil.example":           false,
		"evil.example:8000":      false,
		"localhost.evil.example": false,
		"10.0.0.1:8000":          false,
		"[::2]:8000":             false,
		"notlocalhost:8000":      false,
	} {
		if got := localHost(host, "myhost"); got != want {
			t.Errorf("localHost(%q) = %v, want %v", host, got, want)
		}
	}
}

// A server without a token answers only to the names of this machine, so
// that a page whose DNS name is re-pointed at 127.0.0.1 cannot use it; with
// a token the name does not matter.
func TestDNSRebindingRefused(t *testing.T) {
	get := func(addr, host string) int {
		t.Helper()
		req, _ := http.NewRequest("GET", "http://"+addr+"/healthz", nil)
		req.Host = host
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	open, _ := startServer(t, testConfig(t))
	_, port, _ := net.SplitHostPort(open.Addr())
	for host, want := range map[string]int{
		"127.0.0.1:" + port:    200,
		"localhost:" + port:    200,
		"evil.example:" + port: http.StatusMisdirectedRequest,
		"evil.example":         http.StatusMisdirectedRequest,
	} {
		if got := get(open.Addr(), host); got != want {
			t.Errorf("without a token, Host %q: %d, want %d", host, got, want)
		}
	}
	cfg := testConfig(t)
	cfg.Token = "rebinding-token"
	closed, _ := startServer(t, cfg)
	if got := get(closed.Addr(), "evil.example"); got != 200 {
		t.Errorf("with a token, Host evil.example: %d, want 200", got)
	}
}
