package main

import (
	"strings"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestOutput(t *testing.T) {
	var out strings.Builder
	if err := run(&out); err != nil {
		t.Fatal(err)
	}
	want := `preflight from http://localhost:3000: 200 OK OK
  Access-Control-Allow-Origin: http://localhost:3000
  Access-Control-Allow-Credentials: true
  Access-Control-Allow-Methods: DELETE, GET, HEAD, OPTIONS, PATCH, POST, PUT
  Access-Control-Allow-Headers: X-Trace-Id
GET from http://localhost:3000: 200 OK {"message":"Hello World"}
  Access-Control-Allow-Origin: http://localhost:3000
  Access-Control-Allow-Credentials: true
GET from https://evil.example: 200 OK {"message":"Hello World"}
`
	if out.String() != want {
		t.Errorf("output:\n%s\nwant:\n%s", out.String(), want)
	}
}
