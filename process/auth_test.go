package process

import (
	"bytes"
	"crypto/hmac"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"testing"

	"github.com/concurgo/concur/internal/wire"
	"golang.org/x/sys/unix"
)

// Test vectors from shared/reference/python-connection.md, checked there
// against CPython 3.11.7, 3.12.1 and 3.13.0.
var (
	vecKey = []byte("secret")
	r40    = seq(40)
	r20    = seq(20)
)

func seq(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i)
	}
	return b
}

func unhex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func frameOf(p []byte) []byte {
	var b bytes.Buffer
	wire.WriteFrame(&b, p)
	return b.Bytes()
}

func TestHandshakeVectors(t *testing.T) {
	p := authPolicy{key: vecKey}

	modern := challengeMessage(r40)
	wantFrame := "0000003b" + "234348414c4c454e4745237b7368613235367d" + hex.EncodeToString(r40)
	if got := hex.EncodeToString(frameOf(append([]byte(challengeTag), modern...))); got != wantFrame {
		t.Fatalf("modern challenge frame\n got %s\nwant %s", got, wantFrame)
	}
	resp, err := p.response(modern)
	want := append([]byte("{sha256}"), unhex(t, "fc57fbe650d6124b98215e7b5d197d5807ad69982d275a9735ea2d56f1fa6989")...)
	if err != nil || !bytes.Equal(resp, want) {
		t.Fatalf("response to the modern challenge: %x, %v", resp, err)
	}
	if err := p.verify(modern, resp); err != nil {
		t.Fatalf("own response rejected: %v", err)
	}
	// A 3.11 client answers the modern challenge with raw HMAC-MD5 over
	// all 48 bytes; a 3.12+ challenger accepts it, and so does concur
	// unless MD5 is refused.
	legacyAnswer := unhex(t, "8e48d2bb349b4b72b9382999ed5b62eb")
	if err := p.verify(modern, legacyAnswer); err != nil {
		t.Fatalf("3.11 answer rejected: %v", err)
	}
	if err := (authPolicy{key: vecKey, refuseMD5: true}).verify(modern, legacyAnswer); !errors.Is(err, ErrAuthentication) {
		t.Fatalf("3.11 answer with MD5 refused: %v", err)
	}

	wantLegacy := "0000001f" + "234348414c4c454e474523" + hex.EncodeToString(r20)
	if got := hex.EncodeToString(frameOf(append([]byte(challengeTag), r20...))); got != wantLegacy {
		t.Fatalf("legacy challenge frame %s", got)
	}
	resp, err = p.response(r20)
	if err != nil || hex.EncodeToString(resp) != "7defa9cc46abc3583325d17ccda75190" {
		t.Fatalf("response to the legacy challenge: %x, %v", resp, err)
	}
	if _, err := (authPolicy{key: vecKey, refuseMD5: true}).response(r20); !errors.Is(err, ErrAuthentication) {
		t.Fatalf("legacy challenge with MD5 refused: %v", err)
	}

	sha512Reply := append([]byte("{sha512}"), make([]byte, 64)...)
	for name, reply := range map[string][]byte{
		"{sha512} reply":       sha512Reply,
		"32 unprefixed bytes":  make([]byte, 32),
		"15-byte reply":        make([]byte, 15),
		"wrong sha256 digest":  append([]byte("{sha256}"), make([]byte, 32)...),
		"short sha256 digest":  append([]byte("{sha256}"), make([]byte, 31)...),
		"empty digest name":    append([]byte("{}"), make([]byte, 32)...),
		"wrong 16 bytes (md5)": make([]byte, 16),
	} {
		if err := p.verify(modern, reply); !errors.Is(err, ErrAuthentication) {
			t.Errorf("%s: %v, want ErrAuthentication", name, err)
		}
	}
}

func TestDigestsOtherThanSHA256(t *testing.T) {
	p := authPolicy{key: vecKey}
	for name := range digests {
		challenge := append([]byte("{"+name+"}"), r40...)
		resp, err := p.response(challenge)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !bytes.HasPrefix(resp, []byte("{"+name+"}")) {
			t.Fatalf("%s: response %q lacks the prefix", name, resp)
		}
		if name == "md5" {
			continue
		}
		// A challenger accepts any allowed digest its responder chose.
		if err := p.verify(challengeMessage(r40), append([]byte("{"+name+"}"), mac(name, vecKey, challengeMessage(r40))...)); err != nil {
			t.Errorf("%s reply rejected: %v", name, err)
		}
	}
}

// handshakePair runs a server and a client handshake against each other
// over a socketpair and returns both errors.
func handshakePair(t *testing.T, server func(io.ReadWriter) error, client func(io.ReadWriter) error) (serr, cerr error) {
	t.Helper()
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	s, c := os.NewFile(uintptr(fds[0]), "s"), os.NewFile(uintptr(fds[1]), "c")
	done := make(chan error)
	go func() {
		err := server(s)
		s.Close() // as a listener drops a failed connection
		done <- err
	}()
	cerr = client(c)
	c.Close()
	return <-done, cerr
}

// python311 is a Python 3.11 peer: it challenges with 20 random bytes,
// accepts only raw HMAC-MD5, and answers any challenge with raw HMAC-MD5.
type python311 struct{ key []byte }

func (p python311) deliver(rw io.ReadWriter) error {
	wire.WriteFrame(rw, append([]byte(challengeTag), r20...))
	resp, err := wire.ReadFrame(rw, 256)
	if err != nil {
		return err
	}
	h := hmac.New(md5.New, p.key)
	h.Write(r20)
	if !hmac.Equal(resp, h.Sum(nil)) {
		wire.WriteFrame(rw, []byte(failureMsg))
		return ErrAuthentication
	}
	return wire.WriteFrame(rw, []byte(welcomeMsg))
}

func (p python311) answer(rw io.ReadWriter) error {
	msg, err := wire.ReadFrame(rw, 256)
	if err != nil {
		return err
	}
	h := hmac.New(md5.New, p.key)
	h.Write(msg[len(challengeTag):])
	wire.WriteFrame(rw, h.Sum(nil))
	if v, err := wire.ReadFrame(rw, 256); err != nil || string(v) != welcomeMsg {
		return ErrAuthentication
	}
	return nil
}

func (p python311) server(rw io.ReadWriter) error {
	if err := p.deliver(rw); err != nil {
		return err
	}
	return p.answer(rw)
}

func (p python311) client(rw io.ReadWriter) error {
	if err := p.answer(rw); err != nil {
		return err
	}
	return p.deliver(rw)
}

func TestHandshakePairs(t *testing.T) {
	key := []byte("key")
	good := authPolicy{key: key}
	wrong := authPolicy{key: []byte("other")}
	strict := authPolicy{key: key, refuseMD5: true}
	py := python311{key: key}
	cases := []struct {
		name           string
		server, client func(io.ReadWriter) error
		ok             bool
	}{
		{"concur both sides", good.serverHandshake, good.clientHandshake, true},
		{"concur without MD5 both sides", strict.serverHandshake, strict.clientHandshake, true},
		{"wrong key at the client", good.serverHandshake, wrong.clientHandshake, false},
		{"wrong key at the server", wrong.serverHandshake, good.clientHandshake, false},
		{"3.11 client", good.serverHandshake, py.client, true},
		{"3.11 server", py.server, good.clientHandshake, true},
		{"3.11 client, MD5 refused", strict.serverHandshake, py.client, false},
		{"3.11 server, MD5 refused", py.server, strict.clientHandshake, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			serr, cerr := handshakePair(t, tc.server, tc.client)
			if tc.ok && (serr != nil || cerr != nil) {
				t.Fatalf("server %v, client %v", serr, cerr)
			}
			if !tc.ok && (serr == nil || cerr == nil) {
				t.Fatalf("a side passed: server %v, client %v", serr, cerr)
			}
		})
	}
}

func TestHandshakeRefusesLongMessages(t *testing.T) {
	in := bytes.NewReader(frameOf(make([]byte, 257)))
	err := authPolicy{key: vecKey}.answerChallenge(struct {
		io.Reader
		io.Writer
	}{in, io.Discard})
	if !errors.Is(err, ErrAuthentication) {
		t.Fatalf("got %v, want ErrAuthentication", err)
	}
}

// peerBytes is a handshake peer that replays fixed bytes and ignores what
// it is sent.
type peerBytes struct {
	io.Reader
	io.Writer
}

// FuzzHandshake feeds arbitrary peer bytes to both sides of the handshake.
// Besides not panicking, neither side may ever succeed: both end by
// verifying an HMAC over fresh random bytes, which no fixed input can
// answer without the key.
func FuzzHandshake(f *testing.F) {
	p := authPolicy{key: vecKey}
	resp, _ := p.response(r20)
	f.Add(frameOf(resp))
	f.Add(append(frameOf(append([]byte(challengeTag), challengeMessage(r40)...)), frameOf([]byte(welcomeMsg))...))
	f.Add(append(frameOf(append([]byte(challengeTag), r20...)), frameOf([]byte(welcomeMsg))...))
	f.Add(frameOf([]byte("{sha3_384}")))
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0, 1, 0})
	f.Fuzz(func(t *testing.T, in []byte) {
		for _, side := range []func(io.ReadWriter) error{p.serverHandshake, p.clientHandshake} {
			if err := side(peerBytes{bytes.NewReader(in), io.Discard}); err == nil {
				t.Fatalf("handshake passed with peer bytes %x", in)
			}
		}
	})
}
