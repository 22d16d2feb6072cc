package server

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"time"
)

// The dashboard is a page and three files embedded in the binary: no build
// step, nothing fetched from elsewhere at run time. It is served without a
// token — it holds no data — and calls the JSON API like any client, with
// the token the user types in (see dashboard/app.js).

//go:embed dashboard
var dashboardFiles embed.FS

// dashboardCSP lets the page load only its own files and talk only to its
// own server: the token it keeps is worth stealing, so no inline script
// and no other origin.
const dashboardCSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; " +
	"connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

type dashboardAsset struct {
	body        []byte
	contentType string
	etag        string
}

// dashboardAssets maps a file name to its content, read once at start-up.
var dashboardAssets = func() map[string]*dashboardAsset {
	files, err := fs.Glob(dashboardFiles, "dashboard/*")
	if err != nil {
		panic(err)
	}
	out := make(map[string]*dashboardAsset, len(files))
	for _, name := range files {
		body, err := dashboardFiles.ReadFile(name)
		if err != nil {
			panic(err)
		}
		sum := sha256.Sum256(body)
		out[path.Base(name)] = &dashboardAsset{
			body:        body,
			contentType: mime.TypeByExtension(path.Ext(name)),
			etag:        `"` + base64.RawURLEncoding.EncodeToString(sum[:12]) + `"`,
		}
	}
	return out
}()

// serveDashboard serves one embedded file. The ETag is its content's hash
// and the browser revalidates every time (no-cache), so an upgraded binary
// is never mixed with a cached page.
func serveDashboard(w http.ResponseWriter, r *http.Request, name string) {
	a := dashboardAssets[name]
	if a == nil {
		writeError(w, apiErr(http.StatusNotFound, "not_found", "", "no dashboard file %q", name))
		return
	}
	h := w.Header()
	h.Set("Content-Type", a.contentType)
	h.Set("ETag", a.etag)
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Content-Type-Options", "nosniff")
	if name == "index.html" {
		h.Set("Content-Security-Policy", dashboardCSP)
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("X-Frame-Options", "DENY")
	}
	http.ServeContent(w, r, name, time.Time{}, bytes.NewReader(a.body))
}
