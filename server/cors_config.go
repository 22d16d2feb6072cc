package server

import (
	"flag"
	"strconv"
	"strings"
)

// corsSettings are Config.CORS as flags and environment variables; the
// JSON file takes a "cors" object with CORSPolicy's keys, which are
// Starlette's parameter names.
var corsSettings = []setting{
	{"cors-allow-origins", "CONCUR_CORS_ALLOW_ORIGINS", "comma-separated `origins` browsers may call the API from (* for any)", func(c *Config) flag.Value { return (*listValue)(&c.CORS.AllowOrigins) }},
	{"cors-allow-origin-regex", "CONCUR_CORS_ALLOW_ORIGIN_REGEX", "also allow the origins this `regexp` fully matches", func(c *Config) flag.Value { return (*stringValue)(&c.CORS.AllowOriginRegex) }},
	{"cors-allow-methods", "CONCUR_CORS_ALLOW_METHODS", "comma-separated `methods` a cross-origin request may use (default GET; * for all)", func(c *Config) flag.Value { return (*listValue)(&c.CORS.AllowMethods) }},
	{"cors-allow-headers", "CONCUR_CORS_ALLOW_HEADERS", "comma-separated request `headers` allowed beyond the safelisted ones (* for any)", func(c *Config) flag.Value { return (*listValue)(&c.CORS.AllowHeaders) }},
	{"cors-allow-credentials", "CONCUR_CORS_ALLOW_CREDENTIALS", "let cross-origin requests carry cookies and HTTP authentication", func(c *Config) flag.Value { return (*boolValue)(&c.CORS.AllowCredentials) }},
	{"cors-expose-headers", "CONCUR_CORS_EXPOSE_HEADERS", "comma-separated response `headers` a page's script may read", func(c *Config) flag.Value { return (*listValue)(&c.CORS.ExposeHeaders) }},
	{"cors-max-age", "CONCUR_CORS_MAX_AGE", "`seconds` a browser may cache a preflight (0: 600; negative: none)", func(c *Config) flag.Value { return (*intValue)(&c.CORS.MaxAge) }},
	{"cors-allow-private-network", "CONCUR_CORS_ALLOW_PRIVATE_NETWORK", "answer Chrome's Private Network Access preflights", func(c *Config) flag.Value { return (*boolValue)(&c.CORS.AllowPrivateNetwork) }},
}

// listValue is a comma-separated list. Setting it replaces the list, so
// that a flag overrides the environment and the file instead of adding to
// them.
type listValue []string

func (v *listValue) Set(s string) error {
	var list []string
	for item := range strings.SplitSeq(s, ",") {
		if item = strings.TrimSpace(item); item != "" {
			list = append(list, item)
		}
	}
	*v = list
	return nil
}

func (v *listValue) String() string { return strings.Join(*v, ",") }

// boolValue is a flag that may stand alone (-cors-allow-credentials) or
// take a value (=false), and an environment variable of strconv.ParseBool's
// spellings.
type boolValue bool

func (v *boolValue) Set(s string) error {
	b, err := strconv.ParseBool(s)
	if err != nil {
		return err
	}
	*v = boolValue(b)
	return nil
}

func (v *boolValue) String() string   { return strconv.FormatBool(bool(*v)) }
func (v *boolValue) IsBoolFlag() bool { return true }
