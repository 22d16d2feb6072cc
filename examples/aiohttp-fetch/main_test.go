package main

import (
	"bytes"
	"context"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestOutput(t *testing.T) {
	srv := server()
	defer srv.Close()
	var out bytes.Buffer
	if err := run(context.Background(), &out, srv.URL, srv.Client()); err != nil {
		t.Fatal(err)
	}
	want := `GET / -> 200 page /
GET /downloads -> 200 page /downloads
GET /doc -> 200 page /doc
GET /about -> 200 page /about
POST / -> 200 posted key=value
`
	if out.String() != want {
		t.Fatalf("output:\n%s\nwant:\n%s", out.String(), want)
	}
}
