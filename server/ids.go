package server

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/binary"
	"time"
)

// Job IDs are 26 characters of base32 (the sort-preserving "hex" alphabet,
// lower case) over 16 bytes, valid as KV keys and URL path segments. A
// fresh ID starts with its creation time in milliseconds, so IDs sort by
// age; an idempotent job's ID is a hash of its key, so that two submissions
// with one key race for one KV key and exactly one wins.
var idEncoding = base32.NewEncoding("0123456789abcdefghijklmnopqrstuv").WithPadding(base32.NoPadding)

const idLen = 26

func newID(now time.Time) string {
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], uint64(now.UnixMilli())<<16)
	rand.Read(b[6:])
	return idEncoding.EncodeToString(b[:])
}

func idempotentID(key string) string {
	sum := sha256.Sum256([]byte("concur idempotency key\x00" + key))
	return idEncoding.EncodeToString(sum[:16])
}

func validID(s string) bool {
	if len(s) != idLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'v') {
			return false
		}
	}
	return true
}
