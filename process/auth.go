package process

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/md5"
	"crypto/rand"
	"crypto/sha256"
	"crypto/sha3"
	"crypto/sha512"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"time"

	"github.com/concurgo/concur/internal/wire"
)

// The mutual HMAC challenge handshake of Python's multiprocessing.connection
// (deliver_challenge, answer_challenge), in both its forms:
//
//	challenger -> responder: "#CHALLENGE#" + M
//	responder -> challenger: RESP
//	challenger -> responder: "#WELCOME#" or "#FAILURE#"
//
// Python 3.11 sends M = 20 random bytes and expects RESP = HMAC-MD5(key, M).
// Python 3.12+ sends M = "{sha256}" + 40 random bytes and expects
// RESP = "{name}" + HMAC-name(key, M) for any allowed digest name, or a raw
// 16-byte HMAC-MD5 from a 3.11 responder. concur challenges like 3.12+ and
// answers whichever form it is sent. The listener challenges first; then
// the roles swap.

// ErrAuthentication reports a failed handshake: the peer's key differs, or
// the peer broke the protocol. It is Python's
// multiprocessing.AuthenticationError; the wrapping error says what
// happened, in Python's words where Python has some.
var ErrAuthentication = errors.New("process: authentication failed")

// DefaultHandshakeTimeout bounds a whole handshake when
// WithHandshakeTimeout is not given.
const DefaultHandshakeTimeout = 10 * time.Second

// WithAuthKey makes Listen and Dial authenticate each connection with key,
// using Python's HMAC challenge handshake in both directions; without it
// they do not authenticate, as Python's Listener and Client do with
// authkey=None. Any key, even an empty one, turns authentication on (as
// Python's b"" does). Pipe ignores it.
func WithAuthKey(key []byte) ConnOption {
	key = bytes.Clone(key)
	if key == nil {
		key = []byte{}
	}
	return func(c *connConfig) { c.authKey = key }
}

// WithHandshakeTimeout bounds the whole authentication handshake of each
// connection made by Listen or Dial (default DefaultHandshakeTimeout); a
// peer that is slower is dropped. Python has no such bound. Dial's ctx
// bounds the handshake too. It panics if d is not positive.
func WithHandshakeTimeout(d time.Duration) ConnOption {
	if d <= 0 {
		panic("process: handshake timeout must be positive")
	}
	return func(c *connConfig) { c.handshakeTimeout = d }
}

// WithoutMD5 makes Listen and Dial refuse HMAC-MD5 in the handshake: an
// MD5 reply to concur's challenge, and a legacy challenge that asks for
// one. Peers running Python 3.11, which only speaks MD5, are then
// rejected; Python 3.12+ peers are not affected. By default MD5 is
// accepted, as Python 3.12+ accepts it.
func WithoutMD5() ConnOption {
	return func(c *connConfig) { c.refuseMD5 = true }
}

const (
	challengeTag     = "#CHALLENGE#"
	welcomeMsg       = "#WELCOME#"
	failureMsg       = "#FAILURE#"
	handshakeMaxMsg  = 256 // Python reads every handshake message with this limit
	challengeRandom  = 40  // Python 3.12+'s MESSAGE_LENGTH
	legacyChallenge  = 20  // Python 3.11's challenge length, the shortest accepted
	md5Len           = 16
	maxDigestNameLen = 8 // len("sha3_384")
	challengeDigest  = "sha256"
)

var digests = map[string]func() hash.Hash{
	"md5":      md5.New,
	"sha256":   sha256.New,
	"sha384":   sha512.New384,
	"sha3_256": func() hash.Hash { return sha3.New256() },
	"sha3_384": func() hash.Hash { return sha3.New384() },
}

// authPolicy is one side's handshake settings.
type authPolicy struct {
	key       []byte
	refuseMD5 bool
}

func authErr(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrAuthentication}, args...)...)
}

// splitDigest is Python's _get_digest_name_and_payload: a message of 16 or
// 20 bytes is legacy (name ""), anything else must start with "{name}"
// naming an allowed digest.
func splitDigest(msg []byte) (name string, payload []byte, err error) {
	if len(msg) == md5Len || len(msg) == legacyChallenge {
		return "", msg, nil
	}
	if len(msg) > 1 && msg[0] == '{' {
		end := bytes.IndexByte(msg[1:min(len(msg), maxDigestNameLen+2)], '}')
		if end > 0 {
			if _, ok := digests[string(msg[1:1+end])]; ok {
				return string(msg[1 : 1+end]), msg[2+end:], nil
			}
		}
	}
	return "", nil, authErr("unsupported message length, missing digest prefix, or unsupported digest")
}

func mac(name string, key, msg []byte) []byte {
	h := hmac.New(digests[name], key)
	h.Write(msg)
	return h.Sum(nil)
}

// challengeMessage returns M for a challenge built from random bytes.
func challengeMessage(random []byte) []byte {
	return append([]byte("{"+challengeDigest+"}"), random...)
}

// response is Python's _create_response: raw HMAC-MD5 to a legacy
// challenge, "{name}" + HMAC-name to a prefixed one.
func (p authPolicy) response(challenge []byte) ([]byte, error) {
	name, _, err := splitDigest(challenge)
	if err != nil {
		return nil, err
	}
	if p.refuseMD5 && (name == "" || name == "md5") {
		return nil, authErr("the peer asks for an HMAC-MD5 answer, which is refused")
	}
	if name == "" {
		return mac("md5", p.key, challenge), nil
	}
	return append([]byte("{"+name+"}"), mac(name, p.key, challenge)...), nil
}

// verify is Python's _verify_challenge, with a constant-time comparison.
func (p authPolicy) verify(challenge, resp []byte) error {
	name, got, err := splitDigest(resp)
	if err != nil {
		return err
	}
	if name == "" {
		name = "md5"
	}
	if name == "md5" && p.refuseMD5 {
		return authErr("the peer answered with HMAC-MD5, which is refused")
	}
	want := mac(name, p.key, challenge)
	if len(want) != len(got) {
		return authErr("expected %q of length %d got %d", name, len(want), len(got))
	}
	if !hmac.Equal(want, got) {
		return authErr("digest received was wrong")
	}
	return nil
}

// deliverChallenge challenges the peer and tells it whether it passed.
func (p authPolicy) deliverChallenge(rw io.ReadWriter) error {
	random := make([]byte, challengeRandom)
	rand.Read(random)
	msg := challengeMessage(random)
	if err := wire.WriteFrame(rw, append([]byte(challengeTag), msg...)); err != nil {
		return err
	}
	resp, err := readHandshakeMsg(rw)
	if err != nil {
		return err
	}
	if err := p.verify(msg, resp); err != nil {
		wire.WriteFrame(rw, []byte(failureMsg))
		return err
	}
	return wire.WriteFrame(rw, []byte(welcomeMsg))
}

// answerChallenge answers the peer's challenge and reads its verdict.
func (p authPolicy) answerChallenge(rw io.ReadWriter) error {
	msg, err := readHandshakeMsg(rw)
	if err != nil {
		return err
	}
	challenge, ok := bytes.CutPrefix(msg, []byte(challengeTag))
	if !ok {
		return authErr("protocol error, expected challenge")
	}
	if len(challenge) < legacyChallenge {
		return authErr("challenge too short: %d bytes", len(challenge))
	}
	resp, err := p.response(challenge)
	if err != nil {
		return err
	}
	if err := wire.WriteFrame(rw, resp); err != nil {
		return err
	}
	verdict, err := readHandshakeMsg(rw)
	if err != nil {
		return err
	}
	if string(verdict) != welcomeMsg {
		return authErr("digest sent was rejected")
	}
	return nil
}

func readHandshakeMsg(r io.Reader) ([]byte, error) {
	msg, err := wire.ReadFrame(r, handshakeMaxMsg)
	if errors.Is(err, wire.ErrTooLarge) || errors.Is(err, wire.ErrMalformed) {
		return nil, authErr("bad handshake message: %v", err)
	}
	return msg, err
}

// serverHandshake is what Python's Listener.accept does: challenge, then
// answer.
func (p authPolicy) serverHandshake(rw io.ReadWriter) error {
	if err := p.deliverChallenge(rw); err != nil {
		return err
	}
	return p.answerChallenge(rw)
}

// clientHandshake is what Python's Client does: answer, then challenge.
func (p authPolicy) clientHandshake(rw io.ReadWriter) error {
	if err := p.answerChallenge(rw); err != nil {
		return err
	}
	return p.deliverChallenge(rw)
}

// runHandshake runs fn over f, bounded by deadline and interrupted when
// ctx ends. It reads exactly the handshake's frames, so the Conn built on f
// afterwards starts at the first message. I/O errors are wrapped to say
// that they happened during the handshake; a timeout is ctx's error or
// context.DeadlineExceeded.
func runHandshake(ctx context.Context, f *os.File, deadline time.Time, fn func(io.ReadWriter) error) error {
	hctx, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()
	d := ioDeadline{f: f, set: (*os.File).SetDeadline}
	d.begin(hctx)
	err := fn(f)
	d.release()
	f.SetDeadline(time.Time{})
	switch {
	case err == nil || errors.Is(err, ErrAuthentication):
		return err
	case errors.Is(err, os.ErrDeadlineExceeded):
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return fmt.Errorf("process: authentication handshake timed out: %w", context.DeadlineExceeded)
	case err == io.EOF, errors.Is(err, io.ErrUnexpectedEOF):
		return fmt.Errorf("process: the peer closed the connection during the authentication handshake: %w", io.ErrUnexpectedEOF)
	}
	return fmt.Errorf("process: authentication handshake: %w", err)
}
