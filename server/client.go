package server

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Client calls a concur server's HTTP API; `concur submit` is built on it.
// Its zero value is not usable: set BaseURL. Errors the server answers are
// *APIError values.
type Client struct {
	BaseURL string       // e.g. "http://127.0.0.1:8000"
	Token   string       // the API token, if the server has one
	HTTP    *http.Client // nil means http.DefaultClient
}

func (c *Client) do(ctx context.Context, method, path string, body, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	resp, err := c.send(ctx, method, path, rd)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if out == nil {
		_, err = io.Copy(io.Discard, resp.Body)
		return err
	}
	return json.NewDecoder(resp.Body).Decode(out)
}

// send makes a request and turns a non-2xx answer into an *APIError.
func (c *Client) send(ctx context.Context, method, path string, body io.Reader) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimRight(c.BaseURL, "/")+path, body)
	if err != nil {
		return nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.Token)
	}
	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode/100 != 2 {
		defer resp.Body.Close()
		ae := &APIError{Status: resp.StatusCode}
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		if json.Unmarshal(b, ae) != nil || ae.Code == "" {
			ae.Code, ae.Detail = "http_error", strings.TrimSpace(string(b))
		}
		return nil, ae
	}
	return resp, nil
}

// Submit submits a job: POST /jobs.
func (c *Client) Submit(ctx context.Context, req JobRequest) (*Job, error) {
	var j Job
	return &j, c.do(ctx, http.MethodPost, "/jobs", req, &j)
}

// Get returns a job: GET /jobs/{id}.
func (c *Client) Get(ctx context.Context, id string) (*Job, error) {
	var j Job
	return &j, c.do(ctx, http.MethodGet, "/jobs/"+url.PathEscape(id), nil, &j)
}

// Cancel cancels a job: POST /jobs/{id}/cancel.
func (c *Client) Cancel(ctx context.Context, id string) (*Job, error) {
	var j Job
	return &j, c.do(ctx, http.MethodPost, "/jobs/"+url.PathEscape(id)+"/cancel", nil, &j)
}

// Retry retries a job: POST /jobs/{id}/retry.
func (c *Client) Retry(ctx context.Context, id string) (*Job, error) {
	var j Job
	return &j, c.do(ctx, http.MethodPost, "/jobs/"+url.PathEscape(id)+"/retry", nil, &j)
}

// List returns a page of jobs: GET /jobs with filter's parameters (state,
// mode, function, command, limit, cursor).
func (c *Client) List(ctx context.Context, filter url.Values) (*JobList, error) {
	var l JobList
	return &l, c.do(ctx, http.MethodGet, "/jobs?"+filter.Encode(), nil, &l)
}

// Watch yields the job as it is now and after each change, ending after
// a final state: GET /jobs/{id}/events. It stops early with an error if
// the stream breaks; breaking out of the loop closes the stream.
func (c *Client) Watch(ctx context.Context, id string) iter.Seq2[*Job, error] {
	return func(yield func(*Job, error) bool) {
		resp, err := c.send(ctx, http.MethodGet, "/jobs/"+url.PathEscape(id)+"/events", nil)
		if err != nil {
			yield(nil, err)
			return
		}
		defer resp.Body.Close()
		for ev, err := range readEvents(resp.Body) {
			if err != nil {
				yield(nil, err)
				return
			}
			if ev.name != "job" {
				continue
			}
			j := new(Job)
			if err := json.Unmarshal(ev.data, j); err != nil {
				yield(nil, fmt.Errorf("bad event from server: %v", err))
				return
			}
			if !yield(j, nil) || j.State.Final() {
				return
			}
		}
		yield(nil, io.ErrUnexpectedEOF)
	}
}

// Wait waits until the job is final and returns it, reconnecting if the
// event stream breaks off.
func (c *Client) Wait(ctx context.Context, id string) (*Job, error) {
	for {
		var last *Job
		var err error
		for j, e := range c.Watch(ctx, id) {
			last, err = j, e
		}
		if last != nil && last.State.Final() {
			return last, nil
		}
		var ae *APIError
		if ctx.Err() != nil || errors.As(err, &ae) {
			return nil, err
		}
		select { // the server restarting, say: try again shortly
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(500 * time.Millisecond):
		}
	}
}

// sseEvent is one server-sent event.
type sseEvent struct {
	name string
	data []byte
}

// maxEventSize bounds one event from the server (a Job with its args and
// result fits in the store's 8 MiB messages).
const maxEventSize = 16 << 20

// readEvents parses a text/event-stream. It reads bytes from the network,
// so any input ends in events or an error, never a panic or unbounded
// memory.
func readEvents(r io.Reader) iter.Seq2[sseEvent, error] {
	return func(yield func(sseEvent, error) bool) {
		sc := bufio.NewScanner(r)
		sc.Buffer(make([]byte, 0, 4096), maxEventSize)
		var ev sseEvent
		var data bytes.Buffer
		for sc.Scan() {
			line := sc.Bytes()
			if len(line) == 0 {
				if data.Len() > 0 {
					ev.data = bytes.TrimSuffix(data.Bytes(), []byte("\n"))
					if ev.name == "" {
						ev.name = "message"
					}
					if !yield(ev, nil) {
						return
					}
				}
				ev, data = sseEvent{}, bytes.Buffer{}
				continue
			}
			if line[0] == ':' {
				continue
			}
			field, value, _ := bytes.Cut(line, []byte(":"))
			value = bytes.TrimPrefix(value, []byte(" "))
			switch string(field) {
			case "event":
				ev.name = string(value)
			case "data":
				if data.Len()+len(value) > maxEventSize {
					yield(sseEvent{}, errors.New("event too large"))
					return
				}
				data.Write(value)
				data.WriteByte('\n')
			}
		}
		if err := sc.Err(); err != nil {
			yield(sseEvent{}, err)
		}
	}
}
