package server

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// CORSPolicy is Starlette's CORSMiddleware (FastAPI's
// fastapi.middleware.cors.CORSMiddleware) as configuration: the fields are
// its parameters under the same names, and its zero value is its defaults —
// no origin allowed, GET only, the safelisted headers only, no
// credentials, a max age of 600 seconds.
//
// The behaviour is Starlette's (1.0), header for header:
//
//   - A request without an Origin header is left alone.
//   - A preflight — OPTIONS with Origin and Access-Control-Request-Method —
//     is answered by the middleware and never reaches the handler: 200 "OK"
//     when origin, method, headers (and private network, if asked) are all
//     allowed, else 400 "Disallowed CORS origin, method, headers", naming
//     only what failed. Both answers carry Access-Control-Allow-Methods,
//     Access-Control-Max-Age, Access-Control-Allow-Headers (the safelisted
//     Accept, Accept-Language, Content-Language and Content-Type plus the
//     configured ones, sorted; with "*", the requested headers mirrored),
//     Access-Control-Allow-Credentials when on, Vary, and
//     Access-Control-Allow-Origin: "*" for a wildcard policy, else the
//     request's origin when it is allowed.
//   - Any other request with an Origin runs the handler; the response gets
//     Vary: Origin unless the policy is a plain wildcard, and, when the
//     origin is allowed, Access-Control-Allow-Origin (the origin, or "*"),
//     Access-Control-Allow-Credentials and Access-Control-Expose-Headers.
//
// Origins and methods compare exactly (case included); header names
// compare case-insensitively, in any order, with or without blanks around
// the commas. The origin "null" (sandboxed frames, file: pages) matches
// only when listed in AllowOrigins, never through "*" or the regex.
//
// Where concur differs, and why:
//
//   - Starlette adds its headers when the response starts, over whatever
//     the handler set; here they are set before the handler runs, so that
//     the ResponseWriter is the server's own (flushing and hijacking work
//     unchanged for event streams) and a panic's 500 keeps them. Vary:
//     Origin is added as its own field line, which HTTP defines as equal to
//     Starlette's comma-joined "…, Origin".
//   - AllowOrigins "*" together with AllowCredentials is refused: FastAPI's
//     documentation forbids the combination, but Starlette 1.0 answers it by
//     echoing every origin with credentials, so that any web site may act
//     as the signed-in user.
//   - Configuration mistakes that Starlette would keep silently, because
//     they can never match, are refused at start-up: an origin with a path
//     or a trailing slash ("http://localhost:3000/"), in upper case, or
//     without a scheme; a method or header that is not an HTTP token.
//   - AllowOriginRegex is Go (RE2) syntax, not Python's re: no
//     backreferences or lookaround. It must match the whole origin, as
//     re.fullmatch.
//   - A MaxAge of 0 means the default, 600; a negative MaxAge sends 0 (no
//     preflight caching), the convention of Go's rs/cors, so that the zero
//     value keeps Starlette's default.
//   - Header order within a response is not kept: Go writes header fields
//     sorted by name, and HTTP gives their order no meaning.
type CORSPolicy struct {
	// AllowOrigins lists the origins allowed to call, exactly as a browser
	// sends them ("https://app.example.com", "http://localhost:3000"); "*"
	// allows every origin. Empty allows none.
	AllowOrigins []string `json:"allow_origins,omitempty"`
	// AllowOriginRegex also allows the origins it fully matches, e.g.
	// `https://[a-z0-9-]+\.example\.com`.
	AllowOriginRegex string `json:"allow_origin_regex,omitempty"`
	// AllowMethods lists the methods a preflight may ask for; "*" means
	// DELETE, GET, HEAD, OPTIONS, PATCH, POST and PUT. Empty means GET.
	// The JSON API needs POST (and Authorization, below) for a browser
	// client to submit, cancel and retry.
	AllowMethods []string `json:"allow_methods,omitempty"`
	// AllowHeaders lists the request headers a preflight may ask for, on
	// top of the always-allowed Accept, Accept-Language, Content-Language
	// and Content-Type; "*" allows whatever is asked. A browser client of
	// a server with a token needs Authorization here.
	AllowHeaders []string `json:"allow_headers,omitempty"`
	// AllowCredentials lets the browser send cookies and HTTP
	// authentication, and read the answer.
	AllowCredentials bool `json:"allow_credentials,omitempty"`
	// ExposeHeaders lists response headers, beyond the safelisted ones,
	// that a page's script may read (say Location, Idempotent-Replayed).
	ExposeHeaders []string `json:"expose_headers,omitempty"`
	// MaxAge is how many seconds a browser may cache a preflight's answer:
	// 0 means 600, a negative value sends 0.
	MaxAge int `json:"max_age,omitempty"`
	// AllowPrivateNetwork answers Chrome's Private Network Access
	// preflights (Access-Control-Request-Private-Network), which a public
	// web site's calls to a server on loopback or a private address bring;
	// refused when false, as Starlette's allow_private_network.
	AllowPrivateNetwork bool `json:"allow_private_network,omitempty"`
}

// allMethods is what "*" in AllowMethods stands for, in Starlette's order.
var allMethods = []string{"DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT"}

// safelistedHeaders are always allowed. Fetch safelists them only for
// some values (a Content-Type of application/json, for one, needs a
// preflight); Starlette allows them with any value.
var safelistedHeaders = []string{"Accept", "Accept-Language", "Content-Language", "Content-Type"}

const defaultCORSMaxAge = 600

// Handler returns next behind the policy, or an error naming every
// problem of the configuration.
func (p CORSPolicy) Handler(next http.Handler) (http.Handler, error) {
	c, err := p.compile()
	if err != nil {
		return nil, err
	}
	return c.wrap(next), nil
}

// cors is a checked CORSPolicy, with the header values that do not depend
// on the request worked out once.
type cors struct {
	origins        []string
	anyOrigin      bool // "*" in AllowOrigins
	regex          *regexp.Regexp
	methods        []string
	anyHeader      bool            // "*" in AllowHeaders
	headers        map[string]bool // lower-cased, safelisted included
	privateNetwork bool
	// explicit: the answer names the origin (and so varies by it), rather
	// than "*".
	explicit  bool
	preflight []headerField // every preflight's answer starts from these
	simple    []headerField // added to an allowed origin's other requests
}

// headerField is a header with its canonical name, so that setting it
// costs no canonicalization per request.
type headerField struct{ name, value string }

// setFields sets the fields in h, each in a slice of its own (the handler may
// Add to one).
func setFields(h http.Header, fields []headerField) {
	for _, f := range fields {
		h[f.name] = []string{f.value}
	}
}

// compile checks the policy and works out its fixed headers.
func (p CORSPolicy) compile() (*cors, error) {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf("cors: "+format, args...)) }

	c := &cors{origins: p.AllowOrigins, privateNetwork: p.AllowPrivateNetwork}
	for _, o := range p.AllowOrigins {
		if o == "*" {
			c.anyOrigin = true
		} else if msg := checkOrigin(o); msg != "" {
			bad("allow_origins entry %q %s", o, msg)
		}
	}
	if c.anyOrigin && p.AllowCredentials {
		bad(`allow_origins "*" with allow_credentials would let every web site call the API with the user's credentials; list the trusted origins instead`)
	}
	if p.AllowOriginRegex != "" {
		// Compiled alone first, so that a stray ")" cannot escape the
		// anchoring group: `a)|(.*` must be an error, not "anything".
		if _, err := regexp.Compile(p.AllowOriginRegex); err != nil {
			bad("allow_origin_regex %q: %v", p.AllowOriginRegex, err)
		} else {
			c.regex = regexp.MustCompile(`\A(?:` + p.AllowOriginRegex + `)\z`)
		}
	}

	anyMethod := false
	c.methods = p.AllowMethods
	if len(c.methods) == 0 {
		c.methods = []string{"GET"}
	}
	for _, m := range c.methods {
		switch {
		case m == "*":
			anyMethod = true
		case !isToken(m):
			bad("allow_methods entry %q is not an HTTP method", m)
		}
	}
	if anyMethod {
		c.methods = allMethods
	}

	allowed := slices.Clone(safelistedHeaders)
	c.headers = make(map[string]bool)
	for _, h := range p.AllowHeaders {
		switch {
		case h == "*":
			c.anyHeader = true
		case !isToken(h):
			bad("allow_headers entry %q is not a header name", h)
		}
		if !slices.Contains(allowed, h) {
			allowed = append(allowed, h)
		}
	}
	slices.Sort(allowed) // Starlette sorts the set as Python does: by code point, upper case first
	for _, h := range allowed {
		c.headers[strings.ToLower(h)] = true
	}
	for _, h := range p.ExposeHeaders {
		if !isToken(h) {
			bad("expose_headers entry %q is not a header name", h)
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}

	maxAge := p.MaxAge
	switch {
	case maxAge == 0:
		maxAge = defaultCORSMaxAge
	case maxAge < 0:
		maxAge = 0
	}
	c.explicit = !c.anyOrigin || p.AllowCredentials

	c.preflight = []headerField{
		{"Access-Control-Allow-Methods", strings.Join(c.methods, ", ")},
		{"Access-Control-Max-Age", strconv.Itoa(maxAge)},
	}
	both := func(f headerField) {
		c.simple = append(c.simple, f)
		c.preflight = append(c.preflight, f)
	}
	if !c.explicit {
		both(headerField{"Access-Control-Allow-Origin", "*"})
	}
	if p.AllowCredentials {
		both(headerField{"Access-Control-Allow-Credentials", "true"})
	}
	if len(p.ExposeHeaders) > 0 {
		c.simple = append(c.simple, headerField{"Access-Control-Expose-Headers", strings.Join(p.ExposeHeaders, ", ")})
	}
	if !c.anyHeader {
		c.preflight = append(c.preflight, headerField{"Access-Control-Allow-Headers", strings.Join(allowed, ", ")})
	}
	// A preflight's answer depends on what it asks; the cache must know.
	vary := []string{"Access-Control-Request-Headers", "Access-Control-Request-Private-Network"}
	if !anyMethod {
		vary = append(vary, "Access-Control-Request-Method")
	}
	if c.explicit {
		vary = append(vary, "Origin")
	}
	c.preflight = append(c.preflight, headerField{"Vary", strings.Join(vary, ", ")})
	return c, nil
}

// checkOrigin says what is wrong with an AllowOrigins entry, which must be
// spelt as browsers send the Origin header, or returns "".
func checkOrigin(o string) string {
	if o == "null" {
		return ""
	}
	u, err := url.Parse(o)
	switch {
	case err != nil || u.Scheme == "" || u.Host == "" || u.Opaque != "":
		return "is not an origin: write scheme://host[:port], as in http://localhost:3000"
	case u.User != nil || u.Path != "" || u.RawQuery != "" || u.Fragment != "" || strings.ContainsAny(o, "?#"):
		return fmt.Sprintf("has more than an origin: browsers send only scheme://host[:port] (%s://%s), so it never matches", u.Scheme, u.Host)
	case o != strings.ToLower(o):
		return fmt.Sprintf("has upper case: browsers send origins in lower case (%s), so it never matches", strings.ToLower(o))
	}
	return ""
}

// isToken reports whether s is an RFC 9110 token: what a method or a
// header name is made of.
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0) {
			return false
		}
	}
	return true
}

// allowedOrigin is Starlette's is_allowed_origin.
func (c *cors) allowedOrigin(origin string) bool {
	switch {
	case slices.Contains(c.origins, origin):
		return true
	case origin == "null":
		return false
	case c.regex != nil && c.regex.MatchString(origin):
		return true
	}
	return c.anyOrigin
}

// wrap puts next behind the policy.
func (c *cors) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		origins, ok := r.Header["Origin"]
		if !ok {
			next.ServeHTTP(w, r)
			return
		}
		origin := origins[0]
		if _, asks := r.Header["Access-Control-Request-Method"]; asks && r.Method == http.MethodOptions {
			c.answerPreflight(w, r, origin)
			return
		}
		h := w.Header()
		if c.explicit {
			h["Vary"] = append(h["Vary"], "Origin")
		}
		if c.allowedOrigin(origin) {
			setFields(h, c.simple)
			if c.explicit {
				h["Access-Control-Allow-Origin"] = []string{origin}
			}
		}
		next.ServeHTTP(w, r)
	})
}

func (c *cors) answerPreflight(w http.ResponseWriter, r *http.Request, origin string) {
	h := w.Header()
	setFields(h, c.preflight)
	var failed []string
	if c.allowedOrigin(origin) {
		if c.explicit {
			h.Set("Access-Control-Allow-Origin", origin)
		}
	} else {
		failed = append(failed, "origin")
	}
	if !slices.Contains(c.methods, r.Header.Get("Access-Control-Request-Method")) {
		failed = append(failed, "method")
	}
	if requested, ok := r.Header["Access-Control-Request-Headers"]; ok {
		if c.anyHeader {
			h.Set("Access-Control-Allow-Headers", requested[0])
		} else {
			for name := range strings.SplitSeq(requested[0], ",") {
				if !c.headers[strings.ToLower(strings.TrimSpace(name))] {
					failed = append(failed, "headers")
					break
				}
			}
		}
	}
	if _, ok := r.Header["Access-Control-Request-Private-Network"]; ok {
		if c.privateNetwork {
			h.Set("Access-Control-Allow-Private-Network", "true")
		} else {
			failed = append(failed, "private-network")
		}
	}
	status, body := http.StatusOK, "OK"
	if len(failed) > 0 {
		status, body = http.StatusBadRequest, "Disallowed CORS "+strings.Join(failed, ", ")
	}
	h.Set("Content-Type", "text/plain; charset=utf-8")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	io.WriteString(w, body)
}
