package process

import (
	"errors"
	"fmt"
	"os"
	"sync"

	"github.com/petermattis/goid"
)

// Values that own an OS resource — a Conn's socket, a shared-memory
// segment, an open file — cannot travel to another process as bytes alone:
// the descriptor has to travel beside them, as an inherited file when a
// child starts or as SCM_RIGHTS ancillary data over a Conn. Such types
// implement gob.GobEncoder and gob.GobDecoder by calling exportFile and
// importFile, which record the descriptor in the file table of the message
// that the current goroutine is encoding or decoding. The table is keyed by
// goroutine because gob gives an encoder method no other context; encoding
// and decoding of one message happen on one goroutine.

// ErrNotInMessage is returned when a handle-carrying value is gob-encoded
// or decoded outside a concur message (for example with a bare
// gob.Encoder): its descriptor would be lost, so it is refused instead.
var ErrNotInMessage = errors.New("process: a value holding an OS handle can only travel as a concur process argument, result or Conn message")

type fileTable struct {
	files []*os.File
}

var tables sync.Map // goroutine id -> *fileTable

// withFileTable runs fn with t as the current goroutine's file table.
func withFileTable(t *fileTable, fn func() error) error {
	id := goid.Get()
	if _, busy := tables.LoadOrStore(id, t); busy {
		// A nested message (a GobEncode that itself encodes a message)
		// would lose the outer table's files; no concur type does this.
		return errors.New("process: nested message encoding")
	}
	defer tables.Delete(id)
	return fn()
}

func currentTable() (*fileTable, error) {
	t, ok := tables.Load(goid.Get())
	if !ok {
		return nil, ErrNotInMessage
	}
	return t.(*fileTable), nil
}

// exportFile records f in the current message's file table and returns the
// index to encode in its place. The file is shared, not duplicated: the
// caller keeps it open until the message has been sent.
func exportFile(f *os.File) (int, error) {
	t, err := currentTable()
	if err != nil {
		return 0, err
	}
	t.files = append(t.files, f)
	return len(t.files) - 1, nil
}

// importFile returns the file at index i of the message being decoded.
// Each index may be claimed once; the claimer owns the file.
func importFile(i int) (*os.File, error) {
	t, err := currentTable()
	if err != nil {
		return nil, err
	}
	if i < 0 || i >= len(t.files) || t.files[i] == nil {
		return nil, fmt.Errorf("process: message refers to file %d, but %d arrived", i, len(t.files))
	}
	f := t.files[i]
	t.files[i] = nil
	return f, nil
}

// closeUnclaimed closes the files of a decoded message that no value
// claimed, so a malformed or hostile message cannot leak descriptors.
func (t *fileTable) closeUnclaimed() {
	for i, f := range t.files {
		if f != nil {
			f.Close()
			t.files[i] = nil
		}
	}
}
