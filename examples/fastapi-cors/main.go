// Command fastapi-cors is the Go twin of seed 000_77c3227d2e64a08f.txt,
// section "Можете ли вы описать, как вы будете обрабатывать CORS в
// FastAPI?":
//
//	app = FastAPI()
//	origins = ["http://localhost:3000"]
//	app.add_middleware(
//	    CORSMiddleware,
//	    allow_origins=origins,
//	    allow_credentials=True,
//	    allow_methods=["*"],
//	    allow_headers=["*"],
//	)
//
//	@app.get("/")
//	async def main():
//	    return {"message": "Hello World"}
//
// FastAPI's app is an http.ServeMux, the route a handler, and
// CORSMiddleware is server.CORSPolicy, whose fields are its parameters
// under the same names and whose behaviour is Starlette's. Go serves each
// request in a goroutine of its own, so a handler needs no async.
//
// The program serves on a loopback port and plays the browser of a page
// at http://localhost:3000: a preflight, then the GET, then the GET from
// an origin that is not allowed, whose answer the browser would hide from
// the page.
package main

import (
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"strings"

	"github.com/concurgo/concur/server"
)

func main() {
	if err := run(os.Stdout); err != nil {
		log.Fatal(err)
	}
}

// app is the FastAPI application: the route and the middleware.
func app() (http.Handler, error) {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]string{"message": "Hello World"})
	})
	origins := []string{"http://localhost:3000"}
	return server.CORSPolicy{
		AllowOrigins:     origins,
		AllowCredentials: true,
		AllowMethods:     []string{"*"},
		AllowHeaders:     []string{"*"},
	}.Handler(mux)
}

func run(w io.Writer) error {
	h, err := app()
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: h}
	go srv.Serve(ln)
	defer srv.Close()
	base := "http://" + ln.Addr().String() + "/"

	for _, c := range []struct {
		title, method, origin string
		header                map[string]string
	}{
		{"preflight from http://localhost:3000", http.MethodOptions, "http://localhost:3000",
			map[string]string{"Access-Control-Request-Method": "GET", "Access-Control-Request-Headers": "X-Trace-Id"}},
		{"GET from http://localhost:3000", http.MethodGet, "http://localhost:3000", nil},
		{"GET from https://evil.example", http.MethodGet, "https://evil.example", nil},
	} {
		req, err := http.NewRequest(c.method, base, nil)
		if err != nil {
			return err
		}
		req.Header.Set("Origin", c.origin)
		for k, v := range c.header {
			req.Header.Set(k, v)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return err
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "%s: %s %s\n", c.title, resp.Status, strings.TrimSpace(string(body)))
		for _, k := range []string{"Access-Control-Allow-Origin", "Access-Control-Allow-Credentials", "Access-Control-Allow-Methods", "Access-Control-Allow-Headers"} {
			if v := resp.Header.Get(k); v != "" {
				fmt.Fprintf(w, "  %s: %s\n", k, v)
			}
		}
	}
	return nil
}
