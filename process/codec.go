package process

import (
	"bytes"
	"encoding/gob"
	"fmt"
	"os"
)

// The codec for arguments, results and typed Conn messages is encoding/gob:
// it is typed, ships with Go, and — unlike pickle — decoding never runs code
// named by the bytes: it only fills in values of types the receiver chose.
// Each message is self-contained (its own type descriptors), so any process
// holding a Conn or queue can read any message without prior state.
//
// Encoding happens in the caller, synchronously: a value gob cannot encode
// (a func, a chan, an unexported-only struct) is reported by the Send, Put
// or Start that was given it, never later by a background goroutine.

// EncodeError reports a value the codec cannot encode; it is returned by the
// call that was given the value.
type EncodeError struct {
	Type string // the Go type of the value
	Err  error
}

func (e *EncodeError) Error() string {
	return fmt.Sprintf("process: cannot encode %s: %v", e.Type, e.Err)
}

func (e *EncodeError) Unwrap() error { return e.Err }

// DecodeError reports bytes from another process that do not decode into
// the expected type.
type DecodeError struct {
	Type string // the Go type decoding was asked for
	Err  error
}

func (e *DecodeError) Error() string {
	return fmt.Sprintf("process: cannot decode message into %s: %v", e.Type, e.Err)
}

func (e *DecodeError) Unwrap() error { return e.Err }

// encodeMessage encodes v and collects the files that handle-carrying
// values inside it export.
func encodeMessage(v any) ([]byte, []*os.File, error) {
	var buf bytes.Buffer
	t := &fileTable{}
	err := withFileTable(t, func() error {
		return gob.NewEncoder(&buf).Encode(v)
	})
	if err != nil {
		return nil, nil, &EncodeError{Type: fmt.Sprintf("%T", v), Err: err}
	}
	return buf.Bytes(), t.files, nil
}

// decodeMessage decodes data into ptr, handing files to the handle-carrying
// values that claim them. Files no value claims are closed, and on error all
// of them are.
func decodeMessage(data []byte, files []*os.File, ptr any) error {
	t := &fileTable{files: files}
	defer t.closeUnclaimed()
	err := withFileTable(t, func() error {
		return gob.NewDecoder(bytes.NewReader(data)).Decode(ptr)
	})
	if err != nil {
		return &DecodeError{Type: fmt.Sprintf("%T", ptr), Err: err}
	}
	return nil
}
