package server

import (
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// The two places where the browser-facing parts attach to the HTTP stack.

// mountUI registers what a browser loads without a token: the dashboard
// page at "/" and its files under /dashboard/. The page's own calls go to
// the JSON API with the token (see api.go): GET /functions, /queues,
// /workers, /jobs, /stats, the /events stream, and POST /jobs,
// /jobs/{id}/cancel and /retry.
func (s *Server) mountUI(public *http.ServeMux) {
	public.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		serveDashboard(w, r, "index.html")
	})
	public.HandleFunc("GET /dashboard/{file}", func(w http.ResponseWriter, r *http.Request) {
		serveDashboard(w, r, r.PathValue("file"))
	})
}

// wrapOuter wraps the whole stack in Config.CORS, outermost, so that every
// response — 401, 404, 413, a recovered panic's 500 — carries its headers,
// and preflights are answered before authentication (a browser sends no
// token with them). Inside CORS, two checks keep other web sites' pages
// from using a browser to drive the API:
//
//   - Cross-origin forgery: Go's http.CrossOriginProtection refuses a
//     browser's state-changing request from another origin unless the CORS
//     policy allows that origin. Without it, any web page could send a
//     server without a token a "simple" cross-origin POST — cancel and
//     retry take no body, so no preflight stands in the way — even though
//     CORS would never let the page read the answer.
//   - DNS rebinding: a server without a token (so, on loopback) answers
//     only requests whose Host names it as localhost, a loopback address or
//     its -listen host. Otherwise a page on evil.example whose name is
//     re-pointed at 127.0.0.1 would be same-origin with the API, beyond
//     the reach of CORS. A token makes the check needless: the page does
//     not have it.
func (s *Server) wrapOuter(h http.Handler) http.Handler {
	cors, err := s.cfg.CORS.compile()
	if err != nil {
		panic(err) // unreachable: New validated the configuration
	}
	listenHost, _, _ := net.SplitHostPort(s.cfg.Listen)
	forgery := http.NewCrossOriginProtection()
	guarded := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.cfg.Token == "" && r.Host != "" && !localHost(r.Host, listenHost) {
			writeError(w, apiErr(http.StatusMisdirectedRequest, "host_not_allowed", "",
				"this server has no API token, so it answers only to localhost, loopback addresses and %q, not %q (set a token to serve other names)", listenHost, r.Host))
			return
		}
		if err := forgery.Check(r); err != nil && !cors.allowedOrigin(r.Header.Get("Origin")) {
			writeError(w, apiErr(http.StatusForbidden, "cross_origin", "",
				"%s from another origin refused: a page on %q may call this API only if the server allows that origin (-cors-allow-origins)", r.Method, r.Header.Get("Origin")))
			return
		}
		h.ServeHTTP(w, r)
	})
	return cors.wrap(guarded)
}

// localHost reports whether a Host header names this machine: localhost
// (or a name under .localhost, which browsers resolve to loopback
// themselves), a loopback address, or the host the server listens on.
func localHost(host, listenHost string) bool {
	name, _, err := net.SplitHostPort(host)
	if err != nil {
		name = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]") // no port
	}
	name = strings.ToLower(strings.TrimSuffix(name, "."))
	if ip, err := netip.ParseAddr(name); err == nil {
		return ip.IsLoopback()
	}
	return name == "localhost" || strings.HasSuffix(name, ".localhost") || (listenHost != "" && strings.EqualFold(name, listenHost))
}
