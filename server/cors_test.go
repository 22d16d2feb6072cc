package server

import (
	"maps"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// The matrix below is Starlette 1.0's CORSMiddleware
// (starlette/middleware/cors.py) case by case; its tests
// (tests/middleware/test_cors.py) are the first rows.

const (
	acao  = "Access-Control-Allow-Origin"
	acac  = "Access-Control-Allow-Credentials"
	acam  = "Access-Control-Allow-Methods"
	acah  = "Access-Control-Allow-Headers"
	acma  = "Access-Control-Max-Age"
	aceh  = "Access-Control-Expose-Headers"
	acapn = "Access-Control-Allow-Private-Network"

	safelisted  = "Accept, Accept-Language, Content-Language, Content-Type"
	everyMethod = "DELETE, GET, HEAD, OPTIONS, PATCH, POST, PUT"
	// What a preflight answer varies by: all of it, or all but the
	// method when every method is allowed, or all but the origin when
	// the answer is "*".
	varyAll      = "Access-Control-Request-Headers, Access-Control-Request-Private-Network, Access-Control-Request-Method, Origin"
	varyAnyMeth  = "Access-Control-Request-Headers, Access-Control-Request-Private-Network, Origin"
	varyWildcard = "Access-Control-Request-Headers, Access-Control-Request-Private-Network, Access-Control-Request-Method"
	varyNone     = "Access-Control-Request-Headers, Access-Control-Request-Private-Network"
)

// preflight returns the headers of a preflight from origin asking for
// method and, unless empty, headers.
func preflight(origin, method, headers string) map[string]string {
	h := map[string]string{"Origin": origin, "Access-Control-Request-Method": method}
	if headers != "" {
		h["Access-Control-Request-Headers"] = headers
	}
	return h
}

func TestCORSMatrix(t *testing.T) {
	wildcard := CORSPolicy{AllowOrigins: []string{"*"}, AllowHeaders: []string{"*"}, AllowMethods: []string{"*"}, ExposeHeaders: []string{"X-Status"}}
	specific := CORSPolicy{AllowOrigins: []string{"https://example.org"}, AllowHeaders: []string{"X-Example", "Content-Type"}}
	regex := CORSPolicy{AllowOriginRegex: `https://.*\.example\.org`, AllowCredentials: true, AllowHeaders: []string{"X-Example", "Content-Type"}}
	creds := CORSPolicy{AllowOrigins: []string{"https://app.test"}, AllowCredentials: true, ExposeHeaders: []string{"Location", "Idempotent-Replayed"}, AllowMethods: []string{"GET", "POST"}, AllowHeaders: []string{"Authorization"}}
	const specificHeaders = "Accept, Accept-Language, Content-Language, Content-Type, X-Example"

	type want struct {
		status  int               // 200 for the app's answer
		body    string            // "app" when the app answered
		headers map[string]string // every Access-Control-* and Vary header, exactly
	}
	tests := []struct {
		name    string
		policy  CORSPolicy
		method  string
		headers map[string]string
		want    want
	}{
		// Starlette's test_cors_allow_all_except_credentials.
		{"wildcard preflight mirrors headers", wildcard, "OPTIONS", preflight("https://example.org", "GET", "X-Example"),
			want{200, "OK", map[string]string{acao: "*", acah: "X-Example", acam: everyMethod, acma: "600", "Vary": varyNone}}},
		{"wildcard simple", wildcard, "GET", map[string]string{"Origin": "https://example.org"},
			want{200, "app", map[string]string{acao: "*", aceh: "X-Status"}}},
		{"wildcard simple with a cookie stays *", wildcard, "GET", map[string]string{"Origin": "https://example.org", "Cookie": "a=b"},
			want{200, "app", map[string]string{acao: "*", aceh: "X-Status"}}},
		{"wildcard without Origin is untouched", wildcard, "GET", nil,
			want{200, "app", map[string]string{}}},
		{"wildcard preflight without requested headers has no Allow-Headers", wildcard, "OPTIONS", preflight("https://example.org", "PUT", ""),
			want{200, "OK", map[string]string{acao: "*", acam: everyMethod, acma: "600", "Vary": varyNone}}},
		{"wildcard preflight of a method outside *", wildcard, "OPTIONS", preflight("https://example.org", "TRACE", ""),
			want{400, "Disallowed CORS method", map[string]string{acao: "*", acam: everyMethod, acma: "600", "Vary": varyNone}}},
		{"wildcard does not cover the null origin (simple)", wildcard, "GET", map[string]string{"Origin": "null"},
			want{200, "app", map[string]string{}}},
		{"wildcard does not cover the null origin (preflight keeps its fixed *)", wildcard, "OPTIONS", preflight("null", "GET", ""),
			want{400, "Disallowed CORS origin", map[string]string{acao: "*", acam: everyMethod, acma: "600", "Vary": varyNone}}},

		// test_cors_allow_specific_origin.
		{"specific preflight", specific, "OPTIONS", preflight("https://example.org", "GET", "X-Example, Content-Type"),
			want{200, "OK", map[string]string{acao: "https://example.org", acah: specificHeaders, acam: "GET", acma: "600", "Vary": varyAll}}},
		{"specific simple", specific, "GET", map[string]string{"Origin": "https://example.org"},
			want{200, "app", map[string]string{acao: "https://example.org", "Vary": "Origin"}}},
		{"specific simple from another origin varies but allows nothing", specific, "GET", map[string]string{"Origin": "https://another.org"},
			want{200, "app", map[string]string{"Vary": "Origin"}}},
		{"specific without Origin is untouched", specific, "GET", nil,
			want{200, "app", map[string]string{}}},
		{"origins compare exactly: scheme", specific, "GET", map[string]string{"Origin": "http://example.org"},
			want{200, "app", map[string]string{"Vary": "Origin"}}},
		{"origins compare exactly: port", specific, "GET", map[string]string{"Origin": "https://example.org:443"},
			want{200, "app", map[string]string{"Vary": "Origin"}}},

		// test_cors_disallowed_preflight.
		{"everything refused, in Starlette's order", specific, "OPTIONS", preflight("https://another.org", "POST", "X-Nope"),
			want{400, "Disallowed CORS origin, method, headers", map[string]string{acah: specificHeaders, acam: "GET", acma: "600", "Vary": varyAll}}},
		{"headers named once however many fail", specific, "OPTIONS", preflight("https://example.org", "GET", "X-Nope-1, X-Nope-2"),
			want{400, "Disallowed CORS headers", map[string]string{acao: "https://example.org", acah: specificHeaders, acam: "GET", acma: "600", "Vary": varyAll}}},
		{"header names: any case, order and spacing", specific, "OPTIONS", preflight("https://example.org", "GET", "content-type,X-EXAMPLE ,  accept"),
			want{200, "OK", map[string]string{acao: "https://example.org", acah: specificHeaders, acam: "GET", acma: "600", "Vary": varyAll}}},
		{"an empty header name is refused", specific, "OPTIONS", preflight("https://example.org", "GET", "X-Example,"),
			want{400, "Disallowed CORS headers", map[string]string{acao: "https://example.org", acah: specificHeaders, acam: "GET", acma: "600", "Vary": varyAll}}},
		{"methods compare exactly", specific, "OPTIONS", preflight("https://example.org", "get", ""),
			want{400, "Disallowed CORS method", map[string]string{acao: "https://example.org", acah: specificHeaders, acam: "GET", acma: "600", "Vary": varyAll}}},
		{"safelisted headers need no configuration", CORSPolicy{AllowOrigins: []string{"https://example.org"}}, "OPTIONS", preflight("https://example.org", "GET", "Accept-Language, content-language"),
			want{200, "OK", map[string]string{acao: "https://example.org", acah: safelisted, acam: "GET", acma: "600", "Vary": varyAll}}},

		// Only OPTIONS with both Origin and Access-Control-Request-Method
		// is a preflight.
		{"OPTIONS without a requested method reaches the app", specific, "OPTIONS", map[string]string{"Origin": "https://example.org"},
			want{200, "app", map[string]string{acao: "https://example.org", "Vary": "Origin"}}},
		{"a requested method without Origin reaches the app untouched", specific, "OPTIONS", map[string]string{"Access-Control-Request-Method": "GET"},
			want{200, "app", map[string]string{}}},
		{"a requested method on GET is no preflight", specific, "GET", preflight("https://example.org", "POST", ""),
			want{200, "app", map[string]string{acao: "https://example.org", "Vary": "Origin"}}},

		// test_cors_allow_origin_regex and _fullmatch.
		{"regex simple", regex, "GET", map[string]string{"Origin": "https://sub.example.org"},
			want{200, "app", map[string]string{acao: "https://sub.example.org", acac: "true", "Vary": "Origin"}}},
		{"regex must match all of the origin", regex, "GET", map[string]string{"Origin": "https://sub.example.org.hacker.com"},
			want{200, "app", map[string]string{"Vary": "Origin"}}},
		{"regex preflight", regex, "OPTIONS", preflight("https://sub.example.org", "GET", "X-Example, content-type"),
			want{200, "OK", map[string]string{acao: "https://sub.example.org", acac: "true", acah: specificHeaders, acam: "GET", acma: "600", "Vary": varyAll}}},
		{"regex refused preflight keeps credentials, drops the origin", regex, "OPTIONS", preflight("http://sub.example.org", "GET", "X-Example"),
			want{400, "Disallowed CORS origin", map[string]string{acac: "true", acah: specificHeaders, acam: "GET", acma: "600", "Vary": varyAll}}},
		{"regex never allows the null origin", CORSPolicy{AllowOriginRegex: ".*"}, "GET", map[string]string{"Origin": "null"},
			want{200, "app", map[string]string{"Vary": "Origin"}}},
		{"regex ORed with the list (list)", CORSPolicy{AllowOrigins: []string{"https://a.test"}, AllowOriginRegex: `https://b\.test`}, "GET", map[string]string{"Origin": "https://a.test"},
			want{200, "app", map[string]string{acao: "https://a.test", "Vary": "Origin"}}},
		{"regex ORed with the list (regex)", CORSPolicy{AllowOrigins: []string{"https://a.test"}, AllowOriginRegex: `https://b\.test`}, "GET", map[string]string{"Origin": "https://b.test"},
			want{200, "app", map[string]string{acao: "https://b.test", "Vary": "Origin"}}},
		{"a listed null origin is echoed", CORSPolicy{AllowOrigins: []string{"null"}}, "GET", map[string]string{"Origin": "null"},
			want{200, "app", map[string]string{acao: "null", "Vary": "Origin"}}},

		// Credentials and exposed headers go to allowed origins only.
		{"credentials simple", creds, "POST", map[string]string{"Origin": "https://app.test"},
			want{200, "app", map[string]string{acao: "https://app.test", acac: "true", aceh: "Location, Idempotent-Replayed", "Vary": "Origin"}}},
		{"credentials simple from another origin", creds, "POST", map[string]string{"Origin": "https://evil.test"},
			want{200, "app", map[string]string{"Vary": "Origin"}}},
		{"credentials preflight for the token", creds, "OPTIONS", preflight("https://app.test", "POST", "authorization, content-type"),
			want{200, "OK", map[string]string{acao: "https://app.test", acac: "true", acah: "Accept, Accept-Language, Authorization, Content-Language, Content-Type", acam: "GET, POST", acma: "600", "Vary": varyAll}}},
		{"configured methods: another is refused", creds, "OPTIONS", preflight("https://app.test", "PUT", ""),
			want{400, "Disallowed CORS method", map[string]string{acao: "https://app.test", acac: "true", acah: "Accept, Accept-Language, Authorization, Content-Language, Content-Type", acam: "GET, POST", acma: "600", "Vary": varyAll}}},

		// Allow-Headers is Python's sorted(): by code point, so upper case first.
		{"Allow-Headers sorted as Python sorts", CORSPolicy{AllowOrigins: []string{"https://a.test"}, AllowHeaders: []string{"x-b", "X-A", "authorization"}}, "OPTIONS", preflight("https://a.test", "GET", ""),
			want{200, "OK", map[string]string{acao: "https://a.test", acah: "Accept, Accept-Language, Content-Language, Content-Type, X-A, authorization, x-b", acam: "GET", acma: "600", "Vary": varyAll}}},
		{"explicit origins with every method", CORSPolicy{AllowOrigins: []string{"https://a.test"}, AllowMethods: []string{"GET", "*"}}, "OPTIONS", preflight("https://a.test", "PATCH", ""),
			want{200, "OK", map[string]string{acao: "https://a.test", acah: safelisted, acam: everyMethod, acma: "600", "Vary": varyAnyMeth}}},
		{"wildcard origins with listed methods", CORSPolicy{AllowOrigins: []string{"*"}}, "OPTIONS", preflight("https://a.test", "GET", ""),
			want{200, "OK", map[string]string{acao: "*", acah: safelisted, acam: "GET", acma: "600", "Vary": varyWildcard}}},

		// Max age.
		{"max age", CORSPolicy{AllowOrigins: []string{"*"}, MaxAge: 3600}, "OPTIONS", preflight("https://a.test", "GET", ""),
			want{200, "OK", map[string]string{acao: "*", acah: safelisted, acam: "GET", acma: "3600", "Vary": varyWildcard}}},
		{"negative max age sends 0", CORSPolicy{AllowOrigins: []string{"*"}, MaxAge: -1}, "OPTIONS", preflight("https://a.test", "GET", ""),
			want{200, "OK", map[string]string{acao: "*", acah: safelisted, acam: "GET", acma: "0", "Vary": varyWildcard}}},

		// Private Network Access.
		{"private network refused by default", specific, "OPTIONS", withHeader(preflight("https://example.org", "GET", ""), "Access-Control-Request-Private-Network", "true"),
			want{400, "Disallowed CORS private-network", map[string]string{acao: "https://example.org", acah: specificHeaders, acam: "GET", acma: "600", "Vary": varyAll}}},
		{"private network allowed", CORSPolicy{AllowOrigins: []string{"https://example.org"}, AllowPrivateNetwork: true}, "OPTIONS", withHeader(preflight("https://example.org", "GET", ""), "Access-Control-Request-Private-Network", "true"),
			want{200, "OK", map[string]string{acao: "https://example.org", acapn: "true", acah: safelisted, acam: "GET", acma: "600", "Vary": varyAll}}},
		{"every failure named", CORSPolicy{}, "OPTIONS", withHeader(preflight("https://a.test", "POST", "X-A"), "Access-Control-Request-Private-Network", "true"),
			want{400, "Disallowed CORS origin, method, headers, private-network", map[string]string{acah: safelisted, acam: "GET", acma: "600", "Vary": varyAll}}},

		// The zero policy is Starlette's defaults: deny all.
		{"zero policy simple", CORSPolicy{}, "GET", map[string]string{"Origin": "https://a.test"},
			want{200, "app", map[string]string{"Vary": "Origin"}}},
		{"zero policy preflight", CORSPolicy{}, "OPTIONS", preflight("https://a.test", "GET", ""),
			want{400, "Disallowed CORS origin", map[string]string{acah: safelisted, acam: "GET", acma: "600", "Vary": varyAll}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, err := tt.policy.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Write([]byte("app"))
			}))
			if err != nil {
				t.Fatal(err)
			}
			req := httptest.NewRequest(tt.method, "/jobs", nil)
			for k, v := range tt.headers {
				req.Header.Set(k, v)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			res := rec.Result()
			if res.StatusCode != tt.want.status || rec.Body.String() != tt.want.body {
				t.Errorf("got %d %q, want %d %q", res.StatusCode, rec.Body.String(), tt.want.status, tt.want.body)
			}
			if got := corsHeaders(res.Header); !maps.Equal(got, tt.want.headers) {
				t.Errorf("headers\n got %v\nwant %v", got, tt.want.headers)
			}
			if tt.want.body != "app" && res.Header.Get("Content-Type") != "text/plain; charset=utf-8" {
				t.Errorf("preflight Content-Type %q", res.Header.Get("Content-Type"))
			}
		})
	}
}

func withHeader(h map[string]string, k, v string) map[string]string {
	h[k] = v
	return h
}

// corsHeaders returns the Access-Control-* and Vary headers of h, each
// one's field lines joined as HTTP defines them equal.
func corsHeaders(h http.Header) map[string]string {
	out := make(map[string]string)
	for k, v := range h {
		if strings.HasPrefix(k, "Access-Control-") || k == "Vary" {
			out[k] = strings.Join(v, ", ")
		}
	}
	return out
}

// The app's own Vary survives; Origin joins it.
func TestCORSVaryMerge(t *testing.T) {
	h, err := CORSPolicy{AllowOrigins: []string{"https://a.test"}}.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Add("Vary", "Accept-Encoding")
		w.WriteHeader(http.StatusTeapot)
	}))
	if err != nil {
		t.Fatal(err)
	}
	req := httptest.NewRequest("GET", "/", nil)
	req.Header.Set("Origin", "https://a.test")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if got := rec.Result().Header.Values("Vary"); strings.Join(got, ", ") != "Origin, Accept-Encoding" {
		t.Errorf("Vary = %q", got)
	}
	if rec.Code != http.StatusTeapot || rec.Header().Get(acao) != "https://a.test" {
		t.Errorf("%d %v", rec.Code, rec.Header())
	}
}

// A handler that adds to a header the policy set must not write into the
// policy's own copy, which every request shares.
func TestCORSConcurrentHandlersDoNotShareHeaders(t *testing.T) {
	h, err := CORSPolicy{AllowOrigins: []string{"*"}, ExposeHeaders: []string{"Location"}}.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Add(aceh, r.URL.Query().Get("x"))
	}))
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for i := range 16 {
		wg.Go(func() {
			for range 100 {
				req := httptest.NewRequest("GET", "/?x=X-"+string(rune('A'+i)), nil)
				req.Header.Set("Origin", "https://a.test")
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, req)
				if got := rec.Header().Values(aceh); len(got) != 2 || got[0] != "Location" || got[1] != "X-"+string(rune('A'+i)) {
					t.Errorf("Expose-Headers %q", got)
					return
				}
			}
		})
	}
	wg.Wait()
}

func TestCORSPolicyRefused(t *testing.T) {
	tests := []struct {
		policy CORSPolicy
		want   string
	}{
		{CORSPolicy{AllowOrigins: []string{"*"}, AllowCredentials: true}, `allow_origins "*" with allow_credentials would let every web site call the API with the user's credentials`},
		{CORSPolicy{AllowOriginRegex: `https://(.*`}, `allow_origin_regex "https://(.*": error parsing regexp: missing closing )`},
		{CORSPolicy{AllowOriginRegex: `a)|(.*`}, `allow_origin_regex "a)|(.*": error parsing regexp: unexpected )`},
		{CORSPolicy{AllowOriginRegex: `(?=x)`}, `allow_origin_regex "(?=x)"`},
		{CORSPolicy{AllowOrigins: []string{"http://localhost:3000/"}}, `allow_origins entry "http://localhost:3000/" has more than an origin: browsers send only scheme://host[:port] (http://localhost:3000)`},
		{CORSPolicy{AllowOrigins: []string{"https://app.test/path"}}, `has more than an origin`},
		{CORSPolicy{AllowOrigins: []string{"https://app.test?x"}}, `has more than an origin`},
		{CORSPolicy{AllowOrigins: []string{"https://user@app.test"}}, `has more than an origin`},
		{CORSPolicy{AllowOrigins: []string{"https://App.test"}}, `has upper case: browsers send origins in lower case (https://app.test)`},
		{CORSPolicy{AllowOrigins: []string{"localhost:3000"}}, `allow_origins entry "localhost:3000" is not an origin`},
		{CORSPolicy{AllowOrigins: []string{"app.test"}}, `is not an origin`},
		{CORSPolicy{AllowOrigins: []string{""}}, `is not an origin`},
		{CORSPolicy{AllowMethods: []string{"GE T"}}, `allow_methods entry "GE T" is not an HTTP method`},
		{CORSPolicy{AllowHeaders: []string{"X-A, X-B"}}, `allow_headers entry "X-A, X-B" is not a header name`},
		{CORSPolicy{ExposeHeaders: []string{""}}, `expose_headers entry "" is not a header name`},
	}
	for _, tt := range tests {
		_, err := tt.policy.Handler(http.NotFoundHandler())
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%+v: error %v, want it to say %q", tt.policy, err, tt.want)
		}
	}
	// Every problem at once.
	_, err := CORSPolicy{AllowOrigins: []string{"*", "x"}, AllowCredentials: true, AllowMethods: []string{""}}.Handler(http.NotFoundHandler())
	if err == nil || strings.Count(err.Error(), "cors: ") != 3 {
		t.Errorf("error %v, want three problems", err)
	}
}

// FuzzCORS checks the middleware's promises for any request headers: no
// panic; a preflight never reaches the app, answers 200 "OK" or 400 naming
// its failures, and names the origin only when it is allowed; other
// requests always reach the app.
func FuzzCORS(f *testing.F) {
	f.Add("OPTIONS", "https://a.test", "GET", "X-A, content-type", false)
	f.Add("OPTIONS", "null", "POST", ",,", true)
	f.Add("GET", "https://b.test", "", "", false)
	f.Add("OPTIONS", "", "\x00", " ", true)
	policy := CORSPolicy{AllowOrigins: []string{"https://a.test", "null"}, AllowOriginRegex: `https://[a-z]+\.b\.test`, AllowMethods: []string{"GET", "POST"}, AllowHeaders: []string{"X-A"}, AllowCredentials: true}
	c, err := policy.compile()
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, method, origin, reqMethod, reqHeaders string, pna bool) {
		ran := false
		h := c.wrap(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { ran = true }))
		r := &http.Request{Method: method, Header: http.Header{"Origin": {origin}, "Access-Control-Request-Method": {reqMethod}}}
		if reqHeaders != "" {
			r.Header.Set("Access-Control-Request-Headers", reqHeaders)
		}
		if pna {
			r.Header.Set("Access-Control-Request-Private-Network", "true")
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		if method != "OPTIONS" {
			if !ran {
				t.Fatal("a request that is no preflight did not reach the app")
			}
			return
		}
		if ran {
			t.Fatal("a preflight reached the app")
		}
		body := rec.Body.String()
		switch {
		case rec.Code == 200 && body == "OK":
		case rec.Code == 400 && strings.HasPrefix(body, "Disallowed CORS "):
		default:
			t.Fatalf("preflight answered %d %q", rec.Code, body)
		}
		if got := rec.Header().Get(acao); got != "" && (got != origin || !c.allowedOrigin(origin)) {
			t.Fatalf("Allow-Origin %q for origin %q", got, origin)
		}
		if strings.Contains(body, "origin") == c.allowedOrigin(origin) {
			t.Fatalf("body %q for origin %q", body, origin)
		}
	})
}
