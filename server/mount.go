package server

import "net/http"

// The two places where the browser-facing parts attach to the HTTP stack.

// mountUI registers the routes a browser loads without a token: the page
// at "/" and its assets. The page's own calls go to the JSON API with the
// token (see api.go): GET /queues, /workers, /jobs, /stats, the /events
// stream, and POST /jobs/{id}/cancel and /retry. Until the dashboard's
// files take over this function, "/" answers with a short JSON index.
func (s *Server) mountUI(public *http.ServeMux) {
	public.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{
			"service":   "concur",
			"functions": Functions(),
			"api":       []string{"POST /jobs", "GET /jobs", "GET /jobs/{id}", "POST /jobs/{id}/cancel", "POST /jobs/{id}/retry", "GET /jobs/{id}/events", "GET /events", "GET /functions", "GET /queues", "GET /workers", "GET /stats", "GET /metrics", "GET /healthz", "GET /readyz"},
		})
	})
}

// wrapOuter wraps the whole stack. CORS belongs here: outermost, so that
// every response — 401, 404, 413, a recovered panic's 500 — carries its
// headers, and preflights are answered before authentication (a browser
// sends no token with them).
func (s *Server) wrapOuter(h http.Handler) http.Handler { return h }
