package server

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// APIError is the body of every error response:
//
//	{"error": "unknown_function", "detail": "no function \"cube\" (registered: countdown, echo, sleep, square)", "field": "function"}
//
// Error is a stable machine-readable code, Detail says what is wrong in
// words, Field names the offending request field or query parameter.
type APIError struct {
	Status int    `json:"-"`
	Code   string `json:"error"`
	Detail string `json:"detail"`
	Field  string `json:"field,omitempty"`
}

func (e *APIError) Error() string {
	if e.Field != "" {
		return fmt.Sprintf("%d %s (%s): %s", e.Status, e.Code, e.Field, e.Detail)
	}
	return fmt.Sprintf("%d %s: %s", e.Status, e.Code, e.Detail)
}

func apiErr(status int, code, field, format string, args ...any) *APIError {
	return &APIError{Status: status, Code: code, Field: field, Detail: fmt.Sprintf(format, args...)}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// writeError writes err as an APIError; any other error is a 503 when the
// store failed and a 500 otherwise, never with internals in the detail.
func writeError(w http.ResponseWriter, err error) {
	var ae *APIError
	if !errors.As(err, &ae) {
		ae = apiErr(http.StatusServiceUnavailable, "unavailable", "", "the job store is unavailable; try again")
	}
	writeJSON(w, ae.Status, ae)
}

// decodeBody reads a JSON request body into v, strictly: a JSON content
// type (so that a browser cannot send it cross-origin without a CORS
// preflight), at most limit bytes, one JSON value, no unknown fields.
func decodeBody(w http.ResponseWriter, r *http.Request, limit int64, v any) error {
	ct := r.Header.Get("Content-Type")
	if mt, _, _ := strings.Cut(ct, ";"); !strings.EqualFold(strings.TrimSpace(mt), "application/json") {
		return apiErr(http.StatusUnsupportedMediaType, "unsupported_media_type", "",
			"send the body as JSON with Content-Type: application/json (got %q)", ct)
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, limit))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return decodeError(err, limit)
	}
	if _, err := dec.Token(); err != io.EOF {
		if mbe := (*http.MaxBytesError)(nil); errors.As(err, &mbe) {
			return decodeError(err, limit)
		}
		return apiErr(http.StatusBadRequest, "malformed_json", "", "the body holds more than one JSON value")
	}
	return nil
}

func decodeError(err error, limit int64) *APIError {
	var (
		mbe    *http.MaxBytesError
		syntax *json.SyntaxError
		typ    *json.UnmarshalTypeError
	)
	switch {
	case errors.As(err, &mbe):
		return apiErr(http.StatusRequestEntityTooLarge, "body_too_large", "", "the body exceeds %d bytes", limit)
	case errors.Is(err, io.EOF):
		return apiErr(http.StatusBadRequest, "malformed_json", "", "the body is empty; send a JSON object")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return apiErr(http.StatusBadRequest, "malformed_json", "", "the body ends in the middle of its JSON")
	case errors.As(err, &syntax):
		return apiErr(http.StatusBadRequest, "malformed_json", "", "malformed JSON at byte %d: %v", syntax.Offset, syntax)
	case errors.As(err, &typ):
		if typ.Field == "" {
			return apiErr(http.StatusBadRequest, "bad_value", "", "the body must be a JSON object, not %s", typ.Value)
		}
		return apiErr(http.StatusBadRequest, "bad_value", typ.Field, "%s must be %s, not %s", typ.Field, jsonKind(typ.Type.Kind().String()), typ.Value)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		field := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return apiErr(http.StatusBadRequest, "unknown_field", field, "unknown field %q", field)
	}
	// An UnmarshalJSON method's error: a bad duration, say.
	return apiErr(http.StatusBadRequest, "bad_value", "", "%v", err)
}

func jsonKind(goKind string) string {
	switch goKind {
	case "string":
		return "a string"
	case "int", "int64", "float64":
		return "a number"
	case "bool":
		return "true or false"
	case "slice":
		return "an array"
	}
	return "an object"
}
