// Command aiohttp-fetch is what seed 002_b7bdd2563399d811.txt ("Асинхронная
// модель") uses aiohttp for — many HTTP requests at once — with the GET and
// POST of seed 001_2345feefc5625c48.txt ("Сетевые операции, взаимодействие
// с API", requests.get / requests.post). Go needs no async HTTP library:
// net/http's client is safe to use from many goroutines, so each request
// is a plain blocking call in its own goroutine, and aio.Gather collects
// them in order. An aio.Limiter plays the asyncio.Semaphore that keeps an
// aiohttp crawler polite.
//
// The network is closed here, so a local httptest server on the loopback
// interface stands in for www.python.org.
package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"

	"github.com/concurgo/concur/aio"
)

// server answers GET with the path and POST with the form it received.
func server() *httptest.Server {
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost {
			r.ParseForm()
			fmt.Fprintf(w, "posted key=%s", r.PostForm.Get("key"))
			return
		}
		fmt.Fprintf(w, "page %s", r.URL.Path)
	}))
}

// fetch is "async with session.get(url) as response: return await
// response.text()".
func fetch(ctx context.Context, client *http.Client, req *http.Request) (string, error) {
	resp, err := client.Do(req.WithContext(ctx))
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return fmt.Sprintf("%d %s", resp.StatusCode, body), err
}

func run(ctx context.Context, w io.Writer, base string, client *http.Client) error {
	var reqs []*http.Request
	for _, path := range []string{"/", "/downloads", "/doc", "/about"} {
		req, err := http.NewRequest(http.MethodGet, base+path, nil) // requests.get(url)
		if err != nil {
			return err
		}
		reqs = append(reqs, req)
	}
	post, err := http.NewRequest(http.MethodPost, base+"/", strings.NewReader(url.Values{"key": {"value"}}.Encode()))
	if err != nil {
		return err
	}
	post.Header.Set("Content-Type", "application/x-www-form-urlencoded") // requests.post(url, data={'key': 'value'})
	reqs = append(reqs, post)

	sem := aio.NewLimiter(2) // asyncio.Semaphore(2): at most two requests in flight
	var calls []func(context.Context) (string, error)
	for _, req := range reqs {
		calls = append(calls, func(ctx context.Context) (string, error) {
			if err := sem.Acquire(ctx); err != nil {
				return "", err
			}
			defer sem.Release()
			return fetch(ctx, client, req)
		})
	}
	pages, err := aio.Gather(ctx, calls...) // await asyncio.gather(*tasks)
	if err != nil {
		return err
	}
	for i, page := range pages {
		fmt.Fprintf(w, "%s %s -> %s\n", reqs[i].Method, reqs[i].URL.Path, page)
	}
	return nil
}

func main() {
	srv := server()
	defer srv.Close()
	if err := run(context.Background(), os.Stdout, srv.URL, srv.Client()); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
