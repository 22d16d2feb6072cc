package server

import (
	"net/http"
	"testing"
)

// What the policy costs a request, against the bare handler
// (BenchmarkCORSBaseline) in the same run.

type discardWriter struct{ h http.Header }

func (d *discardWriter) Header() http.Header         { return d.h }
func (d *discardWriter) Write(p []byte) (int, error) { return len(p), nil }
func (d *discardWriter) WriteHeader(int)             {}

func benchCORS(b *testing.B, h http.Handler, header http.Header) {
	r, _ := http.NewRequest("GET", "/jobs", nil)
	r.Header = header
	w := &discardWriter{h: make(http.Header)}
	b.ReportAllocs()
	for b.Loop() {
		clear(w.h)
		h.ServeHTTP(w, r)
	}
}

var benchPolicy = CORSPolicy{
	AllowOrigins:  []string{"https://a.test", "https://app.test"},
	AllowMethods:  []string{"GET", "POST"},
	AllowHeaders:  []string{"Authorization"},
	ExposeHeaders: []string{"Location"},
}

func benchHandler(b *testing.B) (bare, wrapped http.Handler) {
	bare = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(200) })
	wrapped, err := benchPolicy.Handler(bare)
	if err != nil {
		b.Fatal(err)
	}
	return bare, wrapped
}

func BenchmarkCORSBaseline(b *testing.B) {
	bare, _ := benchHandler(b)
	benchCORS(b, bare, http.Header{"Origin": {"https://app.test"}})
}

func BenchmarkCORSNoOrigin(b *testing.B) {
	_, h := benchHandler(b)
	benchCORS(b, h, http.Header{})
}

func BenchmarkCORSAllowed(b *testing.B) {
	_, h := benchHandler(b)
	benchCORS(b, h, http.Header{"Origin": {"https://app.test"}})
}

func BenchmarkCORSPreflight(b *testing.B) {
	_, h := benchHandler(b)
	r, _ := http.NewRequest("OPTIONS", "/jobs", nil)
	r.Header = http.Header{"Origin": {"https://app.test"}, "Access-Control-Request-Method": {"POST"}, "Access-Control-Request-Headers": {"authorization, content-type"}}
	w := &discardWriter{h: make(http.Header)}
	b.ReportAllocs()
	for b.Loop() {
		clear(w.h)
		h.ServeHTTP(w, r)
	}
}
