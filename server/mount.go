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

// wrapOuter wraps the whole stack in Config.CORS, outermost, so that every
// response — 401, 404, 413, a recovered panic's 500 — carries its headers,
// and preflights are answered before authentication (a browser sends no
// token with them).
//
// Inside CORS, Go's cross-origin forgery check (http.CrossOriginProtection)
// refuses a browser's state-changing request from another origin unless
// the CORS policy allows that origin. Without it, any web page could send
// a server without a token a "simple" cross-origin POST — cancel and retry
// take no body, so no preflight stands in the way — even though CORS would
// never let the page read the answer.
func (s *Server) wrapOuter(h http.Handler) http.Handler {
	cors, err := s.cfg.CORS.compile()
	if err != nil {
		panic(err) // unreachable: New validated the configuration
	}
	forgery := http.NewCrossOriginProtection()
	guarded := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := forgery.Check(r); err != nil && !cors.allowedOrigin(r.Header.Get("Origin")) {
			writeError(w, apiErr(http.StatusForbidden, "cross_origin", "",
				"%s from another origin refused: a page on %q may call this API only if the server allows that origin (-cors-allow-origins)", r.Method, r.Header.Get("Origin")))
			return
		}
		h.ServeHTTP(w, r)
	})
	return cors.wrap(guarded)
}
