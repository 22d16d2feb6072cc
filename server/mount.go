package server

import "net/http"

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

// wrapOuter wraps the whole stack. CORS belongs here: outermost, so that
// every response — 401, 404, 413, a recovered panic's 500 — carries its
// headers, and preflights are answered before authentication (a browser
// sends no token with them).
func (s *Server) wrapOuter(h http.Handler) http.Handler { return h }
